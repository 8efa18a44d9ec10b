"""Input beyond every bound is a 4xx naming what is wrong, the same on both backends, and writes nothing.

Nested JSON (``[`` x 10000) raised RecursionError, a 500, wherever a body was parsed; dates at the
edge of time overflowed the date arithmetic; amounts of 10^400 passed the program's schema.
"""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from plugin import customers
from plugin.core import jsonbody
from plugin.core.db import session
from plugin.core.models import ALL_MODELS, Event, LedgerEntry
from plugin.core.status import EventStatus
from tests.helpers import (
    API_PROGRAM,
    SHOP_DOMAIN,
    admin_headers,
    b64url,
    fixture_json,
    post_form,
    shopper_headers,
    sign_in,
)
from webhooks.judgeme import receiver as judgeme
from webhooks.reviews.receiver import standard_secret

NESTED = [b"[" * 10000, b'{"a":' * 10000]
CUSTOMER = "c-1"
ADMIN_JSON = [("PUT", "/api/v1/program"), ("POST", "/api/v1/program/preview"),
              ("POST", f"/api/v1/customers/{CUSTOMER}/adjustments"), ("POST", "/api/v1/activation-codes"),
              ("POST", "/api/v1/activation-codes/redeem"), ("POST", "/api/v1/activities"),
              ("POST", f"/api/v1/customers/{CUSTOMER}/badges"),
              ("PUT", f"/api/v1/customers/{CUSTOMER}/birthday"),
              ("PUT", f"/api/v1/customers/{CUSTOMER}/tier"), ("POST", "/api/v1/tiers/reevaluate")]
WIDGET_JSON = [("POST", "/widget/v1/quote"), ("POST", "/widget/v1/redeem"), ("POST", "/widget/v1/rewards"),
               ("POST", "/widget/v1/rewards/free-shipping/redeem"), ("POST", "/widget/v1/offers"),
               ("POST", "/widget/v1/offers/events"), ("POST", "/widget/v1/offers/first_order/events"),
               ("POST", "/widget/v1/transfers"), ("POST", "/widget/v1/referral/claim"),
               ("POST", "/widget/v1/leaderboard")]


def rows() -> dict[str, int]:
    with session():
        return {model.__name__: model.select().count() for model in ALL_MODELS}


@pytest.fixture
def known(app, shop) -> str:
    with session():
        customers.ensure(shop.id, CUSTOMER)
    return CUSTOMER


def _sent(client, method: str, url: str, raw: bytes, headers: dict):
    sent = {**headers, "Content-Type": "application/json", "Idempotency-Key": "limits-0001"}
    return client.open(url, method=method, data=raw, headers=sent)


def test_nested_json_to_the_admin_api_is_400_and_writes_nothing(app, client, shop, known):
    before = rows()
    for (method, url), raw in itertools.product(ADMIN_JSON, NESTED):
        response = _sent(client, method, url, raw, admin_headers(app, shop, **{"X-Loyalty-Actor": "Olga"}))
        assert response.status_code == 400, (url, raw[:10], response.get_data(as_text=True))
        assert response.get_json()["error"] == "malformed_json"
    assert rows() == before


def test_nested_json_to_the_widget_api_is_400_and_writes_nothing(app, client, shop, known):
    before = rows()
    for (method, url), raw in itertools.product(WIDGET_JSON, NESTED):
        response = _sent(client, method, url, raw, shopper_headers(app, shop, CUSTOMER))
        assert response.status_code == 400, (url, raw[:10], response.get_data(as_text=True))
        assert response.get_json()["error"] == "malformed_json"
    assert rows() == before


def test_nested_json_to_judgeme_is_400_before_the_signature_check(client, shop):
    """Judge.me's receiver reads the body to find the shop whose secret signs it."""
    for raw in NESTED:
        response = client.post("/webhooks/judgeme", data=raw, headers={judgeme.SIGNATURE_HEADER: "00"})
        assert response.status_code == 400 and response.get_json()["error"] == "malformed_json"


def test_nested_json_signed_by_shopify_is_2xx_stored_invalid_and_moves_nothing(post_webhook, shop, drain):
    """A signed delivery is never refused (the platform would retry it and drop the subscription)."""
    for raw in NESTED:
        assert post_webhook("orders/paid", raw).status_code == 200
    drain()
    with session():
        assert {e.status for e in Event.select()} == {"invalid"}
        assert all("nested deeper" in e.error for e in Event.select())
        assert LedgerEntry.select().count() == 0


