"""Store an accepted delivery in the Event inbox, once.

This is the one statement on the webhook hot path, so its SQL is built once per database and
reused: building it with peewee on every delivery cost as much as the INSERT itself. On PostgreSQL
the deliveries a process receives at the same moment are inserted together (plugin.core.combining):
one statement and one commit for the lot, ``ON CONFLICT DO NOTHING`` telling the duplicates apart.
A row PostgreSQL inserts alone cost 235 µs of its time, one of eight 138 µs.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee

from plugin.core import clock
from plugin.core.combining import Combiner
from plugin.core.db import database
from plugin.core.kinds import EventKind
from plugin.core.models import Event, Shop
from plugin.core.status import EventStatus
from webhooks.mapped import Mapped
from webhooks.shopify import privacy_payloads

FIELDS = (Event.shop, Event.platform, Event.topic, Event.kind, Event.delivery_id,
          Event.business_key, Event.subject, Event.payload, Event.raw_body, Event.status,
          Event.error, Event.attempts, Event.received_at)
_sql: dict[tuple[str, bool, int], str] = {}
#: A round's answer for a delivery the batch could not store (a bad row fails the whole statement):
#: it is inserted alone, and fails alone.
ALONE = object()


@dataclass(frozen=True)
class Stored:
    id: int
    status: str


def _insert_sql(rows: int = 1) -> str:
    """INSERT of ``rows`` events: one (returning its id), or several on PostgreSQL (returning the
    ids of those that were not duplicates, with their keys)."""
    db = database.obj
    key = (db.param, bool(db.returning_clause), rows)  # never id(db): a freed object's id is reused
    if key not in _sql:
        columns = ", ".join(f'"{field.column_name}"' for field in FIELDS)
        marks = "(" + ", ".join([db.param] * len(FIELDS)) + ")"
        head = f'INSERT INTO "{Event._meta.table_name}" ({columns}) VALUES ' + ", ".join([marks] * rows)
        if rows > 1:
            _sql[key] = head + ' ON CONFLICT DO NOTHING RETURNING "id", "shop_id", "delivery_id"'
        else:
            _sql[key] = head + (' RETURNING "id"' if db.returning_clause else "")
    return _sql[key]


def _insert_many(rows: list[list]) -> list[int | None | object]:
    """One round of the combiner: each row's new id, None for a duplicate, ALONE when the
    statement failed."""
    if len(rows) == 1:
        return [_insert(rows[0])]
    try:
        cursor = database.execute_sql(_insert_sql(len(rows)), [value for row in rows for value in row])
    except peewee.DatabaseError:
        return [ALONE] * len(rows)
    ids = {(shop_id, delivery_id): event_id for event_id, shop_id, delivery_id in cursor.fetchall()}
    return [ids.pop((row[0], row[4]), None) for row in rows]  # shop, delivery id: the first one wins


_combiner = Combiner(_insert_many)


def _insert(params: list) -> int | None:
    try:
        cursor = database.execute_sql(_insert_sql(), params)
    except peewee.IntegrityError:
        return None
    return cursor.fetchone()[0] if database.returning_clause else cursor.lastrowid


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
    event_id = ALONE
    if isinstance(database.obj, peewee.PostgresqlDatabase) and not database.in_transaction():
        event_id = _combiner.submit(params)
    if event_id is ALONE:
        event_id = _insert(params)
    return None if event_id is None else Stored(event_id, status)


def uninstalled(shop: Shop, platform: str, topic: str, source: str, raw_body: str) -> Stored | None:
    """Store the shop's ``shop.uninstalled`` once per install (an InSales uninstall request, an
    owner's disconnect): keyed by the shop and the moment it was installed, so a repeat is a
    duplicate and a later reinstall can be uninstalled again."""
    marker = f"{shop.id}:{shop.installed_at.isoformat()}"
    return store(shop, platform, topic, f"{source}:{marker}", raw_body,
                 Mapped(EventKind.SHOP_UNINSTALLED, {}, f"{EventKind.SHOP_UNINSTALLED}:{marker}"))
