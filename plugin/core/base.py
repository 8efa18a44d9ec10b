"""The database handle and the column types the models are declared with: a leaf that
plugin.core.models and plugin.core.db both import (the handle is bound late, by db.bind)."""

from __future__ import annotations

import json
from decimal import Decimal

import peewee

from plugin.core import reasons

database = peewee.DatabaseProxy()


class JSONField(peewee.TextField):
    """JSON stored as text on every backend; Decimals are written as strings, never floats."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, default=_json_default,
                                                     separators=(",", ":"))

    def python_value(self, value):
        return None if value is None else json.loads(value)


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class _StoredReason:
    """A reason column (plugin.core.reasons): its JSON; a sentence from before codes reads as ``text``."""

    def db_value(self, value):
        return reasons.dumps(value)

    def python_value(self, value):
        return reasons.load(value)


class ReasonField(_StoredReason, peewee.TextField):
    pass


class ShortReasonField(_StoredReason, peewee.CharField):
    pass
