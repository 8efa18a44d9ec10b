"""IFRS 15 (and FSBU 9/2025, built on it) accounting of loyalty points: a sale's price is shared
between the goods and the points it earns by relative stand-alone selling price; the points' share
is a contract liability (deferred revenue), recognised as points are redeemed, in proportion to the
redemptions expected in all, so expected breakage is recognised along the way (IFRS 15.B46).

The figures of IFRS 15 Illustrative Example 52 (IE267-IE270) are this module's unit test.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal, unit: Decimal = CENT) -> Decimal:
    return value.quantize(unit, ROUND_HALF_UP)


def points_selling_price(points: int, point_value: Decimal, expected_redemption: Decimal) -> Decimal:
    """The stand-alone selling price of points: their face value times the likelihood of redemption."""
    return Decimal(points) * point_value * expected_redemption


def allocated_to_points(price: Decimal, goods_selling_price: Decimal, points_price: Decimal) -> Decimal:
    """The part of a sale's price allocated to its points by relative stand-alone selling price."""
    whole = goods_selling_price + points_price
    return price * points_price / whole if whole > 0 else Decimal(0)


def expected_redemptions(issued: int, redeemed: int, expired: int, rate: Decimal) -> Decimal:
    """Points expected to be redeemed in all: the rate of what was issued, never less than has been
    redeemed, never more than can still be (what expired will not be)."""
    return min(max(Decimal(issued) * rate, Decimal(redeemed)), Decimal(max(issued - expired, redeemed)))


def recognised_to_date(allocated: Decimal, redeemed: int, expected: Decimal) -> Decimal:
    """Revenue recognised for points so far: the allocated price times redeemed over expected (the
    cumulative catch-up: a changed estimate corrects the total, not just the next period)."""
    if expected <= 0:
        return allocated
    return allocated * min(Decimal(redeemed) / expected, Decimal(1))


@dataclass
class Pool:
    """The points of a period's sales as one pool: allocated price and points issued, redeemed and
    expired so far. ``recognise`` is called at each period end with that period's estimate."""
    allocated: Decimal = Decimal(0)
    issued: int = 0
    redeemed: int = 0
    expired: int = 0
    recognised: Decimal = Decimal(0)

    def sell(self, allocated: Decimal, points: int) -> None:
        self.allocated += allocated
        self.issued += points

    def recognise(self, rate: Decimal) -> Decimal:
        """Close a period: the revenue it recognises (the new cumulative total minus the old)."""
        expected = expected_redemptions(self.issued, self.redeemed, self.expired, rate)
        total = recognised_to_date(self.allocated, self.redeemed, expected)
        if self.issued and self.redeemed + self.expired >= self.issued:
            total = self.allocated  # every point is settled: nothing is owed any more
        period, self.recognised = total - self.recognised, total
        return period

    @property
    def liability(self) -> Decimal:
        """The contract liability: allocated and not yet recognised."""
        return self.allocated - self.recognised
