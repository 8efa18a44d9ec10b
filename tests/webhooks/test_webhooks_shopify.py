"""The Shopify receiver: signatures, bad input, the inbox and its deduplication."""

from __future__ import annotations

import base64
import json

import pytest

from plugin.core.db import session
from plugin.core.models import Event, LedgerEntry, PrivacyRequest
from plugin.core.status import EventStatus
from tests.helpers import APP_SECRET, FIXTURES, SHOP_DOMAIN, fixture_json
from webhooks.signatures import shopify_sign, shopify_valid

ORDER = "shopify/rest2025-07_order_450789469__GET_orders_450789469.json"


def rows(model) -> int:
    with session():
        return model.select().count()


def test_upstream_hmac_vector_verifies():
    vector = fixture_json("shopify/hmac_vectors.json")["webhook_body_hmac"][0]
    raw = vector["raw_body"].encode()
    assert shopify_valid(vector["secret"], raw, vector["expected_base64"])
    assert shopify_sign(vector["secret"], raw) == vector["expected_base64"]
    assert not shopify_valid(vector["secret"], raw + b" ", vector["expected_base64"])


def test_derived_order_delivery_is_accepted_with_its_recorded_headers(client, shop):
    vector = fixture_json("shopify/DERIVED_signature_vector.json")
    raw = (FIXTURES / "shopify" / vector["body_file"]).read_bytes()
    assert shopify_valid(vector["client_secret"], raw, vector["headers"]["X-Shopify-Hmac-Sha256"])
    response = client.post("/webhooks/shopify", data=raw, headers=vector["headers"])
    assert response.status_code == 200, response.get_json()
    with session():
        event = Event.get()
    assert (event.topic, event.kind) == ("orders/create", "order.paid")
    assert event.delivery_id == vector["headers"]["X-Shopify-Event-Id"]


def test_new_header_spelling_is_accepted(client, shop):
    raw = json.dumps(fixture_json(ORDER)).encode()
    response = client.post("/webhooks/shopify", data=raw, headers={
        "Shopify-Topic": "orders/paid", "Shopify-Shop-Domain": SHOP_DOMAIN,
        "Shopify-Hmac-Sha256": shopify_sign(APP_SECRET, raw), "Shopify-Webhook-Id": "w-1",
    })
    assert response.status_code == 200
    assert rows(Event) == 1


@pytest.mark.parametrize("signature", [None, "", "not base64!", base64.b64encode(b"x" * 32).decode()])
def test_bad_or_missing_signature_is_401_and_writes_nothing(client, shop, signature):
    raw = json.dumps(fixture_json(ORDER)).encode()
    headers = {"X-Shopify-Topic": "orders/paid", "X-Shopify-Shop-Domain": SHOP_DOMAIN}
    if signature is not None:
        headers["X-Shopify-Hmac-Sha256"] = signature
    response = client.post("/webhooks/shopify", data=raw, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert rows(Event) == 0


def test_body_signed_with_another_secret_is_401(post_webhook, shop):
    assert post_webhook("orders/paid", fixture_json(ORDER), secret="other").status_code == 401
    assert rows(Event) == 0


def test_unknown_shop_is_401_and_writes_nothing(post_webhook, shop):
    response = post_webhook("orders/paid", fixture_json(ORDER), domain="nobody.myshopify.com")
    assert response.status_code == 401
    assert "unknown shop" in response.get_json()["message"]
    assert rows(Event) == 0


@pytest.mark.parametrize("raw", [b'{"id": 1, "line_items": [', b"", b"\xff\xfe", b"[1, 2]", b"null",
                                 '{"id": 1}'.encode("utf-16")])
def test_signed_malformed_json_is_200_and_stored_invalid(post_webhook, shop, raw):
    """Signed, so never a 4xx (Shopify would retry it, then drop the subscription)."""
    response = post_webhook("orders/paid", raw)
    assert response.status_code == 200
    assert response.get_json()["status"] == "invalid"
    with session():
        event = Event.get()
    assert event.status == EventStatus.INVALID and event.error.startswith("body: ")
    assert rows(LedgerEntry) == 0


def test_two_megabyte_body_is_413_and_writes_nothing(post_webhook, shop):
    raw = b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = post_webhook("orders/paid", raw)
    assert response.status_code == 413
    assert response.is_json
    assert rows(Event) == 0


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda o: o.update(id="450789469"), "id"),
    (lambda o: o["line_items"][0].update(price="free"), "line_items.0.price"),
    (lambda o: o["line_items"][1].update(quantity=1.5), "line_items.1.quantity"),
    (lambda o: o.pop("currency"), "currency"),
    (lambda o: o.update(customer={"id": "bob"}), "customer.id"),
    (lambda o: o["line_items"][0]["discount_allocations"][0].update(amount=None),
     "line_items.0.discount_allocations.0.amount"),
])
def test_wrong_field_is_200_and_stored_invalid_naming_it(post_webhook, shop, drain, mutate, field):
    order = fixture_json(ORDER)
    mutate(order)
    response = post_webhook("orders/paid", order)
    drain()
    assert response.status_code == 200
    with session():
        event = Event.get()
    assert event.status == EventStatus.INVALID and event.error.startswith(field + ":")
    assert rows(LedgerEntry) == 0


