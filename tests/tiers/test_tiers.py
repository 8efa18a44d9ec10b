"""Tiers: every metric window with a moved clock, upgrades with entry bonuses, the downgrade grace,
hidden tiers assigned by the store, the earn multiplier, progress, and the re-evaluation job."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from marshmallow import ValidationError
from peewee import fn

from plugin import customers, ledger, tiers
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, CustomerTier, LedgerEntry, Notice, Order, Shop, TierChange
from plugin.program import document, versions
from tests.helpers import admin_headers, fixture_json, line_refund, priced_order
from widgets.api import account_of

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
REFUND = fixture_json("shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json")
BOB = "207119551"  # the customer of the order fixture
T0 = datetime(2026, 6, 1, 12, 0)
LADDER = [
    {"id": "novice", "title": {"en": "Novice"}, "threshold": "0"},
    {"id": "bronze", "title": {"en": "Bronze"}, "threshold": "500", "earn_multiplier": "1.5",
     "entry_bonus": 50, "discount_percent": "3"},
    {"id": "silver", "title": {"en": "Silver"}, "threshold": "3000", "earn_multiplier": "2",
     "entry_bonus": 100, "discount_percent": "5"},
    {"id": "gold", "title": {"en": "Gold"}, "threshold": "5000", "entry_bonus": 200,
     "discount_percent": "8", "free_shipping_threshold": "0"},
    {"id": "vip", "title": {"en": "VIP"}, "threshold": "0", "earn_multiplier": "3", "hidden": True},
]


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def tiered(metric: str = "amount_spent", window: str = "lifetime", ladder=None, **extra) -> dict:
    doc = copy.deepcopy(document.DEFAULT)
    doc["tiers"] = {"metric": metric, "window": window, "tiers": ladder or LADDER, **extra}
    return doc


@pytest.fixture
def program(shop):
    def save(**kwargs) -> dict:
        with session():
            versions.save(shop.id, tiered(**kwargs), author="test")
            return versions.current(shop.id)[1]
    return save


def headers(app, shop: Shop) -> dict:
    return admin_headers(app, shop)


def bob() -> Customer:
    with session():
        return Customer.get(Customer.platform_id == BOB)


def tier_of(customer: Customer) -> CustomerTier:
    with session():
        return CustomerTier.get(CustomerTier.customer == customer.id)


def bonus_keys(customer: Customer) -> list[str]:
    with session():
        return [e.idempotency_key for e in LedgerEntry.select().where(
            (LedgerEntry.customer == customer.id) & (LedgerEntry.kind == EntryKind.BONUS))
            .order_by(LedgerEntry.id)]


def evaluate(shop: Shop, customer: Customer, moment: datetime) -> str:
    at(moment)
    with session(), database.atomic():
        return tiers.evaluate(shop.id, customer.id, now=moment).tier_id


@pytest.mark.parametrize("change, message", [
    ({"threshold": "10"}, "the first tier starts at 0"),
    ({"id": "bronze"}, "is used twice"),
])
def test_document_rejects_a_bad_ladder(change, message):
    ladder = copy.deepcopy(LADDER)
    ladder[0].update(change)
    with pytest.raises(ValidationError, match=message):
        document.load(tiered(ladder=ladder))


def test_document_rejects_thresholds_that_do_not_ascend():
    ladder = copy.deepcopy(LADDER)
    ladder[2]["threshold"] = "400"
    with pytest.raises(ValidationError) as error:
        document.load(tiered(ladder=ladder))
    assert error.value.messages == {"tiers": {"tiers": {2: {"threshold": ["thresholds must ascend"]}}}}


def test_document_defaults_a_tiers_benefits():
    loaded = document.load(tiered())["tiers"]
    assert loaded["grace_days"] == 30
    assert loaded["tiers"][0]["earn_multiplier"] == Decimal(1)
    assert (loaded["tiers"][0]["entry_bonus"], loaded["tiers"][0]["hidden"]) == (0, False)
    assert "tiers" not in document.DEFAULT


# Spent 1000 (2025-03-01), 2000 (2025-12-15), 400 less 300 refunded and 500 (2026-02-01), and a
# cancelled 700; earned 10, 20 and 5 points on those dates (and a bonus that is not earned).
HISTORY = [(datetime(2025, 3, 1), "1000", "0", 10), (datetime(2025, 12, 15), "2000", "0", 20),
           (datetime(2026, 2, 1), "400", "300", 0), (datetime(2026, 2, 1), "500", "0", 5)]


@pytest.mark.parametrize("metric, window, value", [
    ("amount_spent", "lifetime", "3600"),
    ("amount_spent", "rolling_12_months", "2600"),
    ("amount_spent", "calendar_year", "600"),
    ("orders", "lifetime", "4"),
    ("orders", "rolling_12_months", "3"),
    ("orders", "calendar_year", "2"),
    ("points_earned", "lifetime", "35"),
    ("points_earned", "rolling_12_months", "25"),
    ("points_earned", "calendar_year", "5"),
])
def test_every_metric_counts_only_its_window(shop, program, metric, window, value):
    loaded = program(metric=metric, window=window)
    with session(), database.atomic():
        customer = customers.ensure(shop.id, "c1")
        for n, (moment, eligible, refunded, points) in enumerate(HISTORY):
            at(moment)
            Order.create(shop=shop.id, platform_id=str(n), customer=customer.id, currency="USD",
                         eligible=Decimal(eligible), refunded=Decimal(refunded), order={},
                         created_at=moment, earned=points)
            if points:
                ledger.grant(customer, points, kind=EntryKind.EARN, source=f"o{n}", rule={}, key=f"earn-{n}")
        Order.create(shop=shop.id, platform_id="x", customer=customer.id, currency="USD",
                     eligible=Decimal(700), order={}, cancelled=True, created_at=datetime(2026, 2, 1),
                     earned=7, reversed=7)
        ledger.grant(customer, 1000, kind=EntryKind.BONUS, source="gift", rule={}, key="gift")
        at(T0)
        assert tiers.progress(loaded, customer)["value"] == value


def test_points_earned_no_longer_counts_a_fully_refunded_order(shop, program, post_webhook, drain):
    loaded = program(metric="points_earned")
    at(T0)
    body = priced_order(1, "300.00")
    post_webhook("orders/paid", priced_order(2, "100.00"))
    post_webhook("orders/paid", body)
    drain()
    customer = bob()
    with session():
        assert tiers.progress(loaded, customer)["value"] == "20"  # 5% of 300 and of 100
    post_webhook("refunds/create", line_refund(body, 0, 901))
    drain()
    with session():
        assert tiers.progress(loaded, customer)["value"] == "5"


def test_rolling_window_lets_old_spend_fall_out_then_downgrades_after_grace(shop, program, post_webhook,
                                                                           drain):
    program(window="rolling_12_months")
    at(T0)
    post_webhook("orders/paid", priced_order(1, "3500.00"))
    drain()
    customer = bob()
    assert tier_of(customer).tier_id == "silver"
    year_later = T0 + timedelta(days=366)
    assert evaluate(shop, customer, year_later) == "silver"  # warned, not moved
    at(year_later + timedelta(days=30))
    assert tiers.reevaluate_all() == 1  # the periodic job
    assert tier_of(customer).tier_id == "novice"


def test_upgrade_is_immediate_with_entry_bonuses_for_skipped_tiers_once(shop, program, post_webhook,
                                                                        drain):
    program()
    at(T0)
    post_webhook("orders/paid", priced_order(1, "3500.00"))
    drain()
    customer = bob()
    assert tier_of(customer).tier_id == "silver"
    assert bonus_keys(customer) == [f"tier-bonus:{customer.id}:bronze", f"tier-bonus:{customer.id}:silver"]
    with session():
        assert ledger.balances(customer) == {"regular": 175 + 50 + 100}
        history = [(c.from_tier, c.to_tier) for c in TierChange.select().order_by(TierChange.id)]
    assert history == [(None, "silver")]
    # Down to novice after a cancellation and the grace period, then up again: no second bonus.
    post_webhook("orders/cancelled", {"id": 1})
    drain()
    evaluate(shop, customer, T0)
    assert evaluate(shop, customer, T0 + timedelta(days=31)) == "novice"
    at(T0 + timedelta(days=32))
    post_webhook("orders/paid", priced_order(2, "3500.00"))
    drain()
    assert tier_of(customer).tier_id == "silver"
    assert len(bonus_keys(customer)) == 2


def test_refund_below_the_threshold_warns_and_downgrades_only_on_the_date(shop, program, post_webhook,
                                                                          drain):
    program(grace_days=30)
    at(T0)
    body = priced_order(1, "2500.00", "1000.00")
    post_webhook("orders/paid", body)
    drain()
    customer = bob()
    assert tier_of(customer).tier_id == "silver"
    at(T0 + timedelta(days=1))
    post_webhook("refunds/create", line_refund(body, 1, 901))  # spend 2500, below silver's 3000
    drain()
    assert tier_of(customer).tier_id == "silver"  # a refund moves nobody down
    assert evaluate(shop, customer, T0 + timedelta(days=2)) == "silver"
    with session():
        notice = Notice.get((Notice.customer == customer.id) & (Notice.kind == tiers.WARNING))
    assert notice.data == {"on": "2026-07-03", "tier": "silver", "to": "bronze"}
    assert tier_of(customer).downgrade_due == T0 + timedelta(days=32)
    assert evaluate(shop, customer, T0 + timedelta(days=31)) == "silver"
    assert evaluate(shop, customer, T0 + timedelta(days=32)) == "bronze"
    with session():
        assert Notice.select().where(Notice.kind == tiers.WARNING).count() == 1
        last = TierChange.select().order_by(TierChange.id.desc()).first()
    assert (last.from_tier, last.to_tier, last.reason) == ("silver", "bronze", {"code": "tier.downgrade"})


def test_back_above_the_threshold_within_the_grace_period_keeps_the_tier(shop, program, post_webhook,
                                                                        drain):
    program()
    at(T0)
    body = priced_order(1, "2500.00", "1000.00")
    post_webhook("orders/paid", body)
    post_webhook("refunds/create", line_refund(body, 1, 901))
    drain()
    customer = bob()
    evaluate(shop, customer, T0)
    at(T0 + timedelta(days=10))
    post_webhook("orders/paid", priced_order(2, "600.00"))
    drain()
    assert tier_of(customer).downgrade_due is None
    assert evaluate(shop, customer, T0 + timedelta(days=40)) == "silver"


def test_hidden_tier_assigned_by_the_store_is_never_moved(app, client, shop, program, post_webhook, drain):
    program()
    at(T0)
    post_webhook("orders/paid", priced_order(1, "100.00"))
    drain()
    response = client.put(f"/api/v1/customers/{BOB}/tier", json={"tier": "vip"}, headers=headers(app, shop))
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["tier"], response.get_json()["assigned"]) == ("vip", True)
    customer = bob()
    assert evaluate(shop, customer, T0 + timedelta(days=400)) == "vip"
    post_webhook("orders/paid", priced_order(2, "6000.00"))  # gold's threshold: still vip, earning x3
    drain()
    assert tier_of(customer).tier_id == "vip"
    with session():
        assert LedgerEntry.get(LedgerEntry.idempotency_key == "order:2:earn").delta == 900


def test_assigning_an_unknown_tier_is_422(app, client, shop, program, post_webhook, drain):
    program()
    post_webhook("orders/paid", priced_order(1, "100.00"))
    drain()
    response = client.put(f"/api/v1/customers/{BOB}/tier", json={"tier": "diamond"},
                          headers=headers(app, shop))
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"tier": ["unknown tier"]}


def test_tier_multiplier_applies_to_an_orders_points_rounded_down(shop, program, post_webhook, drain):
    program()
    at(T0)
    post_webhook("orders/paid", priced_order(1, "600.00"))  # novice: 30 points, then bronze (x1.5)
    drain()
    post_webhook("orders/paid", priced_order(2, "100.00"))  # 5 points x1.5 = 7.5 -> 7
    drain()
    with session():
        earned = [e.delta for e in LedgerEntry.select().where(
            LedgerEntry.kind == EntryKind.EARN).order_by(LedgerEntry.id)]
        assert tiers.tier_multiplier(versions.current(shop.id)[1], bob()) == Decimal("1.5")
    assert earned == [30, 7]
    post_webhook("orders/cancelled", {"id": 2})  # takes back exactly the 7 it earned
    drain()
    with session():
        assert ledger.balances(bob()) == {"regular": 30 + 50}


def test_progress_shows_the_tier_the_next_and_how_far(shop, program, post_webhook, drain):
    loaded = program()
    at(T0)
    post_webhook("orders/paid", priced_order(1, "600.00"))
    drain()
    with session():
        tier = account_of(shop, BOB, loaded)["tier"]
    assert (tier["tier"]["id"], tier["next"]["id"], tier["value"], tier["to_next"]) == (
        "bronze", "silver", "600", "2400")
    assert tier["tier"]["earn_multiplier"] == "1.5" and tier["tier"]["discount_percent"] == "3"
    with session():
        stranger = account_of(shop, "nobody", loaded)["tier"]
    assert (stranger["tier"]["id"], stranger["to_next"]) == ("novice", "500")


def test_account_has_no_tier_without_a_tiers_section(shop):
    with session():
        assert account_of(shop, BOB, versions.current(shop.id)[1])["tier"] is None


def test_reevaluate_job_moves_hundreds_of_customers_and_reports_progress(app, client, shop, program,
                                                                         drain):
    at(T0)
    with session(), database.atomic():
        Customer.insert_many([{"shop": shop.id, "platform_id": f"p{n}", "created_at": T0}
                              for n in range(300)]).execute()
        ids = [c.id for c in Customer.select(Customer.id).order_by(Customer.id)]
        Order.insert_many([{"shop": shop.id, "platform_id": f"o{n}", "customer": cid, "currency": "USD",
                            "eligible": Decimal(n * 20), "order": {}, "created_at": T0}
                           for n, cid in enumerate(ids)]).execute()
    program()
    response = client.post("/api/v1/tiers/reevaluate", json={"batch_size": 64}, headers=headers(app, shop))
    assert response.status_code == 202
    drain()
    run = client.get("/api/v1/tiers/reevaluate", headers=headers(app, shop)).get_json()["run"]
    assert (run["status"], run["total"], run["done"], run["changed"]) == ("done", 300, 300, 300)
    with session():
        counts = dict(CustomerTier.select(CustomerTier.tier_id, fn.COUNT(CustomerTier.id)).group_by(
            CustomerTier.tier_id).tuples())
        bonuses = LedgerEntry.select().where(LedgerEntry.kind == EntryKind.BONUS).count()
    # spend n*20 for n < 300: novice below 500 (25), bronze to 2999 (125), silver to 4999 (100), gold (50)
    assert counts == {"novice": 25, "bronze": 125, "silver": 100, "gold": 50}
    assert bonuses == 275 + 150 + 50
    client.post("/api/v1/tiers/reevaluate", headers=headers(app, shop))  # again: nothing moves
    drain()
    run = client.get("/api/v1/tiers/reevaluate", headers=headers(app, shop)).get_json()["run"]
    assert (run["status"], run["done"], run["changed"]) == ("done", 300, 0)
