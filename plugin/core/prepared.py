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

On PostgreSQL the statement is also prepared by the server, once per connection (``PREPARE``,
then ``EXECUTE`` with the values): planning these short reads cost PostgreSQL twice what running
them did (the widget's account: 0.70 ms of its CPU per request plain, 0.37 prepared). Only outside
a transaction, where a statement that fails spoils nothing: a value PostgreSQL cannot take as the
type it inferred for its parameter (a bigint cursor against an integer id) runs that once as
plain SQL, and a statement it cannot prepare is never tried again. A pooler that lends each
transaction another server connection (PgBouncer's transaction mode) loses prepared names:
``LOYALTY_PREPARED_STATEMENTS=0`` turns this off (the database's ``server_prepare``, db.bind).
"""

from __future__ import annotations

import functools
import re
import threading
import weakref
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from itertools import count

import peewee

from plugin.core.base import database

_STAND_INS = {
    int: lambda n: 7_340_000_000_000_000 + n,
    str: lambda n: f"\x00prepared argument {n}\x00",
    datetime: lambda n: datetime(1999, 12, 31, 23, 59, 59, 7000 + n),  # arithmetic on it still works
}
_ELEMENTS = (int, str)  # what a tuple argument may hold, one of them throughout
_PLACEHOLDER = re.compile(r"%s|%%")
_statement_names = count(1)
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> names it holds
_unpreparable: set[str] = set()
_prepared_lock = threading.Lock()
_texts: dict[str, str] = {}  # a prepared statement's name -> the SQL it runs


def statement(sql: str) -> str:
    """The SQL an ``EXECUTE`` of a prepared hot read runs (parameters as ``$1``...), any other SQL as
    it is: for whoever watches the statements go by (tests, the benchmarks' profiles)."""
    if sql.startswith("EXECUTE loyalty_"):
        return _texts.get(sql.split()[1], sql)
    return sql


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
        query, sql, slots, server = compiled
        params = [value if index is None else args[index] if element is None
                  else args[index][min(element, len(args[index]) - 1)]  # the padding repeats the last
                  for index, element, value in slots]
        wrapper = query._get_cursor_wrapper(_execute(db, server, sql, params))
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
        fits = all(_constant(value) is not _UNFIT for index, _, value in slots if index is None)
        server = _Server(sql, slots) if fits and isinstance(db, peewee.PostgresqlDatabase) else None
        return query, sql, slots, server


class _Server:
    """A statement as PostgreSQL holds it prepared: PREPARE's text, with each argument and each str
    or datetime constant a numbered parameter and each number, bool or None constant written in
    (a generic plan sees it too: a partial index's predicate, ``remaining > 0``), and the EXECUTE
    that sends the parameters."""

    def __init__(self, sql: str, slots: list[tuple]) -> None:
        self.name = f"loyalty_{next(_statement_names)}"
        self.sent: list[int] = []  # the positions of the values EXECUTE sends
        positions, numbers = count(), count(1)

        def place(match: re.Match) -> str:
            if match.group() == "%%":
                return "%"
            position = next(positions)
            index, _, value = slots[position]
            written = None if index is not None else _constant(value)
            if written is not None:
                return written
            self.sent.append(position)
            return f"${next(numbers)}"

        _texts[self.name] = _PLACEHOLDER.sub(place, sql)
        self.prepare = f"PREPARE {self.name} AS {_texts[self.name]}"
        arguments = f" ({', '.join(['%s'] * len(self.sent))})" if self.sent else ""
        self.execute = f"EXECUTE {self.name}{arguments}"


_UNFIT = object()


def _constant(value) -> str | object | None:
    """A constant of the query as SQL text to write into the prepared statement; None for one sent
    as a parameter (a str, a str enum, a datetime: each means the same typed as it does as a
    literal); _UNFIT for any other, whose statement runs plain. A number is written as the driver
    writes it into plain SQL (``0`` an integer, ``0.5`` a numeric): sent as a parameter, a Decimal
    would take the type PostgreSQL inferred for it and be rounded into an integer, silently. A
    negative number goes in brackets (``a - -1`` must not become a comment)."""
    if value is None or type(value) is bool:
        return {None: "NULL", True: "TRUE", False: "FALSE"}[value]
    if isinstance(value, str | datetime):
        return None
    if isinstance(value, int):
        text = str(int(value))  # an IntEnum's str() is its name
    elif isinstance(value, Decimal) and value.is_finite():
        text = str(value)  # as psycopg2 writes it: 1E+2 stays a numeric
    else:
        return _UNFIT
    return f"({text})" if text.startswith("-") else text


def _execute(db, server: _Server | None, sql: str, params: list):
    """The statement's cursor: EXECUTEd by its name where the server may hold it prepared."""
    if (server is None or server.name in _unpreparable or not getattr(db, "server_prepare", False)
            or db.in_transaction()):
        return db.execute_sql(sql, params)
    connection = db.connection()
    with _prepared_lock:
        names = _prepared_on.setdefault(connection, set())
    if server.name not in names:
        try:
            db.execute_sql(server.prepare)
        except peewee.DatabaseError:  # a parameter whose type PostgreSQL cannot infer
            _unpreparable.add(server.name)
            return db.execute_sql(sql, params)
        names.add(server.name)
    try:
        return db.execute_sql(server.execute, [params[position] for position in server.sent])
    except peewee.DatabaseError:  # a value beyond its parameter's type: the plain statement decides
        return db.execute_sql(sql, params)
