"""Redeeming points: hold, commit by the paid order, release on timeout, cancel or cancellation."""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime, timedelta

import pytest

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, Hold, LedgerEntry
from plugin.core.status import HoldStatus
from plugin.spend import redemption
from tests.helpers import fixture_json, in_threads

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
CART = [{"line_id": "1", "sku": "A", "amount": "1000.00"}]
START = datetime(2026, 11, 22, 12, 0)


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


@pytest.fixture
def rich(shop):
    """A customer with 300 spendable points (a sign-up bonus and an adjustment-like grant)."""
    at(START)
    with session(), database.atomic():
        customer = customers.ensure(shop.id, "207119551")
        ledger.grant(customer, 100, kind=EntryKind.BONUS, source="s", rule={}, key="g1")
        ledger.grant(customer, 200, kind=EntryKind.BONUS, source="s", rule={}, key="g2",
                     expires_at=START + timedelta(days=30))
    return customer


def balance(customer: Customer) -> int:
    with session():
        return sum(ledger.balances(customer).values())


def hold(customer, points=120, key="k1") -> Hold:
    with session():
        return redemption.redeem(customer, points=points, point_type="regular", lines=CART, key=key,
                                 currency="USD")


def test_a_redemption_holds_the_points_soonest_to_expire_first(rich):
    held = hold(rich)
    assert held.status == HoldStatus.HELD and held.code.startswith("LOY-") and held.amount == 120
    assert balance(rich) == 180
    with session():
        kinds = [(e.kind, e.delta) for e in LedgerEntry.select().where(LedgerEntry.kind == EntryKind.HOLD)]
    assert kinds == [("hold", -120)]  # all from the lot that expires in 30 days
    assert held.expires_at == START + timedelta(minutes=30)


def test_a_retry_with_the_same_key_returns_the_same_code(rich):
    assert hold(rich).code == hold(rich).code
    assert balance(rich) == 180


def test_more_than_the_cap_allows_is_refused_before_anything_is_held(rich):
    with pytest.raises(redemption.RedemptionError):
        with session():
            redemption.redeem(rich, points=2000, point_type="regular", lines=CART, key="k", currency="USD")
    assert balance(rich) == 300


def test_the_paid_order_that_used_the_code_commits_the_hold(rich, post_webhook, drain):
    held = hold(rich)
    order = copy.deepcopy(ORDER)
    order["discount_codes"] = [{"code": held.code.lower(), "amount": "120.00", "type": "fixed_amount"}]
    post_webhook("orders/paid", order)
    drain()
    with session():
        assert Hold.get_by_id(held.id).status == HoldStatus.COMMITTED
    assert balance(rich) == 180 + 29


def test_an_abandoned_hold_comes_back_after_the_timeout(rich):
    hold(rich)
    at(START + timedelta(minutes=29))
    assert redemption.release_expired() == 0
    at(START + timedelta(minutes=31))
    assert redemption.release_expired() == 1
    assert balance(rich) == 300
    assert redemption.release_expired() == 0


def test_the_shopper_cancels_and_the_points_return_to_their_lots(rich):
    held = hold(rich)
    with session():
        redemption.cancel(held)
        with pytest.raises(redemption.RedemptionError):
            redemption.cancel(Hold.get_by_id(held.id))
        lots = [lot.remaining for lot in ledger.open_lots(rich)]
    assert lots == [200, 100]


def test_cancelling_the_order_gives_back_what_its_discount_used(rich, post_webhook, drain):
    held = hold(rich)
    order = copy.deepcopy(ORDER)
    order["discount_codes"] = [{"code": held.code}]
    post_webhook("orders/paid", order)
    post_webhook("orders/cancelled", order)
    drain()
    with session():
        assert Hold.get_by_id(held.id).status == HoldStatus.RELEASED
    assert balance(rich) == 300


def test_fifty_simultaneous_redemptions_never_hold_more_than_the_balance(rich):
    outcomes, barrier = [], threading.Barrier(50)

    def redeem(n: int) -> None:
        barrier.wait()
        try:
            with session():
                redemption.redeem(rich, points=25, point_type="regular", lines=CART, key=f"t{n}",
                                  currency="USD")
            outcomes.append("held")
        except (redemption.NotEnoughPoints, redemption.RedemptionError):
            outcomes.append("refused")
        finally:
            if not database.is_closed():
                database.close()

    in_threads(redeem, [(n,) for n in range(50)])
    assert len(outcomes) == 50
    assert outcomes.count("held") == 12  # 12 x 25 = 300; the other 38 are refused
    assert balance(rich) == 0
