"""Outbox messages and their deliveries as the drain leaves them, for the tests of the message log
(the admin API's and the dashboard's): written the way the domain writes them."""

from __future__ import annotations

from datetime import datetime

from plugin import customers
from plugin.core.db import database, session
from plugin.core.models import Delivery, OutboxMessage
from plugin.notify import outbox
from plugin.notify.types import SAMPLES


def message(shop, type: str, key: str, *, shopper: str | None = "c-1", email: str | None = None,
            at: datetime | None = None, deliveries: tuple[tuple, ...] = ()) -> str:
    """Record one message of ``type`` (its SAMPLES data) for the shopper ``shopper``, with the given
    deliveries ``(channel, target, status[, error])``; returns its uid."""
    with session(), database.atomic():
        customer = customers.ensure(shop.id, shopper, {"email": email}) if shopper else None
        outbox.record(shop.id, type, key, SAMPLES[type], customer_id=customer.id if customer else None, at=at)
        row = OutboxMessage.get((OutboxMessage.shop == shop.id) & (OutboxMessage.key == key))
        for channel, target, status, *error in deliveries:
            Delivery.create(shop=shop.id, message=row.id, channel=channel, target=target, status=status,
                            customer=row.customer_id, attempts=1 if error else 0,
                            error=error[0] if error else None)
        return row.uid
