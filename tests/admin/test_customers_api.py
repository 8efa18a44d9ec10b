"""Admin API: customer search and detail, the overview, and retrying failed events."""

from __future__ import annotations

import copy

import pytest

from plugin import customers, ledger
from plugin.core.db import session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, Event, LedgerEntry, Referral
from plugin.core.status import EventStatus, ReferralStatus, ReferralVia
from plugin.pipeline import apply
from plugin.program.document import DEFAULT
from tests.helpers import (
    OTHER_DOMAIN,
    SIGNUP,
    SIGNUP_CUSTOMER,
    api_key,
    bearer,
    fixture_json,
)

TIERED = {**copy.deepcopy(DEFAULT), "tiers": {"metric": "points_earned", "window": "lifetime", "tiers": [
    {"id": "novice", "title": {"en": "Novice"}, "threshold": "0"},
    {"id": "gold", "title": {"en": "Gold"}, "threshold": "500", "discount_percent": "5"}]}}


def grant(shop, platform_id: str, points: int, key: str, profile: dict | None = None) -> Customer:
    with session():
        customer = customers.ensure(shop.id, platform_id, profile)
        ledger.grant(customer, points, kind=EntryKind.BONUS, source="test", key=key, rule={"test": key})
    return customer


@pytest.fixture
def three_customers(shop):
    grant(shop, "501", 10, "c1", {"email": "anna.ivanova@example.ru", "first_name": "Anna",
                                  "last_name": "Ivanova"})
    grant(shop, "502", 20, "c2", {"email": "bob.norman@example.com", "first_name": "Bob",
                                  "last_name": "Norman"})
    grant(shop, "503", 30, "c3", {"email": "anna.smith@example.com", "first_name": "Anna",
                                  "last_name": "Smith"})


# --- customer search -------------------------------------------------------------------------

@pytest.mark.parametrize(("q", "found"), [
    ("", ["503", "502", "501"]), ("anna", ["503", "501"]), ("NORMAN", ["502"]), ("example.ru", ["501"]),
    ("502", ["502"]), ("50", []), ("anna smith", ["503"]), ("nobody", []),
])
def test_customer_search_matches_every_word_newest_first(client, shop, key, three_customers, q, found):
    response = client.get("/api/v1/customers", query_string={"q": q}, headers=bearer(key))
    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()["items"]] == found


def test_customer_search_items_carry_balance_and_tier(client, shop, key, three_customers):
    assert client.put("/api/v1/program", json=TIERED, headers=bearer(key)).status_code == 201
    assigned = client.put("/api/v1/customers/502/tier", json={"tier": "gold"}, headers=bearer(key))
    assert assigned.status_code == 200
    (bob,) = client.get("/api/v1/customers?q=norman", headers=bearer(key)).get_json()["items"]
    assert {k: v for k, v in bob.items() if k != "created_at"} == {
        "id": "502", "email": "bob.norman@example.com", "first_name": "Bob", "last_name": "Norman",
        "balance": 20, "tier": "gold"}


def test_customer_search_pages_by_cursor(client, shop, key, three_customers):
    first = client.get("/api/v1/customers?limit=2", headers=bearer(key)).get_json()
    assert [item["id"] for item in first["items"]] == ["503", "502"]
    second = client.get(f"/api/v1/customers?limit=2&before={first['next_before']}", headers=bearer(key))
    assert second.get_json() == {"items": [second.get_json()["items"][0]], "next_before": None}
    assert second.get_json()["items"][0]["id"] == "501"


def test_customer_search_never_lists_another_shops_customers(app, client, shop, key, other_shop):
    grant(shop, "1001", 10, "a1", {"email": "anna@a.example"})
    grant(other_shop, "1001", 999, "b1", {"email": "boris@b.example"})
    grant(other_shop, "2002", 5, "b2", {"email": "bella@b.example"})
    mine = client.get("/api/v1/customers", headers=bearer(key)).get_json()["items"]
    assert [(item["id"], item["email"], item["balance"], item["tier"]) for item in mine] == [
        ("1001", "anna@a.example", 10, None)]
    assert client.get("/api/v1/customers?q=bella", headers=bearer(key)).get_json()["items"] == []
    theirs = client.get("/api/v1/customers", headers=bearer(api_key(app, other_shop))).get_json()["items"]
    assert [(item["id"], item["balance"]) for item in theirs] == [("2002", 5), ("1001", 999)]


@pytest.mark.parametrize(("query", "field"), [("q=" + "a" * 201, "q"), ("limit=0", "limit"),
                                              ("before=abc", "before"), ("email=x", "email")])
def test_customer_search_bad_query_is_422_naming_the_field(client, shop, key, query, field):
    response = client.get(f"/api/v1/customers?{query}", headers=bearer(key))
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == [field]


# --- customer detail: tier and referrals ------------------------------------------------------

def test_customer_detail_shows_tier_progress_and_history(client, shop, key, three_customers, drain):
    assert client.put("/api/v1/program", json=TIERED, headers=bearer(key)).status_code == 201
    drain()  # the new program re-evaluates every customer: all are novices
    assigned = client.put("/api/v1/customers/502/tier", json={"tier": "gold"}, headers=bearer(key))
    assert assigned.status_code == 200
    data = client.get("/api/v1/customers/502", headers=bearer(key)).get_json()
    tier = data["tier"]
    assert (tier["tier"]["id"], tier["tier"]["discount_percent"], tier["assigned"]) == ("gold", "5", True)
    assert (tier["metric"], tier["value"], tier["next"]) == ("points_earned", "0", None)  # bonus: not earned
    assert [(c["from_tier"], c["to_tier"], c["reason"]) for c in data["tier_history"]] == [
        ("novice", "gold", "assigned by the store"), (None, "novice", "placed")]
    assert [c["reason_code"] for c in data["tier_history"]] == ["tier.assigned", "tier.placed"]
    assert data["balance"]["total"] == 20  # the fields that were there stay as they were


