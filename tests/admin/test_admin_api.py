"""Admin API: bearer-key auth scoped to one shop, the ledger, paging, events, JSON errors."""

from __future__ import annotations

import pytest

from plugin.core.db import session
from plugin.core.models import Customer, Event, LedgerEntry, Shop
from plugin.core.status import EventStatus
from plugin.pipeline import jobs
from tests.helpers import (
    ORDER_CUSTOMER,
    OTHER_DOMAIN,
    SIGNUP,
    SIGNUP_CUSTOMER,
    api_key,
    bearer,
    fixture_json,
)
from webhooks import inbox
from webhooks.topics import Mapped


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
