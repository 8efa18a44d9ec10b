"""Admin API: bearer-key auth scoped to one shop, customer views, paging, events, JSON errors."""

from __future__ import annotations

import copy

import pytest

from plugin import customers, ledger
from plugin.core.db import session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, Event, LedgerEntry, Referral, Shop
from plugin.core.status import EventStatus, ReferralStatus, ReferralVia
from plugin.customers import shops
from plugin.pipeline import apply, jobs
from plugin.program.document import DEFAULT
from tests.helpers import fixture_json
from webhooks import inbox
from webhooks.topics import Mapped

ORDER = "shopify/rest2025-07_order_450789469__GET_orders_450789469.json"  # 5% of 587.00 -> 29 points
ORDER_CUSTOMER = "207119551"
SIGNUP = "shopify/rest2025-07_customer_created__POST_customers.json"  # customer 1073339458, +100
SIGNUP_CUSTOMER = "1073339458"
OTHER_DOMAIN = "other.myshopify.com"
TIERED = {**copy.deepcopy(DEFAULT), "tiers": {"metric": "points_earned", "window": "lifetime", "tiers": [
    {"id": "novice", "title": {"en": "Novice"}, "threshold": "0"},
    {"id": "gold", "title": {"en": "Gold"}, "threshold": "500", "discount_percent": "5"}]}}


def api_key(app, shop: Shop) -> str:
    return app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def key(app, shop) -> str:
    return api_key(app, shop)


@pytest.fixture
def other_shop(app) -> Shop:
    with session():
        created, _ = shops.register("shopify", OTHER_DOMAIN, own_webhook_secret=False)
    return created


@pytest.fixture
def earn(post_webhook, drain):
    """Post a paid order (the 29-point fixture, optionally under another order id) and apply it."""

    def post(order_id: int | None = None, domain: str | None = None):
        body = copy.deepcopy(fixture_json(ORDER))
        if order_id is not None:
            body["id"] = order_id
        response = post_webhook("orders/paid", body, **({"domain": domain} if domain else {}))
        assert response.status_code == 200, response.get_json()
        drain()
        return response

    return post


@pytest.mark.parametrize("authorization", [
    None,
    "",
    "Bearer",
    "Bearer garbage",
    "Basic dXNlcjpwYXNz",
    "Bearer lk_1_short",
    "Bearer lk_1_" + "A" * 43,
    "Token lk_1_" + "A" * 43,
], ids=["missing", "empty", "no-key", "garbage", "basic", "short-mac", "wrong-mac", "wrong-scheme"])
def test_bad_authorization_is_401_json(client, shop, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/api/v1/shop", headers=headers)
    assert response.status_code == 401
    assert response.is_json
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_key_with_another_shops_id_is_401(app, client, shop, other_shop):
    forged = api_key(app, shop).replace(f"lk_{shop.id}_", f"lk_{other_shop.id}_", 1)
    assert client.get("/api/v1/shop", headers=bearer(forged)).status_code == 401


def test_valid_key_returns_its_shop(client, shop, key):
    response = client.get("/api/v1/shop", headers=bearer(key))
    assert response.status_code == 200
    assert response.get_json() == {"id": shop.id, "platform": "shopify", "domain": shop.domain,
                                   "active": True}


def test_rotated_key_is_401_and_new_key_works(app, client, shop, key):
    with session():
        Shop.update(key_version=Shop.key_version + 1).where(Shop.id == shop.id).execute()
        rotated = Shop.get_by_id(shop.id)
    assert client.get("/api/v1/shop", headers=bearer(key)).status_code == 401
    assert client.get("/api/v1/shop", headers=bearer(api_key(app, rotated))).status_code == 200


def test_inactive_shops_key_is_401(client, shop, key):
    with session():
        Shop.update(active=False).where(Shop.id == shop.id).execute()
    assert client.get("/api/v1/shop", headers=bearer(key)).status_code == 401


@pytest.mark.parametrize("path", [f"/api/v1/customers/{ORDER_CUSTOMER}",
                                  f"/api/v1/customers/{ORDER_CUSTOMER}/ledger"])
def test_other_shops_customer_is_404(app, client, shop, key, other_shop, earn, path):
    earn(domain=OTHER_DOMAIN)
    with session():
        assert Customer.get(Customer.platform_id == ORDER_CUSTOMER).shop_id == other_shop.id
    response = client.get(path, headers=bearer(key))
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert client.get(path, headers=bearer(api_key(app, other_shop))).status_code == 200


def test_other_shops_events_are_not_listed(app, client, shop, key, other_shop, earn):
    earn(domain=OTHER_DOMAIN)
    response = client.get("/api/v1/events", headers=bearer(key))
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "next_before": None}
    theirs = client.get("/api/v1/events", headers=bearer(api_key(app, other_shop))).get_json()
    with session():
        assert [e["id"] for e in theirs["items"]] == [e.id for e in Event.select()]


def test_unknown_customer_is_404(client, shop, key):
    response = client.get("/api/v1/customers/999", headers=bearer(key))
    assert response.status_code == 404
    assert "999" in response.get_json()["message"]


