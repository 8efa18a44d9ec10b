"""Fanning the outbox out: each new message becomes one delivery per destination, on each channel
(plugin.notify.channels), in the transaction that marks it dispatched; then each channel sends
what is due."""

from __future__ import annotations

from datetime import datetime

from plugin.core import clock
from plugin.core.db import claiming, insert_rows, session, write_transaction
from plugin.core.models import Customer, Delivery, OutboxMessage, Shop
from plugin.core.status import DeliveryStatus
from plugin.notify import settings as notify_settings
from plugin.notify.channels import CHANNELS


def dispatch(batch_size: int = 500) -> int:
    """Fan out every message not dispatched yet, a batch per transaction; returns how many."""
    done = 0
    with session():
        while True:
            with write_transaction():
                messages = list(claiming(OutboxMessage.select().where(OutboxMessage.dispatched_at.is_null())
                                         .order_by(OutboxMessage.id).limit(batch_size)))
                for shop_id in dict.fromkeys(m.shop_id for m in messages):
                    _fan_out(Shop.get_by_id(shop_id), [m for m in messages if m.shop_id == shop_id])
                if messages:
                    OutboxMessage.update(dispatched_at=clock.now()).where(
                        OutboxMessage.id.in_([m.id for m in messages])).execute()
            done += len(messages)
            if len(messages) < batch_size:
                return done


def _fan_out(shop: Shop, messages: list[OutboxMessage]) -> None:
    settings = notify_settings.load(shop)
    ids = {m.customer_id for m in messages if m.customer_id}
    customers = {c.id: c for c in Customer.select().where(Customer.id.in_(list(ids)))} if ids else {}
    rows = [row for channel in CHANNELS for row in channel.plan(shop, settings, messages, customers)]
    now = clock.now()
    insert_rows(Delivery, [{"shop": shop.id, "subscription": None, "customer": None,
                            "status": DeliveryStatus.PENDING, "error": None, "next_attempt_at": now,
                            "created_at": now, **row} for row in rows], ignore_conflicts=True)


def send_all(now: datetime | None = None) -> int:
    """Every channel sends what is due."""
    now = now or clock.now()
    return sum(channel.send_due(now) for channel in CHANNELS)
