"""An order's amounts in the shop's currency, and what a line really cost: Shopify sends an order
paid in another currency with both amounts, and the plugin never mixes a converted one with one
that is not."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError


class ShopMoney:
    """Amounts in the shop's currency only. An order paid in the shop's currency has one amount per
    field; one paid in another takes every amount from its ``*_set``'s ``shop_money`` (Shopify's
    plain discount amounts are in the buyer's currency there), and an amount without it is refused,
    naming it: a converted and an unconverted amount are never mixed."""

    def __init__(self, currency: str | None, converted: bool):
        self.currency = currency.upper() if currency else None
        self.converted = converted

    def pick(self, plain: Decimal | None, bag: dict | None, path: str) -> Decimal:
        if not self.converted:
            return plain if plain is not None else (bag["shop_money"]["amount"] if bag else Decimal(0))
        if bag is None:
            raise ValidationError({f"{path}_set": ["the order is in another currency than the "
                                                   "shop's and this amount has no shop_money"]})
        money = bag["shop_money"]
        if self.currency and money["currency_code"].upper() != self.currency:
            raise ValidationError({f"{path}_set": [f"shop_money is in {money['currency_code']}, "
                                                   f"the order in {self.currency}"]})
        return money["amount"]

    def line(self, line: dict, path: str) -> dict:
        """The line with its price, discount and allocations in the shop's currency."""
        allocations = line["discount_allocations"]
        return {**line, "price": self.pick(line["price"], line["price_set"], f"{path}.price"),
                "total_discount": self.pick(line["total_discount"], line["total_discount_set"],
                                            f"{path}.total_discount"),
                "discount_allocations": None if allocations is None else [
                    {"amount": self.pick(a["amount"], a["amount_set"],
                                         f"{path}.discount_allocations.{n}.amount")}
                    for n, a in enumerate(allocations)]}

    def shipping(self, lines: list[dict]) -> Decimal:
        return sum((self.pick(s["price"], s["price_set"], f"shipping_lines.{n}.price")
                    - sum((self.pick(a["amount"], a["amount_set"],
                                     f"shipping_lines.{n}.discount_allocations.{k}.amount")
                           for k, a in enumerate(s["discount_allocations"])), Decimal(0))
                    for n, s in enumerate(lines)), Decimal(0))


def line_amount(line: dict) -> Decimal:
    """What a line really cost: price x quantity less the discounts allocated to it."""
    allocations = line["discount_allocations"]
    discount = (sum((a["amount"] for a in allocations), Decimal(0)) if allocations is not None
                else line["total_discount"])
    return max(Decimal(0), line["price"] * line["quantity"] - discount)
