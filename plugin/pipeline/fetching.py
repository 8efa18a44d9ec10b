"""Reading from a shop's platform what its pending events need, before a batch's transaction.

Some deliveries cannot be applied as they came: Ecwid signs only an event's id and time, so its
order is read from the API by id (a notice); WooCommerce lists a refund without its lines. The
shop's platform (``Platform.prepare``) reads them outside any transaction; this module stores
what it read. An event still unread when its batch reaches it fails as ``Unread`` (the platform
was down, or backing off), and plugin.pipeline.platform_jobs.retry_unread puts it back a minute
later, for as long as the platform itself retries a delivery: an outage delays points, loses none.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from plugin.core import clock
from plugin.core.db import write_transaction
from plugin.core.errors import Unread
from plugin.core.models import Event, Shop
from plugin.core.status import EventStatus
from plugin.pipeline.queue import INFRASTRUCTURE
from plugin.platforms import PlatformError, registry
from plugin.platforms.contract import Access, Delivery
from webhooks import inbox, stored
from webhooks.readers import storable

log = logging.getLogger(__name__)

FETCHED_PREFIX = "fetched:"  # a delivery read from the platform: "fetched:" + its business key
UNREAD = f"{Unread.__name__}: "  # how a failed unread event's error begins (plugin.pipeline.jobs)
#: After a failed read a shop's batches go on without one for a while: an outage then costs each
#: worker one timeout a minute, not one per batch. Only a throttle: losing it is harmless.
BACKOFF = timedelta(seconds=60)
_failed_at: dict[int, datetime] = {}

__all__ = ["Unread", "prepare", "store_deliveries"]


def prepare(shop_id: int, limit: int) -> set[int]:
    """Let the shop's platform read what the next ``limit`` pending events need, and store it;
    returns the events whose payload it rewrote."""
    name = Shop.select(Shop.platform).where(Shop.id == shop_id).scalar()
    platform = registry.PLATFORMS.get(name)
    if platform is None or not platform.prepares or (
            shop_id in _failed_at and clock.now() < _failed_at[shop_id] + BACKOFF):
        return set()
    events = list(Event.select().where(
        (Event.shop == shop_id) & (Event.status == EventStatus.PENDING) & Event.payload.is_null(False))
        .order_by(Event.id).limit(limit))
    if not events:
        return set()
    shop = Shop.get_by_id(shop_id)
    try:
        prepared = platform.prepare(shop, events, Access.from_environment())
    except INFRASTRUCTURE:
        raise
    except PlatformError as exc:
        log.warning("shop %s: reading %s from %s failed, retried later: %s", shop_id, len(events), name, exc)
        _failed_at[shop_id] = clock.now()
        return set()
    except Exception:  # noqa: BLE001 - a settings or adapter fault must not stall the shop's inbox
        log.exception("shop %s: reading from %s failed, its events wait as unread", shop_id, name)
        _failed_at[shop_id] = clock.now()
        return set()
    _failed_at.pop(shop_id, None)
    store_deliveries(shop, name, prepared.deliveries, FETCHED_PREFIX)
    if not (prepared.payloads or prepared.done):
        return set()
    pending = (Event.shop == shop_id) & (Event.status == EventStatus.PENDING)
    with write_transaction():
        for event_id, payload in prepared.payloads.items():
            Event.update(payload=payload).where(pending & (Event.id == event_id)).execute()
        for event_id, note in prepared.done.items():
            Event.update(status=EventStatus.APPLIED, error=note[:2000], attempts=Event.attempts + 1,
                         applied_at=clock.now()).where(pending & (Event.id == event_id)).execute()
    return set(prepared.payloads)


def store_deliveries(shop: Shop, platform: str, deliveries: list[Delivery], prefix: str) -> int:
    """Store what was read from the platform through the inbox, as if it had sent it (a version
    already stored is a duplicate of its business key); how many were new and pending."""
    added = 0
    for delivery in deliveries:
        mapped = stored.read(platform, delivery.topic, delivery.raw)
        event = inbox.store(shop, platform, delivery.topic, prefix + delivery.key, storable(delivery.raw),
                            mapped)
        added += event is not None and event.status == EventStatus.PENDING
    return added
