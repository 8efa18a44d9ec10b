"""Analytics: every figure of a small hand-built shop against arithmetic done by hand, rollups
(idempotent, equal to a live recomputation), isolation between shops, SVG charts and CSV."""

from __future__ import annotations

import copy
import csv
import io
import itertools
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import customers, ledger, tiers
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import DailyFigure, Lot, Order
from plugin.customers import shops
from plugin.program import document, versions
from plugin.reports import analytics, rollups
from plugin.spend import offers, redemption
from tests.helpers import admin_headers, fixture_json

D0, D1, D2, D3 = (datetime(2026, 10, day, 12, 0) for day in (1, 2, 3, 4))
CART = [{"line_id": "1", "sku": "A", "amount": "1000.00"}]
SVG = "{http://www.w3.org/2000/svg}"
SHOP_NUMBERS = itertools.count(1)  # a fresh shop per hypothesis example


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def program() -> dict:
    doc = copy.deepcopy(document.DEFAULT)
    doc["point_types"]["premium"] = {"expiry": {"kind": "never"}}
    doc["redemption"] = {"point_value": "0.05"}
    doc["tiers"] = {"metric": "amount_spent", "window": "lifetime", "tiers": [
        {"id": "novice", "title": {"en": "Novice"}, "threshold": "0"},
        {"id": "silver", "title": {"en": "Silver"}, "threshold": "1000"}]}
    return doc


def order(shop_id: int, platform_id: str, customer, eligible: str, currency: str = "USD") -> None:
    Order.create(shop=shop_id, platform_id=platform_id, customer=customer, currency=currency,
                 eligible=Decimal(eligible), order={})


def earn(customer, points: int, order_id: str, **extra):
    return ledger.grant(customer, points, kind=EntryKind.EARN, source=f"order:{order_id}", rule={},
                        key=f"order:{order_id}:earn", **extra)


def build(shop) -> None:
    """Alice and Bob are members (credited points), Carol has an account but never earned, and
    one order is a guest's. Days: D0 (before the range), D1, D2, D3."""
    with session():
        versions.save(shop.id, program(), author="test")
        at(D0)
        with database.atomic():
            alice, bob, carol = (customers.ensure(shop.id, pid) for pid in ("alice", "bob", "carol"))
            # outside the range
            ledger.grant(alice, 7, kind=EntryKind.BONUS, source="s", rule={}, key="before")
        at(D1)
        with database.atomic():
            earn(alice, 100, "A1")
            order(shop.id, "A1", alice, "100.00")
            ledger.grant(alice, 15, kind=EntryKind.BONUS, source="s", rule={}, key="premium",
                         point_type="premium")
            signup = ledger.grant(bob, 50, kind=EntryKind.BONUS, source="signup", rule={}, key="signup:bob",
                                  expires_at=datetime(2026, 10, 4))
            bob_earn = earn(bob, 40, "B1")
            order(shop.id, "B1", bob, "40.00")
            order(shop.id, "G1", None, "30.00")  # a guest checkout
            order(shop.id, "C1", carol, "20.00")
            offers.record(shop.id, alice.id, ["o1", "o2"], "impression")
        at(D2)
        with database.atomic():
            earn(alice, 60, "A2")
            order(shop.id, "A2", alice, "60.00")
            order(shop.id, "E1", None, "99.00", currency="EUR")
            ledger.transfer(bob, alice, "regular", 20, key="t1")  # from bob's signup lot (soonest to expire)
            ledger.debit(bob_earn, 10, kind=EntryKind.REVERSE, key="refund:B1")
            offers.record(shop.id, alice.id, ["o1"], "impression")
            offers.record(shop.id, alice.id, ["o1"], "click")
            offers.record(shop.id, alice.id, ["o1"], "redemption")
        held = redemption.redeem(alice, points=40, lines=CART, key="r1", currency="USD")
        redemption.commit(shop.id, [held.code], "A2")
        released = redemption.redeem(bob, points=5, lines=CART, key="r2", currency="USD")
        redemption.release(released.id, reason="test")
        at(D3)
        with database.atomic():
            assert ledger.expire(signup, now=D3) == 30  # 50 - 20 given to alice
            ledger.grant(bob, 25, kind=EntryKind.REVIEW, source="review:1", rule={}, key="review:1")
            probe = earn(alice, 1, "probe")
            # 1 from it, 5 from others
            ledger.debit(probe, 6, kind=EntryKind.ADJUST, key="adjust:1", spill=True)
            order(shop.id, "C2", carol, "10.00")
            tiers.assign(alice, "silver")


