"""Programs at work on real webhooks: versions on lots, first orders, pending points, limits,
and what each reversal policy does when the points were already spent."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from plugin import ledger
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, Event, LedgerEntry, Lot
from plugin.program import versions
from plugin.program.document import DEFAULT
from tests.helpers import fixture_json

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
REFUND = fixture_json("shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json")
BOB = "207119551"


def program(shop, **earning_changes) -> int:
    doc = copy.deepcopy(DEFAULT)
    policy = earning_changes.pop("reversal_policy", "clamp")
    doc["earning"].update(earning_changes)
    doc["reversal_policy"] = policy
    with session():
        return versions.save(shop.id, doc, author="test").number


def order(order_id: int, *lines: tuple[str, str]) -> dict:
    body = copy.deepcopy(ORDER)
    body["id"] = order_id
    template = body["line_items"][0]
    body["line_items"] = [{**template, "id": order_id * 10 + n, "sku": sku, "price": price, "quantity": 1,
                           "discount_allocations": []} for n, (sku, price) in enumerate(lines)]
    return body


def bob():
    with session():
        customer = Customer.get(Customer.platform_id == BOB)
        return customer, ledger.balances(customer), ledger.spendable(customer)


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def test_every_lot_records_the_program_version_that_produced_it(shop, post_webhook, drain):
    post_webhook("orders/paid", order(1, ("A", "100.00")))
    drain()
    version = program(shop, rate={"kind": "percent", "percent": "10"})
    post_webhook("orders/paid", order(2, ("A", "100.00")))
    drain()
    with session():
        lots = [(lot.program_version, lot.original) for lot in Lot.select().order_by(Lot.id)]
    assert lots == [(None, 5), (version, 10)]


def test_the_first_order_minimum_applies_to_the_first_order_only(shop, post_webhook, drain):
    program(shop, first_order_min_points=1000)
    post_webhook("orders/paid", order(1, ("A", "100.00")))
    post_webhook("orders/paid", order(2, ("A", "100.00")))
    drain()
    with session():
        earned = [e.delta for e in LedgerEntry.select().order_by(LedgerEntry.id)]
    assert earned == [1000, 5]


def test_a_refund_of_a_first_order_after_a_program_change_keeps_the_old_rules(shop, post_webhook, drain):
    program(shop, first_order_min_points=1000)
    post_webhook("orders/paid", ORDER)
    drain()
    program(shop, rate={"kind": "percent", "percent": "50"})  # no minimum any more, a richer rate
    post_webhook("refunds/create", REFUND)
    drain()
    assert bob()[1] == {"regular": 1000}  # still a first order under the version it earned with


def test_pending_points_count_in_the_balance_but_cannot_be_spent_yet(shop, post_webhook, drain):
    at(datetime(2026, 11, 1, 12))
    program(shop, pending_days=14)
    post_webhook("orders/paid", ORDER)
    drain()
    _, balance, spendable = bob()
    assert (balance, spendable) == ({"regular": 29}, {})
    at(datetime(2026, 11, 16, 12))
    assert bob()[2] == {"regular": 29}


@pytest.mark.parametrize(("days_later", "left"), [(3, 19), (20, 29)])
def test_pending_only_policy_reverses_only_inside_the_return_window(shop, post_webhook, drain,
                                                                    days_later, left):
    at(datetime(2026, 11, 1, 12))
    program(shop, pending_days=14, reversal_policy="pending_only")
    post_webhook("orders/paid", ORDER)
    drain()
    at(datetime(2026, 11, 1, 12) + timedelta(days=days_later))
    post_webhook("refunds/create", REFUND)
    drain()
    assert bob()[1] == {"regular": left}
    if left == 29:
        with session():
            assert "pending_only" in Event.get(Event.topic == "refunds/create").error


def spend_everything_from_the_order_lot() -> None:
    with session(), database.atomic():
        lot = Lot.get(Lot.source == "order:450789469")
        ledger.debit(lot, lot.remaining, kind=EntryKind.SPEND, key="test-spend")


def test_clamp_policy_takes_spent_points_from_other_lots_never_below_zero(shop, post_webhook, drain):
    post_webhook("customers/create", {"id": int(BOB), "email": "bob@example.com"})  # 100 points
    post_webhook("orders/paid", ORDER)  # 29 points
    drain()
    spend_everything_from_the_order_lot()
    post_webhook("orders/cancelled", ORDER)
    drain()
    assert bob()[1] == {"regular": 71}  # 129 - 29 spent - 29 reversed from the sign-up lot


def test_negative_policy_records_a_debt_that_the_next_points_pay_off(shop, post_webhook, drain):
    program(shop, reversal_policy="negative")
    post_webhook("orders/paid", ORDER)
    drain()
    spend_everything_from_the_order_lot()
    post_webhook("orders/cancelled", ORDER)
    drain()
    assert bob()[1] == {"regular": -29}
    post_webhook("orders/paid", order(2, ("A", "1000.00")))  # earns 50: 29 pay the debt
    drain()
    customer, balance, spendable = bob()
    assert balance == {"regular": 21} and spendable == {"regular": 21}
    with session():
        assert [lot.remaining for lot in Lot.select().where(Lot.source == "debt")] == [0]


def test_daily_earning_limit_caps_the_second_order(shop, post_webhook, drain):
    at(datetime(2026, 11, 2, 10))
    program(shop, limits={"per_day": 50, "per_month": None}, rate={"kind": "percent", "percent": "10"})
    post_webhook("orders/paid", order(1, ("A", "400.00")))
    post_webhook("orders/paid", order(2, ("A", "400.00")))
    drain()
    at(datetime(2026, 11, 3, 10))
    post_webhook("orders/paid", order(3, ("A", "400.00")))
    drain()
    with session():
        earned = [e.delta for e in LedgerEntry.select().order_by(LedgerEntry.id)]
    assert earned == [40, 10, 40]


def test_applying_any_event_twice_changes_nothing(shop, post_webhook, drain):
    from plugin.pipeline import apply

    program(shop, rate={"kind": "bands", "bands": [{"from": "100", "points": 70}]}, pending_days=3)
    for topic, body in (("customers/create", {"id": int(BOB)}), ("orders/paid", ORDER),
                        ("refunds/create", REFUND), ("orders/cancelled", ORDER)):
        post_webhook(topic, body)
    drain()
    before = bob()[1]
    with session():
        entries = LedgerEntry.select().count()
        for event in Event.select().order_by(Event.id):
            with database.atomic():
                apply.HANDLERS[event.kind](event)
        assert LedgerEntry.select().count() == entries
    assert bob()[1] == before == {"regular": 100}
