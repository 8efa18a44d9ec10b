"""Hot reads whose SQL peewee builds once per process instead of on every call.

peewee composes a query's SQL from its node tree each time it runs: for the widget's reads that
cost more Python than PostgreSQL took to answer them. A query marked ``@Prepared`` is built once
with stand-in values for its arguments, its SQL kept, and every later call binds the real values
in their places and lets the query's own cursor wrapper turn the rows into models or tuples, as
the query would have. An argument must reach the SQL unchanged as a parameter (an int, a str or
a datetime: values the drivers take as they are); anything derived from one is computed by the
caller and passed in as an argument of its own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import datetime

from plugin.core.base import database

_STAND_INS = {
    int: lambda n: 7_340_000_000_000_000 + n,
    str: lambda n: f"\x00prepared argument {n}\x00",
    datetime: lambda n: datetime(1999, 12, 31, 23, 59, 59, 7000 + n),  # arithmetic on it still works
}


class Prepared:
    """Decorates a function that builds a peewee query from its arguments; calling it runs the
    query, compiled once per database kind and argument types. (It relies on peewee's
    ``_get_cursor_wrapper``, the step of ``execute`` that wraps a cursor for the query's rows.)"""

    def __init__(self, build: Callable) -> None:
        self._build = build
        self._compiled: dict[tuple, tuple] = {}
        self._lock = threading.Lock()
        self._name = getattr(build, "__qualname__", repr(build))
        functools.update_wrapper(self, build)

    def __call__(self, *args) -> list:
        """The rows, as the built query returns them (models, tuples or dicts)."""
        db = database.obj
        key = (type(db), *map(type, args))
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(db, args)
                self._compiled[key] = compiled
        query, sql, slots = compiled
        params = [args[index] if index is not None else value for index, value in slots]
        return list(query._get_cursor_wrapper(db.execute_sql(sql, params)))

    def _compile(self, db, args: tuple) -> tuple:
        stand_ins = []
        for n, arg in enumerate(args):
            make = _STAND_INS.get(type(arg))
            if make is None:
                raise TypeError(f"{self._name}: argument {n} is a {type(arg).__name__}; "
                                "a prepared query takes an int, a str or a datetime")
            stand_ins.append(make(n))
        query = self._build(*stand_ins)
        sql, params = db.get_sql_context().sql(query).query()
        slots, used = [], set()
        for value in params:
            index = next((n for n, s in enumerate(stand_ins) if type(value) is type(s) and value == s), None)
            slots.append((index, None if index is not None else value))
            used.add(index)
        missing = set(range(len(args))) - used
        if missing:
            raise TypeError(f"{self._name}: argument(s) {sorted(missing)} do not reach "
                            "the SQL as parameters")
        return query, sql, slots
