"""A WooCommerce shop's past orders as order lines (the economics simulator's history), read from
``/orders`` created in the period (``after`` / ``before`` in GMT), a hundred a page, oldest first.

An order is read with the inbound mapping (webhooks.woocommerce.payloads): a line costs its
``total`` (after the order's coupons, before tax). The listing shows each refund's total but neither
its lines nor its time: a refund is a negative line of its total at the order's last change.
Orders that were not paid (pending, on hold, failed, cancelled) are left out, and so are orders in
another currency than the shop's (a multi-currency plugin's), whose amounts are not the shop's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError

from plugin.core.kinds import OrderState
from plugin.platforms import PlatformError
from plugin.platforms.woocommerce.client import WooClient
from plugin.reports.economics.history import CENT, PastLine, parse_moment
from webhooks.woocommerce import payloads

PER_PAGE = 100  # WooCommerce's largest page


def past_orders(client: WooClient, currency: str, first: date, last: date) -> Iterator[list[PastLine]]:
    """The paid orders created in the period, a page at a time, until a short page."""
    before, after = (last + timedelta(days=1)).isoformat(), (first - timedelta(days=1)).isoformat()
    params = {"after": f"{after}T23:59:59", "before": f"{before}T00:00:00", "dates_are_gmt": "true",
              "orderby": "date", "order": "asc", "per_page": PER_PAGE}  # both bounds are exclusive
    page = 1
    while True:
        orders = client.get("/orders", {**params, "page": page})
        if not isinstance(orders, list) or not all(isinstance(order, dict) for order in orders):
            raise PlatformError("WooCommerce answered /orders without a list of objects")
        yield [line for order in orders for line in order_lines(order, currency)]
        if len(orders) < PER_PAGE:
            return
        page += 1


def order_lines(body: dict, currency: str) -> list[PastLine]:
    """A paid order's lines and refunds; none for an unpaid order or one in another currency."""
    try:
        snapshot = payloads.snapshot(body)
    except ValidationError as exc:
        raise PlatformError(f"an order in WooCommerce's /orders does not read: {exc.messages}") from None
    order = snapshot["order"]
    if snapshot["state"] != OrderState.PAID or order["currency"] != currency:
        return []
    placed_at = parse_moment(order["placed_at"] or "")
    customer = (order["customer"] or {}).get("id") or f"guest-{order['order_id']}"
    out = [PastLine(order["order_id"], customer, placed_at, Decimal(line["amount"]).quantize(CENT),
                    (line["sku"] or "")[:255] or None, None, max(1, line["quantity"] or 1))
           for line in order["lines"] if Decimal(line["amount"]) > 0]
    changed = parse_moment(order["updated_at"]) if order["updated_at"] else placed_at
    for refund in body.get("refunds") or []:
        try:
            amount = abs(Decimal(str(refund.get("total") or 0))).quantize(CENT)
        except (InvalidOperation, AttributeError):
            raise PlatformError(f"a refund of WooCommerce order {order['order_id']} has no total") from None
        if amount:
            out.append(PastLine(order["order_id"], customer, max(changed, placed_at), -amount))
    return out
