"""An InSales shop's past orders as order lines (the economics simulator's history), read from
``/admin/orders.json`` the way reconciliation reads it: ``updated_since`` the period's first day and
``from_id`` paging, keeping the orders created in the period.

An order is read with the inbound mapping (webhooks.insales.payloads): a line costs its
``full_total_price`` (InSales spreads order discounts onto it). InSales lists no refunds: a returned
line shows as a lower quantity, so a line's amount is what the customer kept. Unpaid and declined
orders are left out; amounts are the shop's (InSales prices in the shop currency).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from marshmallow import ValidationError

from plugin.core.kinds import OrderState
from plugin.platforms import PlatformError
from plugin.platforms.insales.client import InSalesClient
from plugin.reports.economics.history import PastLine, parse_moment
from webhooks.insales import payloads

PER_PAGE = 100  # InSales' largest page


def past_orders(client: InSalesClient, first: date, last: date) -> Iterator[list[PastLine]]:
    """The paid orders created in the period, a page at a time, until a short page."""
    from_id = None
    while True:
        params = {"updated_since": f"{first.isoformat()} 00:00:00 +0000", "per_page": PER_PAGE}
        if from_id:
            params["from_id"] = from_id
        page = client.get("/admin/orders.json", params)
        if not isinstance(page, list) or not all(isinstance(order, dict) for order in page):
            raise PlatformError("InSales answered orders.json without a list of objects")
        lines: list[PastLine] = []
        for order in page:
            lines += order_lines(order, first, last)
            from_id = order.get("id") or from_id
        yield lines
        if len(page) < PER_PAGE:
            return


def order_lines(body: dict, first: date, last: date) -> list[PastLine]:
    """A paid order's lines when it was created in the period; none otherwise."""
    try:
        snapshot = payloads.snapshot(body)
    except ValidationError as exc:
        raise PlatformError(f"an order in InSales' orders.json does not read: {exc.messages}") from None
    order = snapshot["order"]
    placed_at = parse_moment(order["placed_at"] or "")
    if not (snapshot["paid"] and snapshot["state"] == OrderState.PAID
            and first <= placed_at.date() < last + timedelta(days=1)):
        return []
    customer = (order["customer"] or {}).get("id") or f"guest-{order['order_id']}"
    return [PastLine(order["order_id"], customer, placed_at, Decimal(line["amount"]),
                     (line["sku"] or "")[:255] or None, None, max(1, line["quantity"] or 1))
            for line in order["lines"] if Decimal(line["amount"]) > 0]
