"""An Ecwid store's past orders as order lines (the economics simulator's history), from the order
search with ``createdFrom`` / ``createdTo`` (unix seconds), ``offset`` paging until a short page.

An order is read with the inbound mapping (webhooks.ecwid.payloads): its lines as bought, in the
store's currency. Ecwid states refunds as money: each entry of ``refunds`` (date and amount) is a
negative line at its date, or, when the order names only a ``refundedAmount``, one negative line of
it at the order's last change. Orders that are not paid are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError

from plugin.core.kinds import OrderState
from plugin.platforms import PlatformError
from plugin.platforms.ecwid.client import EcwidClient
from plugin.reports.economics.history import CENT, PastLine, parse_moment
from webhooks.ecwid import payloads

PER_PAGE = 100  # Ecwid's largest page


def _seconds(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def past_orders(client: EcwidClient, currency: str, first: date, last: date) -> Iterator[list[PastLine]]:
    """The paid orders created in the period, a page at a time."""
    period = {"createdFrom": _seconds(first), "createdTo": _seconds(last + timedelta(days=1)) - 1,
              "limit": PER_PAGE}
    offset = 0
    while True:
        found = client.get("/orders", {**period, "offset": offset})
        if not isinstance(found, dict):
            raise PlatformError("Ecwid answered the order search without an object")
        items = [item for item in found.get("items") or [] if isinstance(item, dict)]
        yield [line for item in items for line in order_lines(item, currency)]
        if len(items) < PER_PAGE:
            return
        offset += PER_PAGE


def _money(value) -> Decimal:
    try:
        return abs(Decimal(str(value))).quantize(CENT)
    except (InvalidOperation, TypeError):
        raise PlatformError(f"Ecwid named a refund that is not money: {str(value)[:40]}") from None


def order_lines(item: dict, currency: str) -> list[PastLine]:
    """A paid order's lines and refunds; none for an unpaid order."""
    try:
        snapshot = payloads.snapshot({"currency": currency, "order": item})
    except ValidationError as exc:
        raise PlatformError(f"an order of Ecwid's search does not read: {exc.messages}") from None
    order = snapshot["order"]
    if snapshot["state"] != OrderState.PAID or not order["placed_at"]:
        return []
    placed_at = parse_moment(order["placed_at"])
    customer = (order["customer"] or {}).get("id") or f"guest-{order['order_id']}"
    out = [PastLine(order["order_id"], customer, placed_at, Decimal(line["amount"]).quantize(CENT),
                    (line["sku"] or "")[:255] or None, None, max(1, line["quantity"] or 1))
           for line in order["lines"] if Decimal(line["amount"]) > 0]
    refunds = [entry for entry in item.get("refunds") or [] if isinstance(entry, dict)]
    changed = parse_moment(order["updated_at"]) if order["updated_at"] else placed_at
    given = [(parse_moment(str(entry["date"])) if entry.get("date") else changed, _money(entry.get("amount")))
             for entry in refunds]
    if not refunds and Decimal(snapshot.get("refunded") or 0) > 0:
        given = [(changed, _money(snapshot["refunded"]))]
    return out + [PastLine(order["order_id"], customer, max(when, placed_at), -amount)
                  for when, amount in given if amount]