EXPECTED_DAYS = [
    # D1: alice 100 earn + 15 premium bonus, bob 50 signup + 40 earn; the D0 bonus is outside
    {"date": "2026-10-02", "issued": 205, "redeemed": 0, "expired": 0, "reversed": 0, "deducted": 0,
     "member_orders": 2, "member_revenue": "140.00", "non_member_orders": 2, "non_member_revenue": "50.00"},
    # D2: alice earns 60; 40 held and committed (redeemed); bob's 5 held then released (neither);
    # the 20 transferred is neither; 10 reversed on bob's refund
    {"date": "2026-10-03", "issued": 60, "redeemed": 40, "expired": 0, "reversed": 10, "deducted": 0,
     "member_orders": 1, "member_revenue": "60.00", "non_member_orders": 0, "non_member_revenue": "0.00"},
    # D3: 30 expired; bob's review 25 and the 1-point probe earn issued; 6 adjusted down (deducted)
    {"date": "2026-10-04", "issued": 26, "redeemed": 0, "expired": 30, "reversed": 0, "deducted": 6,
     "member_orders": 0, "member_revenue": "0.00", "non_member_orders": 1, "non_member_revenue": "10.00"},
]


def check_summary(data: dict) -> None:
    points = data["points"]
    # issued 205 + 60 + 26 = 291; net of the 10 reversed: 281
    assert (points["issued"], points["redeemed"], points["expired"], points["reversed"],
            points["deducted"], points["net_issued"]) == (291, 40, 30, 10, 6, 281)
    assert points["by_point_type"]["premium"] == {"issued": 15, "redeemed": 0, "expired": 0, "reversed": 0,
                                                  "deducted": 0, "reversed_refunds": 0,
                                                  "reversed_cancellations": 0}
    assert (points["reversed_refunds"], points["reversed_cancellations"]) == (0, 0)  # no reason code
    assert points["by_point_type"]["regular"]["issued"] == 276
    assert data["redemption_rate"] == "0.1423"  # 40 / 281 = 0.14235
    assert data["breakage"] == "0.1068"  # 30 / 281 = 0.10676
    # alice 7 + 100 + 60 + 1 - 40 + 20 - 6 = 142 regular, 15 premium; bob 50 + 40 - 20 - 10 - 30 + 25 = 55
    assert data["liability"] == {"points": 212, "by_point_type": {"premium": 15, "regular": 197},
                                 "point_value": "0.05", "value": "10.60"}  # 212 x 0.05
    orders = data["orders"]
    # members: A1 100 + B1 40 + A2 60 = 200 over 3 orders; alice ordered twice, bob once
    untouched = {"guest_orders": 0, "cancelled": 0, "refunded": 0, "fully_refunded": 0,
                 "partially_refunded": 0}
    assert orders["members"] == {"orders": 3, "revenue": "200.00", "average_order_value": "66.67",
                                 "customers": 2, "repeat_customers": 1,
                                 "repeat_purchase_rate": "0.5000",
                                 **untouched}
    # non-members: G1 30 (guest) + C1 20 + C2 10 (carol, never credited) = 60 over 3; carol twice
    assert orders["non_members"] == {"orders": 3, "revenue": "60.00", "average_order_value": "20.00",
                                     "customers": 1, "repeat_customers": 1, "repeat_purchase_rate": "1.0000",
                                     **untouched, "guest_orders": 1}
    assert orders["all"] == {"orders": 6, "revenue": "260.00", "average_order_value": "43.33",
                             "customers": 3, "repeat_customers": 2, "repeat_purchase_rate": "0.6667",
                             **untouched, "guest_orders": 1}
    assert orders["other_currency_orders"] == 1  # E1 in EUR
    # A2 used the discount: 40 points x 0.05 = 2.00 off
    assert data["loyalty_discounts"] == {"orders": 1, "revenue": "60.00", "discount_amount": "2.00",
                                         "points": 40}
    assert data["tiers"] == [{"tier": "novice", "title": "Novice", "customers": 0},
                             {"tier": "silver", "title": "Silver", "customers": 1},
                             {"tier": "(none)", "title": "no tier", "customers": 2}]
    assert data["offers"] == [{"offer_id": "o1", "impressions": 2, "clicks": 1, "redemptions": 1},
                              {"offer_id": "o2", "impressions": 1, "clicks": 0, "redemptions": 0}]


def check_days(days: list[dict]) -> None:
    keys = EXPECTED_DAYS[0].keys()
    assert [{k: day[k] for k in keys} for day in days] == EXPECTED_DAYS


