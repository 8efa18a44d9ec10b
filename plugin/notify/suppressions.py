"""Addresses nothing more is sent to: a bounce or a complaint (an ESP's webhook through the admin
API, or a mail server's 5xx for the recipient), or the owner's hand. Planning reads them
(plugin.notify.planning); this writes them."""

from __future__ import annotations

import re

from plugin.core import clock
from plugin.core.kinds import DeliveryChannel
from plugin.core.models import Delivery, Suppression
from plugin.core.status import DeliveryStatus


def normalized(channel: str, address: str) -> str:
    """The form planning compares: a lower-cased e-mail, a phone's digits."""
    if channel == DeliveryChannel.SMS:
        return re.sub(r"\D", "", address)
    return address.strip().lower()


def suppress(shop_id: int, channel: str, address: str, reason: str,
             detail: str | None = None) -> tuple[Suppression, bool]:
    """Suppress an address (a second report keeps the first reason); its pending deliveries are
    suppressed too. Returns the row and whether it is new."""
    address = normalized(channel, address)
    where = ((Suppression.shop == shop_id) & (Suppression.channel == channel)
             & (Suppression.address == address))
    existing = Suppression.get_or_none(where)
    if existing is None:
        Suppression.insert(shop=shop_id, channel=channel, address=address, reason=reason,
                           detail=detail[:2000] if detail else None, created_at=clock.now()
                           ).on_conflict_ignore().execute()
    row = existing or Suppression.get(where)
    Delivery.update(status=DeliveryStatus.SUPPRESSED, error=f"address suppressed: {row.reason}").where(
        (Delivery.shop == shop_id) & (Delivery.channel == channel) & (Delivery.target == address)
        & (Delivery.status == DeliveryStatus.PENDING)).execute()
    return row, existing is None


def lift(shop_id: int, suppression_id: int) -> bool:
    """Send to the address again (the owner's hand: the shopper fixed their mailbox)."""
    return Suppression.delete().where((Suppression.shop == shop_id) & (Suppression.id == suppression_id)
                                      ).execute() > 0
