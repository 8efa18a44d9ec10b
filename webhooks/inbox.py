"""Store an accepted delivery in the Event inbox, once."""

from __future__ import annotations

import peewee

from plugin.models import Event, Shop
from webhooks.topics import Mapped


def store(shop: Shop, platform: str, topic: str, delivery_id: str, raw_body: str,
          mapped: Mapped) -> Event | None:
    """Insert the event; None when its delivery id or business key was seen before."""
    status, note = mapped.status, mapped.note
    if not shop.active and mapped.kind not in (None, "shop.uninstalled"):
        status, note = "ignored", "shop is not active"
    try:  # one autocommitted INSERT: the unique indexes are the deduplication
        return Event.create(
            shop=shop.id, platform=platform, topic=topic, kind=mapped.kind,
            delivery_id=delivery_id, business_key=mapped.business_key,
            subject=mapped.subject, payload=mapped.payload, raw_body=raw_body,
            status=status, error=note,
        )
    except peewee.IntegrityError:
        return None