def test_every_figure_matches_the_hand_computed_values_live_and_rolled_up(shop):
    build(shop)
    with session():
        check_summary(analytics.summary(shop.id, D1.date(), D3.date()))  # nothing rolled up: live
        check_days(analytics.daily(shop.id, D1.date(), D3.date()))
        rollups.roll_up_recent()  # on D3: D0 to D2 are final and stored, D3 stays live
        at(D3 + timedelta(days=2))
        rollups.roll_up_recent()  # D3 to D5 now rolled up after they ended: all read back stored
        assert DailyFigure.select().where(DailyFigure.day == D3.date()).count() > 1
        check_summary(analytics.summary(shop.id, D1.date(), D3.date()))
        check_days(analytics.daily(shop.id, D1.date(), D3.date()))


def test_days_rolled_up_under_older_definitions_are_live_until_the_cron_backfills_them(shop):
    build(shop)
    at(D3 + timedelta(days=2))
    with session():
        rollups.backfill(shop.id)
        DailyFigure.update(metric="rolled_up").where(DailyFigure.metric == rollups.ROLLED_UP).execute()
        DailyFigure.delete().where(DailyFigure.metric == "issued").execute()  # what an old version lacked
        assert rollups.last_rolled_up(shop.id) is None
        check_summary(analytics.summary(shop.id, D1.date(), D3.date()))  # live, not the old rows
        rollups.roll_up_recent()
        assert rollups.last_rolled_up(shop.id) == D3.date() + timedelta(days=2)
        assert not DailyFigure.select().where(DailyFigure.metric == "rolled_up").exists()
        check_summary(analytics.summary(shop.id, D1.date(), D3.date()))


def test_running_the_rollup_twice_writes_the_same_rows(shop):
    build(shop)
    at(D3 + timedelta(days=1))

    def stored() -> list[tuple]:
        return sorted(DailyFigure.select(DailyFigure.day, DailyFigure.metric, DailyFigure.key,
                                         DailyFigure.value).tuples())

    with session():
        rollups.backfill(shop.id)
        first = stored()
        rollups.roll_up_recent()
        rollups.backfill(shop.id)
        assert stored() == first
        assert rollups.last_rolled_up(shop.id) == D3.date() + timedelta(days=1)


def test_figures_of_another_shop_never_mix_in(shop):
    build(shop)
    with session():
        other, _ = shops.register("shopify", "other.myshopify.com")
        at(D2)
        with database.atomic():
            stranger = customers.ensure(other.id, "alice")  # same platform id, other shop
            ledger.grant(stranger, 1000, kind=EntryKind.EARN, source="s", rule={}, key="x")
            order(other.id, "A1", stranger, "500.00")
            offers.record(other.id, None, ["o1"], "click")
        at(D3)
        rollups.roll_up_recent()
        check_summary(analytics.summary(shop.id, D1.date(), D3.date()))
        theirs = analytics.summary(other.id, D1.date(), D3.date())
    assert theirs["points"]["issued"] == 1000 and theirs["liability"]["points"] == 1000
    assert theirs["orders"]["members"]["orders"] == 1
    assert theirs["offers"] == [{"offer_id": "o1", "impressions": 0, "clicks": 1, "redemptions": 0}]


def test_a_campaign_order_counts_for_its_campaign(shop, post_webhook, drain):
    body = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
    doc = copy.deepcopy(document.DEFAULT)
    doc["campaigns"] = [{"name": "Double = days", "starts_at": "2000-01-01T00:00:00Z",
                         "ends_at": "2099-01-01T00:00:00Z", "multiplier": "2"}]
    with session():
        versions.save(shop.id, doc, author="test")
    assert post_webhook("orders/paid", body).status_code == 200
    drain()
    today = clock.now().date()
    with session():
        lot = Lot.get(Lot.key == f"order:{body['id']}:earn")
        eligible = Order.get(Order.platform_id == str(body["id"])).eligible
        data = analytics.summary(shop.id, today, today)
    assert lot.rule["earned"]["campaigns"] == ["Double = days"]
    assert data["campaigns"] == [{"name": "Double = days", "orders": 1, "points": lot.original,
                                  "revenue": str(eligible.quantize(Decimal("0.01")))}]


