"""The widget's one-statement shopper reads answer exactly as the separate reads they replace:
the customer with their tier progress (account), with their tier row, first order and held
discount (quote), and with whether they hold a discount (offers)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from plugin import customers, tiers
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.models import CustomerTier, Hold, Order
from plugin.core.status import HoldStatus
from plugin.customers import shops
from plugin.program import document, order_points, versions
from plugin.spend import offers
from plugin.tiers import perks, standing
from tests.tiers.test_tiers import HISTORY, LADDER

NOW = datetime(2026, 6, 1, 12, 0)
SHOPPERS = ("tiered", "assigned", "untiered", "no-orders", "never-seen")


def _program(shop_id: int, metric: str | None, window: str = "lifetime") -> dict:
    doc = copy.deepcopy(document.DEFAULT)
    if metric:
        doc["tiers"] = {"metric": metric, "window": window, "tiers": LADDER}
    versions.save(shop_id, doc, author="test")
    return versions.current(shop_id)[1]


def _order(shop_id: int, customer_id: int, key: str, moment: datetime, eligible: str, refunded: str = "0",
           earned: int = 0, cancelled: bool = False) -> None:
    Order.create(shop=shop_id, platform_id=key, customer=customer_id, currency="USD", order={},
                 eligible=Decimal(eligible), refunded=Decimal(refunded), earned=earned,
                 reversed=earned if cancelled else 0, cancelled=cancelled, created_at=moment)


def _hold(shop_id: int, customer_id: int, key: str, amount: str, status: str = HoldStatus.HELD,
          expires_in: timedelta = timedelta(minutes=30), reward: str | None = None) -> None:
    Hold.create(shop=shop_id, customer=customer_id, point_type="regular", points=0, lots={}, code=key,
                amount=Decimal(amount), reward=reward, idempotency_key=key, status=status,
                expires_at=NOW + expires_in)


@pytest.fixture
def shoppers(shop):
    """Shoppers with a tier row (one assigned, with a downgrade due), with orders but no tier row,
    with neither; holds of every kind; and another shop whose same-named shopper has orders."""
    clock.set_source(lambda: NOW.replace(tzinfo=UTC))
    other, _ = shops.register("shopify", "other.myshopify.com")
    with session(), database.atomic():
        ids = {c.platform_id: c.id for c in customers.ensure_many(shop.id, dict.fromkeys(SHOPPERS[:4]))
               .values()}
        for name in ("tiered", "assigned", "untiered"):
            for n, (moment, eligible, refunded, points) in enumerate(HISTORY):
                _order(shop.id, ids[name], f"{name}-{n}", moment, eligible, refunded, points)
            _order(shop.id, ids[name], f"{name}-x", datetime(2026, 2, 1), "700", earned=7, cancelled=True)
        CustomerTier.create(shop=shop.id, customer=ids["tiered"], tier_id="silver")
        CustomerTier.create(shop=shop.id, customer=ids["assigned"], tier_id="vip", assigned=True,
                            downgrade_due=NOW + timedelta(days=9))
        _hold(shop.id, ids["tiered"], "old", "5.00")
        _hold(shop.id, ids["tiered"], "new", "7.50", reward="r1")  # the newest held: the one quoted
        _hold(shop.id, ids["assigned"], "lapsed", "3.00", expires_in=timedelta(minutes=-1))
        _hold(shop.id, ids["assigned"], "released", "3.00", status=HoldStatus.RELEASED)
        _hold(shop.id, ids["untiered"], "reward", "0", reward="free-ship")  # held, but no amount off
        stranger = customers.ensure(other.id, "no-orders")
        _order(other.id, stranger.id, "elsewhere", datetime(2026, 3, 1), "900", earned=9)
        _hold(other.id, stranger.id, "elsewhere", "4.00")
    return shop


def _same_customer(merged, alone) -> None:
    assert (merged is None) == (alone is None)
    if alone is not None:
        assert {k: v for k, v in merged.__data__.items() if k in alone.__data__} == alone.__data__


@pytest.mark.parametrize("metric, window", [
    (None, "lifetime"),
    ("amount_spent", "lifetime"), ("amount_spent", "rolling_12_months"), ("amount_spent", "calendar_year"),
    ("orders", "lifetime"), ("orders", "calendar_year"),
    ("points_earned", "lifetime"), ("points_earned", "rolling_12_months"),
])
def test_the_customer_with_progress_is_the_customer_and_their_progress(shoppers, metric, window):
    with session():
        program = _program(shoppers.id, metric, window)
        seen = []
        for platform_id in SHOPPERS:
            customer, progress = standing.find_with_progress(shoppers.id, platform_id, program)
            alone = customers.find(shoppers.id, platform_id)
            _same_customer(customer, alone)
            assert progress == tiers.progress(program, alone)
            seen.append(progress and (progress["tier"]["id"], progress["value"], progress["assigned"]))
    if metric == "orders" and window == "lifetime":  # the cases are the ones meant
        assert seen == [("silver", "4", False), ("vip", "4", True), ("novice", "4", False),
                        ("novice", "0", False), ("novice", "0", False)]


def _columns(row: CustomerTier | None) -> tuple | None:
    return row and (row.tier_id, row.assigned, row.downgrade_due)


@pytest.mark.parametrize("metric", [None, "orders"])
def test_the_quote_read_is_the_tier_row_first_order_and_held_discount(shoppers, metric):
    with session():
        program = _program(shoppers.id, metric)
        found = {}
        for platform_id in SHOPPERS:
            customer, row, quoting = perks.find_for_quote(shoppers.id, platform_id, program)
            alone = customers.find(shoppers.id, platform_id)
            _same_customer(customer, alone)
            assert _columns(row) == _columns(perks.tier_row(program, alone))
            if alone is None:
                assert quoting is None
                continue
            held = order_points.active_discount(alone)
            assert quoting.ordered == bool(order_points._has_ordered(alone.id))
            assert (quoting.discount and (quoting.discount.amount, quoting.discount.reward)) == \
                   (held and (held.amount, held.reward))
            found[platform_id] = (row and row.tier_id, quoting.ordered,
                                  quoting.discount and quoting.discount.amount)
    assert found == {"tiered": (metric and "silver", True, Decimal("7.5")),
                     "assigned": (metric and "vip", True, None),
                     "untiered": (None, True, None), "no-orders": (None, False, None)}


def test_the_offers_read_says_whether_a_discount_is_held(shoppers):
    with session():
        found = {}
        for platform_id in SHOPPERS:
            customer, holding = offers.shopper(shoppers.id, platform_id, NOW)
            alone = customers.find(shoppers.id, platform_id)
            _same_customer(customer, alone)
            assert holding == bool(alone and offers._held(alone.id, NOW))
            found[platform_id] = holding
    # a reward hold with no amount off is a held discount here (no second "spend N points" offer)
    assert found == {"tiered": True, "assigned": False, "untiered": True, "no-orders": False,
                     "never-seen": False}
