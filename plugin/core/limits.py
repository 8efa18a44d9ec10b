"""The bounds on numbers, texts and dates from outside, and the marshmallow fields that hold them.

One place for them, so that a 10^400 amount, a year-9999 date or an id longer than its column is
the same 422 naming the field on SQLite and on PostgreSQL (which raises where SQLite stores), and
never a 500 later in Decimal's 28 digits, in date arithmetic or in the database driver. The JSON
itself (depth, lone surrogates, NUL) is bounded by plugin.core.jsonbody before any schema sees it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from marshmallow import RAISE, Schema, ValidationError, fields, validate

MAX_AMOUNT = Decimal(10**12)  # money in the shop's currency: more than any order or threshold
MAX_MULTIPLIER = Decimal(1000)  # a tier's or campaign's earning multiplier
EARLIEST, LATEST = date(1900, 1, 1), date(9000, 12, 31)  # days either side stay computable
OUT_OF_TIME = f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def _validators(bound: validate.Validator, given) -> list:
    return [bound, *(given if isinstance(given, list | tuple) else [given] if given else [])]


def amount(**kwargs) -> fields.Decimal:
    """Money (as a string in the JSON out), 0..MAX_AMOUNT plus whatever the caller adds."""
    kwargs["validate"] = _validators(validate.Range(min=0, max=MAX_AMOUNT), kwargs.get("validate"))
    return fields.Decimal(as_string=True, allow_nan=False, **kwargs)


def multiplier(**kwargs) -> fields.Decimal:
    kwargs["validate"] = _validators(validate.Range(min=0, max=MAX_MULTIPLIER), kwargs.get("validate"))
    return fields.Decimal(as_string=True, allow_nan=False, **kwargs)


class _InTime:
    """A date or time between EARLIEST and LATEST, in UTC as in any other offset."""

    def _deserialize(self, value, attr, data, **kwargs):
        loaded = super()._deserialize(value, attr, data, **kwargs)
        day = loaded.date() if isinstance(loaded, datetime) else loaded
        if not EARLIEST <= day <= LATEST:
            raise ValidationError(OUT_OF_TIME)
        return loaded


class Day(_InTime, fields.Date):
    pass


class Moment(_InTime, fields.DateTime):
    pass


class AwareMoment(_InTime, fields.AwareDateTime):
    pass


class StrictSchema(Schema):
    """The base of every input schema of our own API: an unknown field is a 422, never ignored."""

    class Meta:
        unknown = RAISE
