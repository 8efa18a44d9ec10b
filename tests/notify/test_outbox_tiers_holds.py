"""Tier moves, downgrade warnings, "you are close to a tier" and redemption holds as outbox messages."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from plugin import customers, ledger, tiers
from plugin.core import clock, reasons
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, OutboxMessage
from plugin.program import document, versions
from plugin.spend import redemption
from tests.helpers import fixture_json, line_refund, priced_order

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
REFUND = fixture_json("shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json")
BOB = "207119551"  # the customer of the order fixture
T0 = datetime(2026, 6, 1, 12, 0)
LADDER = [
    {"id": "novice", "title": {"en": "Novice", "ru": "Новичок"}, "threshold": "0"},
    {"id": "bronze", "title": {"en": "Bronze", "ru": "Бронза"}, "threshold": "500"},
    {"id": "silver", "title": {"en": "Silver", "ru": "Серебро"}, "threshold": "3000"},
    {"id": "gold", "title": {"en": "Gold", "ru": "Золото"}, "threshold": "5000"},
]
CART = [{"line_id": "1", "sku": "A", "amount": "1000.00"}]


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def of_type(kind: str) -> list[OutboxMessage]:
    with session():
        return list(OutboxMessage.select().where(OutboxMessage.type == kind).order_by(OutboxMessage.id))


def test_tier_moves_warnings_and_nearness_are_told_once_each(shop, post_webhook, drain):
    with session():
        doc = copy.deepcopy(document.DEFAULT)
        doc["tiers"] = {"metric": "amount_spent", "window": "lifetime", "grace_days": 30, "tiers": LADDER}
        versions.save(shop.id, doc, author="test")
    at(T0)
    post_webhook("orders/paid", priced_order(1, "460.00"))  # placed on novice: no news; 40 from bronze
    drain()
    assert of_type("tier.changed") == []
    [close] = of_type("tier.approaching")
    assert close.data == {"tier": "bronze", "tier_name": "Bronze", "missing": "40.00", "measure": "spend",
                          "currency": "USD"}
    body = priced_order(2, "2500.00", "1000.00")
    post_webhook("orders/paid", body)  # 3960 spent: silver
    drain()
    [moved] = of_type("tier.changed")
    assert moved.data == {"from_tier": "novice", "from_name": "Novice", "to_tier": "silver",
                          "to_name": "Silver", "direction": "up"}
    at(T0 + timedelta(days=1))
    post_webhook("refunds/create", line_refund(body, 1, 901))  # 2960: below silver
    drain()
    at(T0 + timedelta(days=2))
    tiers.reevaluate_all()  # the daily job warns
    tiers.reevaluate_all()
    [warning] = of_type("tier.downgrade_warning")
    assert (warning.data["tier"], warning.data["to_tier"]) == ("silver", "bronze")
    assert warning.data["on"] == (T0 + timedelta(days=32)).isoformat() + "+00:00"
    post_webhook("orders/paid", priced_order(3, "1.00"))  # evaluated again: nothing new to tell
    drain()
    assert len(of_type("tier.downgrade_warning")) == 1 and len(of_type("tier.approaching")) == 1
    at(T0 + timedelta(days=32))
    tiers.reevaluate_all()  # down on the date; 39 short of silver again
    down = of_type("tier.changed")[-1]
    assert (down.data["from_tier"], down.data["to_tier"]) == ("silver", "bronze")
    assert down.data["direction"] == "down"
    assert [m.data["tier"] for m in of_type("tier.approaching")] == ["bronze", "silver"]
    with session():
        customer = Customer.get(Customer.platform_id == BOB)
        assert {m.customer_id for m in of_type("tier.changed")} == {customer.id}


def test_a_reward_hold_is_issued_and_holds_are_committed_or_released_once(shop):
    at(T0)
    with session(), database.atomic():
        customer = customers.ensure(shop.id, BOB)
        ledger.grant(customer, 1000, kind=EntryKind.BONUS, source="s", rule={}, key="g1")
    with session():
        reward = redemption.redeem(customer, discount=redemption.Discount(
            200, "regular", Decimal("10.00"), reward="free-shipping"), lines=CART, key="r1", currency="USD")
        plain = redemption.redeem(customer, points=100, point_type="regular", lines=CART, key="p1",
                                  currency="USD")
        redemption.commit(shop.id, [reward.code], "5001")
        redemption.commit(shop.id, [reward.code], "5001")  # the same order again
        redemption.release(plain.id, reason=reasons.hold_released("shopper_cancelled"))
        redemption.release(plain.id, reason=reasons.hold_released("shopper_cancelled"))
    [issued] = of_type("reward.issued")
    assert issued.data == {"hold_id": reward.id, "code": reward.code, "points": 200, "point_type": "regular",
                           "reward": "free-shipping", "balance": 800}
    [committed] = of_type("redemption.committed")
    assert committed.data["order_id"] == "5001" and committed.key == f"redemption.committed:{reward.id}"
    [released] = of_type("redemption.released")
    assert released.data["code"] == plain.code and released.data["points"] == 100
    assert [m.data["points"] for m in of_type("points.spent")] == [200, 100]
