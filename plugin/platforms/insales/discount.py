"""InSales' external discount: at checkout InSales posts the order (cart) to the shop's discount
address and applies what we answer. The discount is the shopper's newest live hold (points they
reserved in the widget), in money, never more than the cart; its code travels in the title, so
the paid order names the hold it used (DISCOUNT_TITLE) and commits it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from plugin.core import clock
from plugin.core.models import Hold, Shop
from plugin.core.status import HoldStatus
from plugin.customers import lookup
from plugin.platforms.insales import DISCOUNT_TITLE
from webhooks.mapped import MAX_AMOUNT, MAX_QUANTITY

CENT = Decimal("0.01")


class BadCart(ValueError):
    """The posted body is not an order we can read (InSales gets ``{"errors": [...]}``)."""


@dataclass(frozen=True)
class Discount:
    amount: Decimal  # quantized to 0.01; zero for none
    title: str


NONE = Discount(Decimal("0.00"), "")


def _money(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise BadCart(f"{where}: not an amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadCart(f"{where}: not an amount") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise BadCart(f"{where}: out of range")
    return amount


def _quantity(value: Any, where: str) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUANTITY:
        raise BadCart(f"{where}: not a quantity")
    return value


def cart_total(order: dict) -> Decimal:
    """What the cart costs: its lines (their totals, else price x quantity), else its items price."""
    lines = order.get("order_lines")
    if lines is None:
        value = order.get("items_price", order.get("total_price"))
        if value is None:
            raise BadCart("order_lines: missing")
        return _money(value, "items_price")
    if not isinstance(lines, list):
        raise BadCart("order_lines: not a list")
    total = Decimal(0)
    for index, line in enumerate(lines):
        where = f"order_lines[{index}]"
        if not isinstance(line, dict):
            raise BadCart(f"{where}: not an object")
        if line.get("total_price") is not None:
            total += _money(line["total_price"], f"{where}.total_price")
        else:
            price = _money(line.get("sale_price"), f"{where}.sale_price")
            total += price * _quantity(line.get("quantity"), f"{where}.quantity")
    return total


def client_id(order: dict) -> str | None:
    client = order.get("client")
    value = client.get("id") if isinstance(client, dict) else order.get("client_id")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        return None
    return str(value).strip()[:64]


def order_of(body: Any) -> dict:
    """The order InSales posts, bare or as ``{"order": {...}}``."""
    if isinstance(body, dict) and isinstance(body.get("order"), dict):
        body = body["order"]
    if not isinstance(body, dict):
        raise BadCart("body: not an order object")
    return body


def quote(shop: Shop, body: Any) -> Discount:
    """The discount for this cart: the shopper's newest held, unexpired hold, capped at the cart."""
    order = order_of(body)
    total = cart_total(order)
    shopper = client_id(order)
    customer = lookup.find(shop.id, shopper) if shopper else None
    if customer is None:
        return NONE
    hold = (Hold.select().where((Hold.shop == shop.id) & (Hold.customer == customer.id)
                                & (Hold.status == HoldStatus.HELD) & (Hold.expires_at > clock.now()))
            .order_by(Hold.created_at.desc(), Hold.id.desc()).first())
    if hold is None:
        return NONE
    amount = min(Decimal(hold.amount), total).quantize(CENT)
    return Discount(amount, DISCOUNT_TITLE.format(code=hold.code))
