"""Storing and reading a shop's program versions (immutable; the newest one runs)."""

from __future__ import annotations

import peewee

from plugin import clock
from plugin.db import database
from plugin.models import ProgramVersion
from plugin.program import document

_cache: dict[tuple[int, int | None], dict] = {}


def current(shop_id: int) -> tuple[int | None, dict]:
    """(version number, loaded program) of the shop's running program; None for the default."""
    row = (ProgramVersion.select(ProgramVersion.number)
           .where(ProgramVersion.shop == shop_id)
           .order_by(ProgramVersion.number.desc()).first())
    number = row.number if row else None
    return number, at(shop_id, number)


def at(shop_id: int, number: int | None) -> dict:
    """The loaded program of one version (versions never change, so they are cached)."""
    if (shop_id, number) not in _cache:
        if number is None:
            raw = document.DEFAULT
        else:
            raw = ProgramVersion.get((ProgramVersion.shop == shop_id)
                                     & (ProgramVersion.number == number)).document
        _cache[(shop_id, number)] = document.load(raw)
    return _cache[(shop_id, number)]


def save(shop_id: int, raw: dict, author: str) -> ProgramVersion:
    """Validate and store a new version; raises ValidationError naming each bad field."""
    program = document.load(raw)
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
