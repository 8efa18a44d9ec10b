"""The owner's message log: every outbound message of the shop, newest first, found by shopper
(e-mail or platform id), type, channel, delivery status and time, each with its deliveries
(where it went, how many attempts, the last error). The admin API and the dashboard read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee as pw

from plugin.core.errors import NotFound
from plugin.core.models import Customer, Delivery, OutboxMessage


@dataclass(frozen=True)
class Filters:
    shopper: str = ""  # an e-mail (any case) or a platform customer id
    type: str | None = None
    channel: str | None = None
    status: str | None = None  # a delivery's: the messages with at least one such delivery
    since: datetime | None = None  # created at or after (UTC)
    until: datetime | None = None  # created before (UTC)


def search(shop_id: int, filters: Filters, *, before: int | None = None,
           limit: int = 50) -> list[OutboxMessage]:
    """One page of messages, newest first, older than the ``before`` id; each with ``customer``
    (or None) and ``deliveries`` (its Delivery rows, oldest first) attached."""
    query = (OutboxMessage.select(OutboxMessage, Customer).join(Customer, pw.JOIN.LEFT_OUTER)
             .where(OutboxMessage.shop == shop_id))
    shopper = filters.shopper.strip()
    if shopper:
        by_email = pw.fn.LOWER(Customer.email) == shopper.lower()
        query = query.where(by_email | (Customer.platform_id == shopper))
    if filters.type:
        query = query.where(OutboxMessage.type == filters.type)
    if filters.channel or filters.status:
        wanted = Delivery.select(Delivery.message).where(Delivery.shop == shop_id)
        if filters.channel:
            wanted = wanted.where(Delivery.channel == filters.channel)
        if filters.status:
            wanted = wanted.where(Delivery.status == filters.status)
        query = query.where(OutboxMessage.id.in_(wanted))
    if filters.since:
        query = query.where(OutboxMessage.created_at >= filters.since)
    if filters.until:
        query = query.where(OutboxMessage.created_at < filters.until)
    if before:
        query = query.where(OutboxMessage.id < before)
    messages = list(query.order_by(OutboxMessage.id.desc()).limit(limit))
    _attach_deliveries(shop_id, messages)
    return messages


def get(shop_id: int, uid: str) -> OutboxMessage:
    """One message of the shop by its uid, with its customer and deliveries (404 otherwise)."""
    message = (OutboxMessage.select(OutboxMessage, Customer).join(Customer, pw.JOIN.LEFT_OUTER)
               .where((OutboxMessage.shop == shop_id) & (OutboxMessage.uid == uid)).first())
    if message is None:
        raise NotFound(f"no message {uid!r} in this shop")
    _attach_deliveries(shop_id, [message])
    return message


def _attach_deliveries(shop_id: int, messages: list[OutboxMessage]) -> None:
    by_message: dict[int, list[Delivery]] = {m.id: [] for m in messages}
    if by_message:
        rows = (Delivery.select().where((Delivery.shop == shop_id) & Delivery.message.in_(list(by_message)))
                .order_by(Delivery.id))
        for delivery in rows:
            by_message[delivery.message_id].append(delivery)
    for message in messages:
        message.deliveries = by_message[message.id]
