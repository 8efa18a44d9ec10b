"""Storing and reading a shop's program versions (immutable; the newest one runs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import peewee
from marshmallow import ValidationError

from plugin.core import clock
from plugin.core.db import database
from plugin.core.models import ProgramVersion, Shop
from plugin.core.prepared import Prepared
from plugin.program import document

#: (shop, version number) -> ((the version row's id, its time), its loaded program)
_cache: dict[tuple[int, int | None], tuple[tuple | None, dict]] = {}
#: shop id -> (number, program) within a ``read_once`` block (None outside one)
_read: ContextVar[dict[int, tuple[int | None, dict]] | None] = ContextVar("program_versions_read",
                                                                         default=None)


@contextmanager
def read_once() -> Iterator[None]:
    """Within this block each shop's current version is looked up once: for a request that only
    reads (a widget request asks for it in several places) and saves no version itself."""
    token = _read.set({})
    try:
        yield
    finally:
        _read.reset(token)


def current(shop_id: int) -> tuple[int | None, dict]:
    """(version number, loaded program) of the shop's running program; None for the default.

    The cached program is checked against the row's id and time: a shop whose data was wiped
    (shop/redact) and that installed again numbers its versions from 1 again."""
    read = _read.get()
    if read is not None and shop_id in read:
        return read[shop_id]
    rows = _newest(shop_id)
    row = rows[0] if rows else None
    number = row.number if row else None
    cached = _cache.get((shop_id, number))
    if cached is not None and cached[0] != (_identity(row) if row else None):
        del _cache[(shop_id, number)]
    found = number, at(shop_id, number)
    if read is not None:
        read[shop_id] = found
    return found


@Prepared
def _newest(shop_id: int):
    return (ProgramVersion.select(ProgramVersion.id, ProgramVersion.number, ProgramVersion.created_at)
            .where(ProgramVersion.shop == shop_id).order_by(ProgramVersion.number.desc()).limit(1))


def at(shop_id: int, number: int | None) -> dict:
    """The loaded program of one version (versions never change, so they are cached)."""
    if (shop_id, number) not in _cache:
        if number is None:
            identity, raw = None, document.DEFAULT
        else:
            row = ProgramVersion.get((ProgramVersion.shop == shop_id) & (ProgramVersion.number == number))
            identity, raw = _identity(row), row.document
        _cache[(shop_id, number)] = (identity, document.load(raw))
    return _cache[(shop_id, number)][1]


def _identity(row: ProgramVersion) -> tuple:
    """What tells two versions of one number apart (SQLite may reuse a deleted row's id)."""
    return row.id, row.created_at


def save(shop_id: int, raw: dict, author: str) -> ProgramVersion:
    """Validate and store a new version; raises ValidationError naming each bad field."""
    program = document.load(raw)
    shop_currency = Shop.select(Shop.currency).where(Shop.id == shop_id).scalar()
    if program.get("currency") and program["currency"].upper() != shop_currency:
        raise ValidationError({"currency": [f"the shop's currency is {shop_currency}: a program "
                                            "names no other (or none)"]})
    for _ in range(3):  # two owners saving at once: the loser takes the next number
        latest = (ProgramVersion.select(peewee.fn.MAX(ProgramVersion.number))
                  .where(ProgramVersion.shop == shop_id).scalar()) or 0
        try:
            with database.atomic():
                return ProgramVersion.create(shop=shop_id, number=latest + 1, author=author,
                                             document=document.dump(program), created_at=clock.now())
        except peewee.IntegrityError:
            continue
    raise RuntimeError("could not allocate a program version number")


def forget_cached() -> None:
    """Tests drop the database between runs; version numbers then repeat."""
    _cache.clear()
