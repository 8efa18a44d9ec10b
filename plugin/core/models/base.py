"""The base of every table: the late-bound database and snake_case table names."""

from __future__ import annotations

import peewee as pw

from plugin.core.base import database


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False
