"""Store an accepted delivery in the Event inbox, once.

This is the one statement on the webhook hot path, so its SQL is built once per database and
reused: building it with peewee on every delivery cost as much as the INSERT itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee

from plugin.core import clock
from plugin.core.db import database
from plugin.core.kinds import EventKind
from plugin.core.models import Event, Shop
from plugin.core.status import EventStatus
from webhooks.mapped import Mapped
from webhooks.shopify import privacy_payloads

FIELDS = (Event.shop, Event.platform, Event.topic, Event.kind, Event.delivery_id,
          Event.business_key, Event.subject, Event.payload, Event.raw_body, Event.status,
          Event.error, Event.attempts, Event.received_at)
_sql: dict[tuple[str, bool], str] = {}


@dataclass(frozen=True)
class Stored:
    id: int
    status: str


def _insert_sql() -> str:
    db = database.obj
    key = (db.param, bool(db.returning_clause))  # never id(db): a freed object's id is reused
    if key not in _sql:
        columns = ", ".join(f'"{field.column_name}"' for field in FIELDS)
        marks = ", ".join([db.param] * len(FIELDS))
        returning = ' RETURNING "id"' if db.returning_clause else ""
        _sql[key] = f'INSERT INTO "{Event._meta.table_name}" ({columns}) VALUES ({marks}){returning}'
    return _sql[key]


def store(shop: Shop, platform: str, topic: str, delivery_id: str, raw_body: str,
          mapped: Mapped) -> Stored | None:
    """Insert the event (outside a transaction); None when its delivery id or business key was
    seen before: the unique indexes are the deduplication."""
    status, note = mapped.status, mapped.note
    if not shop.active and mapped.kind not in (None, EventKind.SHOP_UNINSTALLED, *privacy_payloads.KINDS):
        status, note = EventStatus.IGNORED, "shop is not active"
    values = (shop.id, platform, topic, mapped.kind, delivery_id, mapped.business_key,
              mapped.subject, mapped.payload, raw_body, status, note, 0, clock.now())
    params = [field.db_value(value) for field, value in zip(FIELDS, values, strict=True)]
    try:
        cursor = database.execute_sql(_insert_sql(), params)
    except peewee.IntegrityError:
        return None
    event_id = cursor.fetchone()[0] if database.returning_clause else cursor.lastrowid
    return Stored(event_id, status)


def uninstalled(shop: Shop, platform: str, topic: str, source: str, raw_body: str) -> Stored | None:
    """Store the shop's ``shop.uninstalled`` once per install (an InSales uninstall request, an
    owner's disconnect): keyed by the shop and the moment it was installed, so a repeat is a
    duplicate and a later reinstall can be uninstalled again."""
    marker = f"{shop.id}:{shop.installed_at.isoformat()}"
    return store(shop, platform, topic, f"{source}:{marker}", raw_body,
                 Mapped(EventKind.SHOP_UNINSTALLED, {}, f"{EventKind.SHOP_UNINSTALLED}:{marker}"))
