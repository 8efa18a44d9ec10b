"""IFRS 15 Illustrative Example 52 (IE267-IE270), a customer loyalty programme, with its numbers.

A retailer gives 1 point per 10 spent, each point a discount of 1. In year 1 customers buy
products for 100,000 (their stand-alone selling price) and earn 10,000 points; 97% are expected to
be redeemed, so the points' stand-alone selling price is 9,700 and they are allocated
100,000 x 9,700 / 109,700 = 8,842. Year 1: 4,500 redeemed, 9,700 still expected: 4,500 / 9,700 x
8,842 = 4,102 recognised. Year 2: 8,500 redeemed in all, now 9,900 expected: 8,500 / 9,900 x 8,842
- 4,102 = 3,490 recognised; the contract liability left is 8,842 - 7,592 = 1,250.
KPMG's handbook (Example 10A) rounds the allocation to 9%, 9,000, and gets 4,175 and 3,552.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from plugin.reports.economics import ifrs15

UNIT = Decimal(1)


def test_the_points_share_of_the_price_is_8842():
    price = ifrs15.points_selling_price(10_000, Decimal(1), Decimal("0.97"))
    assert price == Decimal(9700)
    assert ifrs15.money(ifrs15.allocated_to_points(Decimal(100_000), Decimal(100_000), price), UNIT) == 8842


def year_by_year(allocated: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(revenue recognised, contract liability) at the end of each year, rounded to units."""
    pool = ifrs15.Pool()
    pool.sell(allocated, 10_000)
    pool.redeemed = 4_500
    first = pool.recognise(Decimal("0.97"))
    after_first = pool.liability
    pool.redeemed = 8_500
    second = pool.recognise(Decimal("0.99"))
    return [(ifrs15.money(first, UNIT), ifrs15.money(after_first, UNIT)),
            (ifrs15.money(second, UNIT), ifrs15.money(pool.liability, UNIT))]


def test_revenue_recognised_by_year_as_the_standard_states_it():
    share = ifrs15.allocated_to_points(Decimal(100_000), Decimal(100_000), Decimal(9_700))
    allocated = ifrs15.money(share, UNIT)
    assert year_by_year(allocated) == [(4_102, 4_740), (3_490, 1_250)]


def test_the_handbooks_rounded_allocation_gives_its_numbers_too():
    assert [revenue for revenue, _ in year_by_year(Decimal(9_000))] == [4_175, 3_552]


def test_expired_points_end_the_obligation():
    """Once every point is redeemed or expired, all the allocated price has been recognised."""
    pool = ifrs15.Pool()
    pool.sell(Decimal(500), 1_000)
    pool.redeemed, pool.expired = 600, 400
    assert pool.recognise(Decimal("0.9")) == Decimal(500) and pool.liability == 0


@given(st.integers(1, 10**6), st.integers(0, 100), st.integers(0, 100), st.integers(0, 100))
def test_recognition_never_exceeds_the_allocation(issued, redeemed_pct, expired_pct, rate_pct):
    pool = ifrs15.Pool()
    pool.sell(Decimal(issued), issued)
    pool.redeemed = issued * redeemed_pct // 100
    pool.expired = min(issued - pool.redeemed, issued * expired_pct // 100)
    pool.recognise(Decimal(rate_pct) / 100)
    assert 0 <= pool.recognised <= pool.allocated and pool.liability >= 0
