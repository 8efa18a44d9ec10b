"""What every channel shares: the interface a channel implements, and the planning of a shopper
channel's rows (e-mail, SMS), where consent, unsubscriptions and bounced addresses are honoured.

A shopper message that must not go out still gets its row, ``suppressed`` with the reason, so the
owner sees why; a shopper with no address on the channel gets no row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from plugin.core.models import Customer, OutboxMessage, Shop, Suppression, Unsubscription
from plugin.core.status import DeliveryStatus
from plugin.notify import settings as notify_settings
from plugin.notify.types import ALL, TYPES


class Channel(Protocol):
    name: str

    def plan(self, shop: Shop, settings: notify_settings.Settings, messages: list[OutboxMessage],
             customers: dict[int, Customer]) -> list[dict]:
        """Delivery rows (``message``, ``channel``, ``target``, ``customer``, ``status``, ``error``)."""

    def send_due(self, now: datetime, limit: int = 200) -> int:
        """Attempt the deliveries that are due; returns how many were sent."""



def for_shoppers(channel: str, shop: Shop, settings: notify_settings.Settings, messages: list[OutboxMessage],
                 customers: dict[int, Customer], address_of: Callable[[Customer], str | None]) -> list[dict]:
    """The rows of a shopper channel (e-mail, SMS): the messages the shop turned on for it, to each
    shopper's address; suppressed, with the reason, where consent, an unsubscription or a bounce says so."""
    wanted = [m for m in messages if m.customer_id in customers and settings.enabled(channel, m.type)]
    if not wanted:
        return []
    who = {m.customer_id for m in wanted}
    unsubscribed = set(Unsubscription.select(Unsubscription.customer, Unsubscription.type).where(
        (Unsubscription.customer.in_(list(who))) & (Unsubscription.channel == channel)).tuples())
    addresses = {cid: address_of(customers[cid]) for cid in who}
    blocked = dict(Suppression.select(Suppression.address, Suppression.reason).where(
        (Suppression.shop == shop.id) & (Suppression.channel == channel)
        & Suppression.address.in_([a for a in addresses.values() if a])).tuples())
    rows = []
    for message in wanted:
        customer, address = customers[message.customer_id], addresses[message.customer_id]
        if not address or customer.redacted_at:
            continue  # nowhere to send it: no row, nothing to show
        why = None
        if TYPES[message.type].marketing and not customer.marketing_consent_at:
            why = "no marketing consent"
        elif (customer.id, message.type) in unsubscribed or (customer.id, ALL) in unsubscribed:
            why = "unsubscribed"
        elif address in blocked:
            why = f"address suppressed: {blocked[address]}"
        rows.append({"message": message.id, "channel": channel, "target": address, "customer": customer.id,
                     "status": DeliveryStatus.SUPPRESSED if why else DeliveryStatus.PENDING, "error": why})
    return rows