def test_nested_json_signed_the_standard_webhooks_way_is_400(app, client, shop):
    secret = app.extensions["loyalty"].vault.webhook_secret(shop.id)
    for number, raw in enumerate(NESTED):
        now = datetime.now(UTC)
        signature = Webhook(standard_secret(secret)).sign(f"msg_{number}", now, raw.decode())
        response = client.post(f"/webhooks/reviews/{SHOP_DOMAIN}", data=raw, headers={
            "webhook-id": f"msg_{number}", "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature})
        assert response.status_code == 400


def test_nested_json_in_the_dashboard_program_editor_is_reported_not_a_500(app, client, shop):
    sign_in(app, client, shop)
    for raw in NESTED:
        response = post_form(client, "/admin/program", {"document": raw.decode(), "action": "review"},
                             page="/admin/program")
        assert response.status_code == 422
        assert f"nested deeper than {jsonbody.MAX_DEPTH} levels" in response.get_data(as_text=True)


def test_a_shopify_session_token_of_nested_json_is_refused_not_a_500(client, shop):
    token = b64url(b"[" * 10000) + "." + b64url(b"{}") + ".c2ln"
    response = client.get("/admin", query_string={"shop": SHOP_DOMAIN, "id_token": token})
    assert response.status_code < 500


def test_a_lone_surrogate_in_a_json_string_is_400_naming_where(app, client, shop, known):
    before = rows()
    raw = json.dumps({"cart": {"lines": [{"sku": "\ud800", "price": "1"}]}}).encode()
    response = _sent(client, "POST", "/widget/v1/quote", raw, shopper_headers(app, shop, CUSTOMER))
    assert response.status_code == 400
    assert response.get_json()["fields"] == {"cart.lines.0.sku": ["lone surrogate"]}
    assert rows() == before


def test_a_lone_surrogate_in_a_signed_webhook_is_stored_invalid_naming_the_field(post_webhook, shop, drain):
    """It is not text (I-JSON): hashing the browser's IP could not encode it. Signed, so 2xx."""
    order = {**fixture_json("shopify/rest2025-07_order_created__POST_orders.json"), "browser_ip": "\udfff"}
    response = post_webhook("orders/paid", json.dumps(order).encode())
    drain()
    assert response.status_code == 200
    with session():
        event = Event.get()
        assert event.status == EventStatus.INVALID and "browser_ip" in event.error
        assert LedgerEntry.select().count() == 0


@pytest.mark.parametrize("query, field", [({"to": "9999-12-31"}, "to"), ({"to": "0001-01-01"}, "to"),
                                          ({"from": "0001-01-01", "to": "0001-01-05"}, "from")])
def test_an_analytics_date_at_the_edge_of_time_is_422_naming_it(app, client, shop, query, field):
    for url in ("/api/v1/analytics", "/api/v1/analytics/daily"):
        response = client.get(url, query_string=query, headers=admin_headers(app, shop))
        assert response.status_code == 422, response.get_data(as_text=True)
        assert field in response.get_json()["fields"]


def test_an_activity_at_the_edge_of_time_is_422_and_grants_nothing(app, client, shop):
    response = client.put("/api/v1/program", json=API_PROGRAM, headers=admin_headers(app, shop))
    assert response.status_code == 201
    before = rows()
    body = {"activity_id": "a-1", "customer_id": CUSTOMER, "name": "follow",
            "occurred_at": "0001-01-01T00:00:00+14:00"}
    response = client.post("/api/v1/activities", json=body, headers=admin_headers(app, shop))
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"occurred_at"}
    assert rows() == before


@pytest.mark.parametrize("path, value", [(("earning", "min_order"), "1e400"),
                                         (("tiers", "tiers", 1, "threshold"), "1000000000001"),
                                         (("tiers", "tiers", 1, "earn_multiplier"), "1e30")])
def test_a_program_amount_beyond_any_store_is_422_naming_it(app, client, shop, path, value):
    document = copy.deepcopy(API_PROGRAM)
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    response = client.put("/api/v1/program", json=document, headers=admin_headers(app, shop))
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {".".join(map(str, path))}
