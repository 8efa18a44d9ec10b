"""Custom actions: points per the program's limits, idempotent by the store's id, race-safe."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from plugin import customers
from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Activity, Balance, Customer, LedgerEntry, Lot
from plugin.customers import shops
from plugin.earn import activities
from tests.helpers import admin_headers, in_threads, set_program

PROGRAM = {
    "point_types": {"regular": {}, "partner": {"expiry": {"kind": "days", "days": 365}}},
    "earning": {"rate": {"kind": "percent", "percent": "5"}},
    "activities": {
        "partner_card": {"points": 2000, "point_type": "partner", "limit": "once"},
        "follow": {"points": 50, "limit": "per_day"},
        "survey": {"points": 100, "limit": "per_week"},
        "photo": {"points": 30, "limit": "per_month"},
        "anniversary": {"points": 500, "limit": "per_year"},
        "share": {"points": 5, "limit": "unlimited"},
    },
}
NOW = datetime(2024, 5, 3, 10, 0, tzinfo=UTC)  # a Friday


@pytest.fixture
def version(shop) -> int:
    return set_program(shop, PROGRAM, NOW)


@pytest.fixture
def report(app, client, shop, version):
    """POST one activity with the shop's key; returns the response."""
    def post(activity_id: str, customer_id: str = "c1", name: str = "follow", **extra):
        body = {"activity_id": activity_id, "customer_id": customer_id, "name": name, **extra}
        return client.post("/api/v1/activities", json=body, headers=admin_headers(app, shop))

    return post


def balance(customer_id: str) -> dict:
    with session():
        return {b.point_type: b.points for b in Balance.select().join(Customer).where(
            Customer.platform_id == customer_id)}


def test_partner_card_activates_2000_points_once(report, version):
    first = report("card-0001", "c1", "partner_card")
    assert first.status_code == 201
    body = first.get_json()
    assert (body["outcome"], body["points"], body["point_type"]) == ("granted", 2000, "partner")
    assert balance("c1") == {"partner": 2000}
    with session():
        lot = Lot.get_by_id(body["lot"])
        assert lot.program_version == version
        assert lot.expires_at == NOW.replace(tzinfo=None) + timedelta(days=365)
        assert lot.key == "activity:partner_card:c1:once"
    second = report("card-0002", "c1", "partner_card")
    assert second.status_code == 201
    assert (second.get_json()["outcome"], second.get_json()["points"]) == ("limited", 0)
    assert "once per customer" in second.get_json()["reason"]
    assert balance("c1") == {"partner": 2000}


def test_retry_answers_the_same_without_new_points(report):
    first = report("a-1", name="partner_card")
    retry = report("a-1", name="partner_card")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.get_json() == first.get_json()
    limited, limited_retry = report("a-2", name="partner_card"), report("a-2", name="partner_card")
    assert (limited.status_code, limited_retry.status_code) == (201, 200)
    assert limited_retry.get_json() == limited.get_json()
    with session():
        assert Activity.select().count() == 2
        assert LedgerEntry.select().count() == 1


def test_activity_id_reused_for_another_customer_is_409(report):
    assert report("card-0001", "c1", "partner_card").status_code == 201
    response = report("card-0001", "c2", "partner_card")
    assert response.status_code == 409
    assert response.get_json()["fields"] == {"activity_id": ["already used for another customer or action"]}
    assert balance("c2") == {}


@pytest.mark.parametrize(("name", "first", "same_period", "next_period"), [
    ("follow", datetime(2024, 5, 3, 0, 0), datetime(2024, 5, 3, 23, 59), datetime(2024, 5, 4, 0, 0)),
    ("survey", datetime(2024, 5, 6, 8, 0), datetime(2024, 5, 12, 23, 0), datetime(2024, 5, 13, 0, 1)),
    ("photo", datetime(2024, 5, 1, 0, 0), datetime(2024, 5, 31, 23, 0), datetime(2024, 6, 1, 0, 0)),
    ("anniversary", datetime(2024, 1, 1), datetime(2024, 12, 31, 23), datetime(2025, 1, 1)),
])
def test_limit_allows_one_grant_per_period_as_the_clock_moves(report, name, first, same_period,
                                                              next_period):
    outcomes = []
    for n, moment in enumerate((first, same_period, next_period)):
        clock.set_source(lambda moment=moment: moment.replace(tzinfo=UTC))
        response = report(f"{name}-{n}", name=name)
        assert response.status_code == 201
        outcomes.append((response.get_json()["outcome"], response.get_json()["points"]))
    points = PROGRAM["activities"][name]["points"]
    assert outcomes == [("granted", points), ("limited", 0), ("granted", points)]
    assert balance("c1") == {"regular": 2 * points}


def test_limited_reason_names_the_period(report):
    report("f-1")
    body = report("f-2").get_json()
    assert body["reason"] == ("over its limit: 'follow' earns points once a day (UTC), and customer 'c1' "
                              "already earned them on 2024-05-03; no points this time")


