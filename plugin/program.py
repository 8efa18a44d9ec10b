"""The default program every new shop runs until the rules issue makes it configurable."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

EARN_RULE = {"program": "default", "rule": "percent_of_eligible", "percent": "5",
             "rounding": "down"}
SIGNUP_RULE = {"program": "default", "rule": "signup_bonus", "points": 100}


def eligible_amount(lines: list[dict]) -> Decimal:
    """Line items after discounts; gift cards earn nothing (shipping and tax never reach here)."""
    return sum(
        (Decimal(line["amount"]) for line in lines if not line.get("gift_card")), Decimal(0)
    )


def points_for(amount: Decimal, rule: dict) -> int:
    """Points a rule gives for an eligible amount, rounded down to whole points."""
    if amount <= 0:
        return 0
    exact = amount * Decimal(rule["percent"]) / 100
    return int(exact.to_integral_value(rounding=ROUND_FLOOR))


def money(amount: Decimal) -> str:
    """An amount as people read it: two decimals, more only when the amount has them."""
    return str(amount.quantize(Decimal("0.01"))) if amount == amount.quantize(Decimal("0.01")) \
        else str(amount.normalize())