@pytest.mark.parametrize("topic", ["collections/update", "orders/fulfilled", ""])
def test_unknown_topic_is_acknowledged_and_recorded(post_webhook, shop, topic):
    response = post_webhook(topic, {"id": 1})
    assert response.status_code == 200
    assert response.get_json()["status"] == "ignored"
    with session():
        event = Event.get()
    assert event.status == EventStatus.IGNORED and event.kind is None
    assert "not one the plugin handles" in event.error
    assert rows(LedgerEntry) == 0


@pytest.mark.parametrize(("name", "topic", "kind"), [
    ("compliance_customers_data_request.json", "customers/data_request", "privacy.data_request"),
    ("compliance_customers_redact.json", "customers/redact", "privacy.customer_redact"),
    ("compliance_shop_redact.json", "shop/redact", "privacy.shop_redact"),
])
def test_privacy_topics_are_stored_and_applied(post_webhook, shop, drain, name, topic, kind):
    response = post_webhook(topic, fixture_json(f"shopify/{name}"))
    assert response.get_json()["status"] == "accepted"
    drain()
    with session():
        event = Event.get()
        request = PrivacyRequest.get()  # what was done: tests/privacy/test_privacy.py
    assert (event.topic, event.kind, event.status) == (topic, kind, "applied")
    assert (request.topic, request.event_id) == (topic, event.id)


def test_same_delivery_twice_is_stored_once(post_webhook, shop, drain):
    order = fixture_json(ORDER)
    first = post_webhook("orders/paid", order, delivery="same")
    second = post_webhook("orders/paid", order, delivery="same")
    drain()
    assert first.get_json()["status"] == "accepted"
    assert second.get_json()["status"] == "duplicate"
    assert rows(Event) == 1


def test_event_id_header_takes_precedence_over_webhook_id(post_webhook, shop):
    order = fixture_json(ORDER)
    post_webhook("orders/paid", order, delivery="w-1", headers={"X-Shopify-Event-Id": "e-1"})
    again = post_webhook("orders/cancelled", order, delivery="w-2", headers={"X-Shopify-Event-Id": "e-1"})
    assert again.get_json()["status"] == "duplicate"


def test_order_sent_as_create_paid_and_updated_earns_once(post_webhook, shop, drain):
    order = fixture_json(ORDER)
    order["financial_status"] = "paid"
    answers = [post_webhook(topic, order).get_json()["status"]
               for topic in ("orders/create", "orders/paid", "orders/updated")]
    drain()
    assert answers == ["accepted", "duplicate", "ignored"]
    with session():
        earned = [e.delta for e in LedgerEntry.select()]
    assert earned == [29]


def test_order_created_unpaid_is_recorded_but_earns_nothing(post_webhook, shop, drain):
    order = fixture_json(ORDER)
    order["financial_status"] = "pending"
    assert post_webhook("orders/create", order).get_json()["status"] == "ignored"
    drain()
    assert rows(LedgerEntry) == 0
    assert post_webhook("orders/paid", order).get_json()["status"] == "accepted"
    drain()
    assert rows(LedgerEntry) == 1


def test_ids_beyond_two_to_the_53_stay_exact(post_webhook, shop, drain):
    order = fixture_json(ORDER)
    order["id"] = 2**63 - 25
    order["customer"]["id"] = 2**53 + 1
    post_webhook("orders/paid", order)
    drain()
    with session():
        event = Event.get()
        entry = LedgerEntry.get()
    assert event.payload["order_id"] == str(2**63 - 25)
    assert entry.customer.platform_id == str(2**53 + 1)