def test_occurred_at_picks_the_utc_period(report):
    assert report("f-1", occurred_at="2024-05-02T10:00:00Z").get_json()["outcome"] == "granted"
    late = report("f-2", occurred_at="2024-05-01T23:30:00-02:00")  # 2024-05-02 01:30 UTC
    assert (late.get_json()["outcome"], late.get_json()["occurred_at"]) == ("limited", "2024-05-02T01:30:00")
    naive = report("f-3", occurred_at="2024-05-01T23:30:00")  # no zone: UTC
    assert naive.get_json()["outcome"] == "granted"
    assert report("f-4").get_json()["outcome"] == "granted"  # now: 2024-05-03
    assert balance("c1") == {"regular": 150}


def test_unlimited_action_earns_every_time(report):
    assert [report(f"s-{n}", name="share").get_json()["points"] for n in range(3)] == [5, 5, 5]
    assert balance("c1") == {"regular": 15}


def test_unknown_customer_is_created(report):
    assert report("f-1", "new-customer").status_code == 201
    with session():
        assert Customer.select().where(Customer.platform_id == "new-customer").count() == 1


def test_numeric_ids_are_accepted_as_text(report):
    response = report(12345, 207119551)
    assert response.status_code == 201
    assert (response.get_json()["activity_id"], response.get_json()["customer_id"]) == ("12345", "207119551")


def test_unknown_action_is_422_naming_name(report):
    response = report("x-1", name="dance")
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == ["name"]
    assert "dance" in response.get_json()["message"]
    with session():
        assert Activity.select().count() == Customer.select().count() == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"customer_id": "c1", "name": "follow"}, "activity_id"),
    ({"activity_id": "a", "name": "follow"}, "customer_id"),
    ({"activity_id": "a", "customer_id": " ", "name": "follow"}, "customer_id"),
    ({"activity_id": "a", "customer_id": "c1"}, "name"),
    ({"activity_id": "a", "customer_id": "c1", "name": "follow", "occurred_at": "yesterday"}, "occurred_at"),
    ({"activity_id": "a", "customer_id": "c1", "name": "follow", "occurred_at": "2024-05-04T12:00:00Z"},
     "occurred_at"),
    ({"activity_id": "a", "customer_id": "c1", "name": "follow", "points": 10}, "points"),
    ({"activity_id": True, "customer_id": "c1", "name": "follow"}, "activity_id"),
])
def test_bad_input_is_422_naming_the_field(app, client, shop, version, body, field):
    response = client.post("/api/v1/activities", json=body, headers=admin_headers(app, shop))
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == [field]


@pytest.mark.parametrize(("method", "path"), [("post", "/api/v1/activities"), ("get", "/api/v1/activities")])
def test_without_key_is_401(client, shop, method, path):
    response = getattr(client, method)(path, json={"activity_id": "a", "customer_id": "c", "name": "follow"})
    assert response.status_code == 401


def test_list_pages_one_customers_activities_newest_first(app, client, shop, report):
    for n in range(5):
        report(f"s-{n}", name="share")
    report("other", "c2", name="share")
    seen, before = [], None
    while True:
        query = {"customer_id": "c1", "limit": 2, **({"before": before} if before else {})}
        page = client.get("/api/v1/activities", query_string=query,
                          headers=admin_headers(app, shop)).get_json()
        seen += [item["activity_id"] for item in page["items"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == [f"s-{n}" for n in reversed(range(5))]
    everyone = client.get("/api/v1/activities", headers=admin_headers(app, shop)).get_json()["items"]
    assert [item["activity_id"] for item in everyone][0] == "other"


def test_list_of_unknown_customer_is_404(app, client, shop, version):
    response = client.get("/api/v1/activities?customer_id=nobody", headers=admin_headers(app, shop))
    assert response.status_code == 404


def test_other_shops_activities_are_not_listed(app, client, shop, report):
    report("f-1")
    with session():
        other, _ = shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)
    response = client.get("/api/v1/activities", headers=admin_headers(app, other))
    assert response.get_json() == {"items": [], "next_before": None}
    response = client.get("/api/v1/activities?customer_id=c1", headers=admin_headers(app, other))
    assert response.status_code == 404


def test_concurrent_reports_of_one_period_earn_once(backend, shop, version, monkeypatch):
    """Two reports with different ids race past every read; the unique lot key lets one earn."""
    with session():
        customers.ensure(shop.id, "c1")  # else creating it would already serialise the two
    if backend == "postgres":  # SQLite serialises writers, so there both cannot be inside at once
        barrier, ensure, first_passes = threading.Barrier(2), activities.customers.ensure, iter(range(2))

        def ensure_then_wait(*args, **kwargs):
            found = ensure(*args, **kwargs)
            if next(first_passes, None) is not None:  # the loser's second pass goes alone
                barrier.wait(timeout=5)
            return found

        monkeypatch.setattr(activities.customers, "ensure", ensure_then_wait)
    results, errors = [], []

    def run(activity_id: str) -> None:
        try:
            with session():
                results.append(activities.record(shop.id, activity_id, "c1", "partner_card")[0])
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    in_threads(run, [(f"card-{n}",) for n in range(2)])
    assert errors == []
    assert sorted(r["outcome"] for r in results) == ["granted", "limited"]
    assert balance("c1") == {"partner": 2000}
    with session():
        assert Lot.select().count() == 1
        assert Activity.select().count() == 2