def test_customer_detail_shows_points_earned_by_an_order(client, shop, key, earn):
    earn()
    response = client.get(f"/api/v1/customers/{ORDER_CUSTOMER}", headers=bearer(key))
    assert response.status_code == 200
    data = response.get_json()
    assert (data["id"], data["email"], data["first_name"]) == (ORDER_CUSTOMER,
                                                              "bob.norman@mail.example.com", "Bob")
    assert data["balance"] == {"total": 29, "by_type": {"regular": 29}, "spendable": {"regular": 29}}
    assert data["lifetime_earned"] == 29
    (lot,) = data["lots"]
    assert (lot["original"], lot["remaining"], lot["source"]) == (29, 29, "order:450789469")
    assert lot["rule"]["earned"]["eligible"] == "587.00"
    (entry,) = data["recent"]
    assert (entry["delta"], entry["kind"], entry["lot"]) == (29, "earn", lot["id"])
    with session():
        assert [e.id for e in LedgerEntry.select()] == [entry["id"]]


def test_customer_detail_shows_signup_bonus(client, shop, key, post_webhook, drain):
    assert post_webhook("customers/create", fixture_json(SIGNUP)).status_code == 200
    drain()
    data = client.get(f"/api/v1/customers/{SIGNUP_CUSTOMER}", headers=bearer(key)).get_json()
    assert data["balance"]["total"] == 100
    assert [(e["delta"], e["kind"]) for e in data["recent"]] == [(100, "bonus")]
    assert [(lot["original"], lot["rule"]) for lot in data["lots"]] == [(100, {"signup": 100})]


def test_ledger_pages_walk_every_entry_newest_first_once(client, shop, key, earn):
    for order_id in range(1001, 1006):
        earn(order_id)
    seen, before, pages = [], None, 0
    while True:
        query = {"limit": 2, **({"before": before} if before else {})}
        response = client.get(f"/api/v1/customers/{ORDER_CUSTOMER}/ledger", query_string=query,
                              headers=bearer(key))
        assert response.status_code == 200
        page = response.get_json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        pages += 1
        before = page["next_before"]
        if before is None:
            break
    assert pages == 3
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 5
    with session():
        assert set(seen) == {e.id for e in LedgerEntry.select().where(LedgerEntry.delta == 29)}


@pytest.mark.parametrize(("path", "query", "field"), [
    ("/api/v1/events", "limit=0", "limit"),
    ("/api/v1/events", "limit=501", "limit"),
    ("/api/v1/events", "limit=abc", "limit"),
    ("/api/v1/events", "before=0", "before"),
    ("/api/v1/events", "sort=id", "sort"),
    ("/api/v1/events", "status=bogus", "status"),
    (f"/api/v1/customers/{ORDER_CUSTOMER}/ledger", "limit=abc", "limit"),
    (f"/api/v1/customers/{ORDER_CUSTOMER}/ledger", "status=failed", "status"),
])
def test_invalid_query_param_is_422_naming_the_field(client, shop, key, earn, path, query, field):
    earn()
    response = client.get(f"{path}?{query}", headers=bearer(key))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid"
    assert list(body["fields"]) == [field]
    assert field in body["message"]


def test_failed_event_is_listed_with_its_error(client, shop, key):
    with session():
        stored = inbox.store(shop, "shopify", "bogus/topic", "delivery-bogus", "{}",
                             Mapped(kind="bogus.kind", payload={}))
        jobs.apply_pending(shop.id)
        assert Event.get_by_id(stored.id).status == EventStatus.FAILED
    response = client.get("/api/v1/events?status=failed", headers=bearer(key))
    assert response.status_code == 200
    (item,) = response.get_json()["items"]
    assert (item["id"], item["status"], item["kind"]) == (stored.id, "failed", "bogus.kind")
    assert "bogus.kind" in item["error"]


def test_unknown_topic_is_listed_as_ignored(client, shop, key, post_webhook, earn):
    earn()
    answer = post_webhook("collections/update", {"id": 1}).get_json()
    assert answer["status"] == "ignored"
    response = client.get("/api/v1/events?status=ignored", headers=bearer(key))
    (item,) = response.get_json()["items"]
    assert (item["id"], item["topic"], item["kind"]) == (answer["event_id"], "collections/update", None)
    assert "collections/update" in item["error"]
    with session():
        assert Event.select().count() == 2


def test_events_without_status_list_all_newest_first(client, shop, key, post_webhook, earn):
    earn()
    post_webhook("collections/update", {"id": 1})
    items = client.get("/api/v1/events", headers=bearer(key)).get_json()["items"]
    assert [item["status"] for item in items] == ["ignored", "applied"]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("get", "/api/v1/nowhere", 404),
    ("get", "/api/nowhere", 404),
    ("post", "/api/v1/shop", 405),
    ("delete", f"/api/v1/customers/{ORDER_CUSTOMER}", 405),
])
def test_api_errors_are_json_never_html(client, shop, key, method, path, status):
    response = getattr(client, method)(path, headers=bearer(key))
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert "error" in response.get_json()
    assert b"<html" not in response.data.lower()


def test_wrong_method_is_405_naming_the_allowed_methods(client, shop, key):
    response = client.post("/api/v1/shop", headers=bearer(key))
    assert response.status_code == 405
    assert "GET" in response.headers.get("Allow", "")


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
