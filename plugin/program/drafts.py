"""The owner's unpublished program: kept per shop until it is published or thrown away."""

from __future__ import annotations

import peewee

from plugin.core import clock
from plugin.core.db import database
from plugin.core.models import ProgramDraft
from plugin.program import changes


def get(shop_id: int) -> ProgramDraft | None:
    return ProgramDraft.get_or_none(ProgramDraft.shop == shop_id)


def keep(shop_id: int, raw: dict, base: int, author: str) -> None:
    """Store the draft as it is, valid or not (a draft may be half done); the last save wins."""
    updated = (ProgramDraft.update(document=raw, base=base, author=author, updated_at=clock.now())
               .where(ProgramDraft.shop == shop_id).execute())
    if not updated:
        try:
            with database.atomic():
                ProgramDraft.create(shop=shop_id, document=raw, base=base, author=author)
        except peewee.IntegrityError:  # a second tab created it meanwhile: this one is newer
            keep(shop_id, raw, base, author)


def discard(shop_id: int) -> None:
    ProgramDraft.delete().where(ProgramDraft.shop == shop_id).execute()


def publish(shop_id: int, raw: dict, author: str):
    """Publish ``raw`` as the next version (plugin.program.changes) and drop the draft."""
    published = changes.publish(shop_id, raw, author=author)
    discard(shop_id)
    return published
