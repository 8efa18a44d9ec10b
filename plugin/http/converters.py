"""URL converters: a number in a path is a row id, so one no row can have is a 404, never a 500."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # peewee's AutoField: a 32-bit integer on PostgreSQL


class RowId(IntegerConverter):
    """``<int:...>`` bounded by MAX_ID: a larger number does not match, instead of overflowing the
    database driver (SQLite raised OverflowError, PostgreSQL "integer out of range")."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def init_app(app: Flask) -> None:
    """Before any blueprint: rules pick their converters when they are added."""
    app.url_map.converters["int"] = RowId
