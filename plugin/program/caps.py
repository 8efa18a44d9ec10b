"""How many points of each type may pay for a cart: per-type caps, excluded items, balances.

A cap is a share of what points may pay for ("regular points pay at most 10% of the order"),
optionally measured on one category only ("10% of the works amount"). Excluded categories (say
promotional items) and, if the program says so, sale items can never be paid with points.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from plugin.program.earning import categories_of


def payable(program: dict, lines: list[dict], available: dict[str, int]) -> dict:
    """{"amount": what points may pay, "by_type": {type: max points}, "total": max points}."""
    rules = program["redemption"]
    excluded = set(rules["exclude_categories"])
    payable_amount, by_category = Decimal(0), {}
    for line in lines:
        cats = set(categories_of(program, line))
        if line.get("gift_card") or cats & excluded or (line.get("on_sale") and rules["exclude_sale_items"]):
            continue
        amount = Decimal(line["amount"])
        payable_amount += amount
        for name in cats:
            by_category[name] = by_category.get(name, Decimal(0)) + amount
    value = rules["point_value"]
    by_type = {}
    for name, points in available.items():
        if name not in program["point_types"] or points <= 0:
            continue
        cap = program["point_types"][name]["redemption_cap"]
        base = payable_amount
        if cap:
            measured = by_category.get(cap["category"], Decimal(0)) if cap["category"] else payable_amount
            base = min(payable_amount, measured * cap["percent"] / 100)
        by_type[name] = min(points, int((base / value).to_integral_value(rounding=ROUND_FLOOR)))
    most = int((payable_amount / value).to_integral_value(rounding=ROUND_FLOOR))
    return {"amount": str(payable_amount), "by_type": by_type, "total": min(sum(by_type.values()), most)}
