"""Tier benefits at checkout: the standing discount % and the free-shipping threshold of a tier.

The quote shows them on the cart and prices the rest of the cart (what it earns, what points may
pay) after the standing discount, as the order will be. On Shopify they apply by themselves
(plugin.tiers.sync: one automatic discount per tier benefit, for the tier's customer segment);
another store applies the figures the quote gives.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from plugin import customers
from plugin.core import clock
from plugin.core.models import Customer, CustomerTier
from plugin.core.prepared import Prepared
from plugin.program import order_points
from plugin.tiers.levels import held, ladder
from plugin.tiers.standing import held_of, with_held

CENT = Decimal("0.01")


def tier_of(program: dict, customer: Customer | None) -> dict | None:
    """The tier the customer holds (the lowest visible tier before any evaluation); None when
    the program has no tiers. A guest holds the lowest tier too: its benefits are everyone's."""
    return tier_in(program, tier_row(program, customer))


def tier_row(program: dict, customer: Customer | None) -> CustomerTier | None:
    """The customer's tier row, read only when the program has tiers (none before an evaluation)."""
    return held(customer.id) if customer and program.get("tiers") else None


def find_for_quote(shop_id: int, platform_id: str, program: dict
                   ) -> tuple[Customer | None, CustomerTier | None, order_points.Quoting | None]:
    """The shopper's customer row (None: never seen), ``tier_row`` and what order_points.quote
    reads of them, in one statement."""
    rows = _for_quote(shop_id, platform_id, clock.now())
    if not rows:
        return None, None, None
    customer = rows[0]
    return customer, held_of(customer) if program.get("tiers") else None, order_points.quoting_of(customer)


@Prepared
def _for_quote(shop_id: int, platform_id: str, now: datetime):
    return order_points.with_quoting(with_held(customers.finding(shop_id, platform_id)), now)


def tier_in(program: dict, row: CustomerTier | None) -> dict | None:
    """The tier ``row`` names, as ``tier_of`` (for a caller that needs the row too)."""
    if not program.get("tiers"):
        return None
    by_id = {tier["id"]: tier for tier in program["tiers"]["tiers"]}
    return (by_id.get(row.tier_id) if row else None) or ladder(program)[0]


def has_benefits(tier: dict) -> bool:
    return tier["discount_percent"] > 0 or tier["free_shipping_threshold"] is not None


def _merchandise(order: dict) -> Decimal:
    """What the standing discount applies to: the lines after their own discounts, no gift cards."""
    return sum((Decimal(line["amount"]) for line in order["lines"] if not line.get("gift_card")),
               Decimal(0))


def _line_paid(amount: Decimal, percent: Decimal) -> Decimal:
    """A line less the standing discount, rounded down per line: Shopify's automatic discount
    takes the percentage off every item, so the order's discount is the sum of the lines'."""
    return (amount * (100 - percent) / 100).quantize(CENT, rounding=ROUND_FLOOR)


def _ships_free(tier: dict, subtotal: Decimal) -> bool:
    return tier["free_shipping_threshold"] is not None and subtotal >= tier["free_shipping_threshold"]


def for_cart(tier: dict, order: dict) -> dict:
    """What the tier gives on this cart: the amount off, and whether shipping is free."""
    subtotal = _merchandise(order)
    paid = sum((_line_paid(Decimal(line["amount"]), tier["discount_percent"])
                for line in order["lines"] if not line.get("gift_card")), Decimal(0))
    off = (subtotal - paid).quantize(CENT)
    threshold = tier["free_shipping_threshold"]
    free = _ships_free(tier, subtotal)
    shipping = Decimal(order.get("shipping") or 0) if free else Decimal(0)
    return {
        "tier": tier["id"], "title": tier["title"],
        "discount_percent": format(tier["discount_percent"].normalize(), "f"),
        "discount": str(off),
        "free_shipping": free,
        "free_shipping_threshold": None if threshold is None else str(threshold.quantize(CENT)),
        "shipping_saved": str(shipping.quantize(CENT)),
        "to_free_shipping": (str((threshold - subtotal).quantize(CENT))
                             if threshold is not None and not free else None),
    }


def discounted(order: dict, tier: dict | None) -> dict:
    """The order as it will be paid: each line less the standing discount (rounded down per line,
    as the store prorates it), and no shipping when the tier makes it free."""
    if tier is None or not has_benefits(tier):
        return order
    lines = [line if line.get("gift_card") else
             {**line, "amount": str(_line_paid(Decimal(line["amount"]), tier["discount_percent"]))}
             for line in order["lines"]]
    free = _ships_free(tier, _merchandise(order))
    return {**order, "lines": lines, "shipping": "0" if free else order.get("shipping", "0")}
