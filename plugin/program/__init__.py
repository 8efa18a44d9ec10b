"""The store's program: its document, its versions, and what it makes things earn."""

from __future__ import annotations

from decimal import Decimal


def money(amount: Decimal) -> str:
    """An amount as people read it: two decimals, more only when the amount has them."""
    cents = amount.quantize(Decimal("0.01"))
    return str(cents) if amount == cents else str(amount.normalize())