def test_customer_detail_without_tiers_or_referrals(client, shop, key, three_customers):
    data = client.get("/api/v1/customers/501", headers=bearer(key)).get_json()
    assert (data["tier"], data["tier_history"], data["referrals"]) == (None, [], [])


def test_customer_detail_lists_referrals_both_ways(client, shop, key, three_customers):
    with session():
        anna, bob, smith = (customers.find(shop.id, pid) for pid in ("501", "502", "503"))
        Referral.create(shop=shop.id, referrer=anna.id, friend=bob.id, code="ANNA1234",
                        attributed_via=ReferralVia.SIGNUP_CODE, status=ReferralStatus.REWARDED)
        Referral.create(shop=shop.id, referrer=bob.id, friend=smith.id, code="BOB12345",
                        attributed_via=ReferralVia.SIGNUP_CODE, status=ReferralStatus.BLOCKED, risk_score=60)
    data = client.get("/api/v1/customers/502", headers=bearer(key)).get_json()
    assert [(r["role"], r["other"], r["status"], r["risk_score"]) for r in data["referrals"]] == [
        ("invited", "503", "blocked", 60), ("invited_by", "501", "rewarded", 0)]


# --- overview --------------------------------------------------------------------------------

def test_overview_counts_only_the_keys_shop(app, client, shop, key, other_shop, earn):
    grant(shop, "1", 10, "o1")
    grant(shop, "2", 15, "o2")
    earn(domain=OTHER_DOMAIN)
    grant(other_shop, "3", 1000, "o3")
    response = client.get("/api/v1/overview", headers=bearer(key))
    assert response.status_code == 200
    data = response.get_json()
    assert (data["members"], data["outstanding"]) == (2, {"regular": 25})
    assert data["statuses"] == {"pending": 0, "applied": 0, "waiting": 0, "failed": 0, "ignored": 0,
                                "invalid": 0}
    assert [(e["customer"], e["delta"], e["kind"]) for e in data["entries"]] == [("2", 15, "bonus"),
                                                                                 ("1", 10, "bonus")]
    assert data["events"] == []
    theirs = client.get("/api/v1/overview", headers=bearer(api_key(app, other_shop))).get_json()
    assert (theirs["members"], theirs["outstanding"]) == (2, {"regular": 1029})
    assert theirs["statuses"]["applied"] == 1
    assert [(e["topic"], e["status"]) for e in theirs["events"]] == [("orders/paid", "applied")]


# --- retrying failed events ------------------------------------------------------------------

@pytest.fixture
def failed_signup(shop, post_webhook, drain, monkeypatch) -> Event:
    """A sign-up whose handler was broken when it arrived; the fix is deployed since."""
    def broken(event):
        raise RuntimeError("the handler was broken at the time")

    monkeypatch.setitem(apply.HANDLERS, "customer.created", broken)
    assert post_webhook("customers/create", fixture_json(SIGNUP)).status_code == 200
    drain()
    monkeypatch.setitem(apply.HANDLERS, "customer.created", apply.customer_created)
    with session():
        event = Event.get(Event.shop == shop.id)
    assert event.status == EventStatus.FAILED
    return event


def test_retrying_a_failed_event_applies_it_once(client, shop, key, failed_signup, drain):
    failed = client.get("/api/v1/events?status=failed", headers=bearer(key)).get_json()["items"]
    assert [item["id"] for item in failed] == [failed_signup.id]
    response = client.post(f"/api/v1/events/{failed_signup.id}/retry", headers=bearer(key))
    assert response.status_code == 202
    assert response.get_json()["id"] == failed_signup.id
    assert response.get_json()["status"] in ("pending", "applied")  # applied at once without Redis
    drain()
    again = client.post(f"/api/v1/events/{failed_signup.id}/retry", headers=bearer(key))
    assert again.status_code == 409
    assert again.get_json()["error"] == "not_failed"
    drain()
    with session():
        assert Event.get_by_id(failed_signup.id).status == EventStatus.APPLIED
        customer = customers.find(shop.id, SIGNUP_CUSTOMER)
        assert ledger.balances(customer) == {"regular": 100}
        assert LedgerEntry.select().where(LedgerEntry.customer == customer.id).count() == 1
    assert client.get("/api/v1/events?status=failed", headers=bearer(key)).get_json()["items"] == []


def test_another_shops_key_cannot_retry_or_see_the_failed_event(app, client, shop, failed_signup, other_shop):
    theirs = bearer(api_key(app, other_shop))
    assert client.get("/api/v1/events?status=failed", headers=theirs).get_json()["items"] == []
    response = client.post(f"/api/v1/events/{failed_signup.id}/retry", headers=theirs)
    assert response.status_code == 404
    with session():
        assert Event.get_by_id(failed_signup.id).status == EventStatus.FAILED


def test_retrying_an_unknown_event_is_404(client, shop, key):
    assert client.post("/api/v1/events/999999/retry", headers=bearer(key)).status_code == 404
