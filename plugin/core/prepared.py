"""Hot reads whose SQL peewee builds once per process instead of on every call.

peewee composes a query's SQL from its node tree each time it runs: for the widget's reads that
cost more Python than PostgreSQL took to answer them. A query marked ``@Prepared`` is built once
with stand-in values for its arguments, its SQL kept, and every later call binds the real values
in their places and lets the query's own cursor wrapper turn the rows into models or tuples, as
the query would have. An argument must reach the SQL unchanged as a parameter (an int, a str or
a datetime: values the drivers take as they are). Anything derived from one is computed by the
caller and passed in as an argument of its own.

An argument may also be a tuple of ints or of strs, the values of a ``field.in_(...)`` or
``not_in``: each element becomes a parameter of its own. One statement serves every length up to
the next 2^k - 1 (1, 3, 7, 15...), the tuple padded with its last element (a value twice in an
``IN`` list changes nothing), so the statements kept stay few whatever lengths a request brings.
An empty tuple is not bound at all: peewee writes ``IN ()`` as a constant.

The rows' columns are resolved once too: peewee's cursor wrapper matches the cursor's columns to
the query's fields (names, converters) on every run, which costs more than turning the rows into
models; the same SQL always describes the same columns, so what that step found is kept with it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import datetime
from itertools import count

from plugin.core.base import database

_STAND_INS = {
    int: lambda n: 7_340_000_000_000_000 + n,
    str: lambda n: f"\x00prepared argument {n}\x00",
    datetime: lambda n: datetime(1999, 12, 31, 23, 59, 59, 7000 + n),  # arithmetic on it still works
}
_ELEMENTS = (int, str)  # what a tuple argument may hold, one of them throughout


def _shape(arg) -> type | tuple:
    """What the compiled SQL depends on: the argument's type; a tuple's size class and element type."""
    return (tuple, len(arg).bit_length(), *{*map(type, arg)}) if type(arg) is tuple else type(arg)


def _padded(length: int) -> int:
    """How many parameters a tuple of ``length`` elements is given: 0, then 2^k - 1 from it up."""
    return (1 << length.bit_length()) - 1


def _refused(arg) -> str | None:
    """What an argument that cannot be bound unchanged is, or None."""
    if type(arg) is not tuple:
        return None if type(arg) in _STAND_INS else type(arg).__name__
    kinds = {type(value) for value in arg}
    if len(kinds) > 1:
        return "tuple of mixed " + " and ".join(sorted(kind.__name__ for kind in kinds))
    kind = next(iter(kinds), int)
    return None if kind in _ELEMENTS else f"tuple of {kind.__name__}"


class Prepared:
    """Decorates a function that builds a peewee query from its arguments; calling it runs the
    query, compiled once per database kind and argument shapes. (It relies on peewee's
    ``_get_cursor_wrapper``, the step of ``execute`` that wraps a cursor for the query's rows.)"""

    def __init__(self, build: Callable) -> None:
        self._build = build
        self._compiled: dict[tuple, tuple] = {}
        self._resolved: dict[tuple, dict] = {}  # what resolving the columns set on a cursor wrapper
        self._lock = threading.Lock()
        self._name = getattr(build, "__qualname__", repr(build))
        functools.update_wrapper(self, build)

    def __call__(self, *args) -> list:
        """The rows, as the built query returns them (models, tuples or dicts)."""
        db = database.obj
        key = (type(db), *map(_shape, args))
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(db, args)
                self._compiled[key] = compiled
        query, sql, slots = compiled
        params = [value if index is None else args[index] if element is None
                  else args[index][min(element, len(args[index]) - 1)]  # the padding repeats the last
                  for index, element, value in slots]
        wrapper = query._get_cursor_wrapper(db.execute_sql(sql, params))
        resolved = self._resolved.get(key)
        if resolved is None:  # the first run: resolve the columns now, keep what that set on the wrapper
            fresh = set(vars(wrapper))
            wrapper.initialize()
            self._resolved[key] = {name: value for name, value in vars(wrapper).items() if name not in fresh}
        else:
            vars(wrapper).update(resolved)
        wrapper.initialized = True
        return list(wrapper)

    def _compile(self, db, args: tuple) -> tuple:
        numbers, places, stand_ins = count(), {}, []  # places: (type, stand-in) -> (argument, element)

        def stand_in(kind: type, index: int, element: int | None):
            made = _STAND_INS[kind](next(numbers))
            places[kind, made] = index, element
            return made

        for index, arg in enumerate(args):
            refused = _refused(arg)
            if refused:
                raise TypeError(f"{self._name}: argument {index} is a {refused}; a prepared query takes "
                                "an int, a str, a datetime or a tuple of ints or of strs")
            stand_ins.append(tuple(stand_in(type(arg[0]), index, n) for n in range(_padded(len(arg))))
                             if type(arg) is tuple else stand_in(type(arg), index, None))
        query = self._build(*stand_ins)
        sql, params = db.get_sql_context().sql(query).query()
        slots = [(*places.get((type(value), value), (None, None)), value) for value in params]
        missing = {index for index, _ in set(places.values()) - {slot[:2] for slot in slots}}
        if missing:
            raise TypeError(f"{self._name}: argument(s) {sorted(missing)} do not reach "
                            "the SQL as parameters")
        return query, sql, slots