activity = st.lists(st.tuples(
    st.sampled_from(["earn", "bonus", "adjust-", "reverse", "transfer", "order", "guest"]),
    st.integers(0, 2),  # which customer
    st.integers(1, 50),  # points or amount
    st.integers(0, 3),  # which day
), max_size=25)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=activity)
def test_rolled_up_days_equal_a_live_recomputation(app, ops):
    """Whatever happened on which day, the stored figures are what the live queries compute."""
    with session():
        shop, _ = shops.register("shopify", f"p{next(SHOP_NUMBERS)}.myshopify.com")
        people = [customers.ensure(shop.id, f"c{n}") for n in range(3)]
        for n, (op, who, amount, day) in enumerate(ops):
            at(D0 + timedelta(days=day, minutes=n))
            person = people[who]
            with database.atomic():
                if op in ("earn", "bonus"):
                    ledger.grant(person, amount, kind=op, source="s", rule={}, key=f"g{n}")
                elif op in ("adjust-", "reverse") and ledger.spendable(person).get("regular", 0) > 0:
                    lot = ledger.open_lots(person).first()
                    ledger.debit(lot, amount, kind=op.rstrip("-"), key=f"d{n}", spill=True)
                elif op == "transfer" and ledger.spendable(person).get("regular", 0) >= amount:
                    ledger.transfer(person, people[(who + 1) % 3], "regular", amount, key=f"t{n}")
                elif op in ("order", "guest"):
                    order(shop.id, f"o{n}", person if op == "order" else None, f"{amount}.50")
        at(D3 + timedelta(days=1))
        rollups.backfill(shop.id)
        stored = {(day, metric, key): value for day, metric, key, value in DailyFigure.select(
            DailyFigure.day, DailyFigure.metric, DailyFigure.key, DailyFigure.value)
            .where((DailyFigure.shop == shop.id) & (DailyFigure.metric != rollups.ROLLED_UP)).tuples()}
        live = rollups.compute(shop, D0.date(), D3.date() + timedelta(days=1))
    assert {(rollups.as_date(d), m, k): Decimal(str(v)) for (d, m, k), v in stored.items()} == live


def test_the_api_answers_the_summary_and_the_days(app, client, shop):
    build(shop)
    query = "?from=2026-10-02&to=2026-10-04"
    response = client.get("/api/v1/analytics" + query, headers=admin_headers(app, shop))
    assert response.status_code == 200
    check_summary(response.get_json())
    days = client.get("/api/v1/analytics/daily" + query, headers=admin_headers(app, shop)).get_json()
    check_days(days["days"])
    assert client.get("/api/v1/analytics" + query).status_code == 401


@pytest.mark.parametrize("query, field", [
    ("?from=2026-13-01", "from"),
    ("?from=yesterday", "from"),
    ("?from=2026-10-05&to=2026-10-01", "from"),
    ("?from=2020-01-01&to=2026-10-01", "to"),
    ("?since=2026-10-01", "since"),
])
def test_a_bad_range_is_a_422_naming_the_parameter(app, client, shop, query, field):
    response = client.get("/api/v1/analytics" + query, headers=admin_headers(app, shop))
    assert response.status_code == 422
    assert field in response.get_json()["fields"]


def test_charts_come_as_svg_with_a_point_per_day(app, client, shop):
    build(shop)
    response = client.get("/api/v1/analytics/charts/points.svg?from=2026-10-02&to=2026-10-04",
                          headers=admin_headers(app, shop))
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert [len(g.findall(f"{SVG}circle")) for g in root.findall(f".//{SVG}g[@class='series']")] == [3, 3, 3]
    tiers_svg = ET.fromstring(client.get("/api/v1/analytics/charts/tiers.svg",
                                         headers=admin_headers(app, shop)).data)
    assert len(tiers_svg.findall(f".//{SVG}rect[@class='bar']")) == 3
    assert client.get("/api/v1/analytics/charts/pie.svg", headers=admin_headers(app, shop)).status_code == 404


def test_every_table_exports_as_csv(app, client, shop):
    build(shop)

    def table(name: str) -> list[dict]:
        response = client.get(f"/api/v1/analytics/{name}.csv?from=2026-10-02&to=2026-10-04",
                              headers=admin_headers(app, shop))
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert f"{name}-2026-10-02-2026-10-04.csv" in response.headers["Content-Disposition"]
        return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    daily = table("daily")
    assert [(r["date"], r["issued"], r["redeemed"], r["member_revenue"]) for r in daily] == [
        ("2026-10-02", "205", "0", "140.00"), ("2026-10-03", "60", "40", "60.00"),
        ("2026-10-04", "26", "0", "0.00")]
    assert [(r["point_type"], r["issued"]) for r in table("point_types")] == [
        ("premium", "15"), ("regular", "190"), ("regular", "60"), ("regular", "26")]
    assert [(r["tier"], r["customers"]) for r in table("tiers")] == [("novice", "0"), ("silver", "1"),
                                                                    ("(none)", "2")]
    assert table("offers")[0] == {"offer_id": "o1", "impressions": "2", "clicks": "1", "redemptions": "1"}
    assert table("campaigns") == []
    assert client.get("/api/v1/analytics/secrets.csv", headers=admin_headers(app, shop)).status_code == 404
