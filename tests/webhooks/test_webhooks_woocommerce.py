"""The WooCommerce receiver (a secret per webhook, ``X-WC-Webhook-Signature`` over the raw body) and
its mapping: orders as snapshots (paid earns once, cancelled reverses, deleted cancels), the
save-time ping, codes read from coupon lines, and any body answered 2xx without a partial write."""

from __future__ import annotations

import copy
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import fn

from plugin.core.db import session
from plugin.core.kinds import EventKind, OrderState
from plugin.core.models import Customer, Event, LedgerEntry, PlatformObject, Shop
from plugin.core.status import EventStatus
from plugin.customers import shops
from tests.helpers import FIXTURES, fixture_json
from tests.json_anywhere import VALUES, paths
from webhooks.woocommerce import payloads
from webhooks.woocommerce.receiver import sign, valid
from webhooks.woocommerce.topics import INBOUND, ORDER_TOPICS, WEBHOOK_KIND, snapshot_key, webhook_secret

DOMAIN = "shop.example.com"
ORDER = fixture_json("woocommerce/orders__retrieve_an_order.json")  # 727, processing, 6.00 + 12.00
COMPLETED = fixture_json("woocommerce/orders__update_an_order.json")
REFUNDED = fixture_json("woocommerce/orders__list_all_orders__723_completed_with_refunds.json")
CUSTOMER = fixture_json("woocommerce/customers__retrieve_a_customer.json")
PING = fixture_json("woocommerce/DERIVED_webhook_ping_request.json")
CUSTOMER_ID = 25


@pytest.fixture
def woo(app):
    with session():
        shop, _ = shops.register("woocommerce", DOMAIN, own_webhook_secret=False)
        shops.set_currency(shop, "USD")
    return shop


@pytest.fixture
def send(app, client, woo):
    """POST a body as WooCommerce delivers ``topic`` to the shop: signed with that webhook's secret."""
    vault = app.extensions["loyalty"].vault

    def post(topic: str, body, *, secret: str | None = None, shop_id=None, headers: dict | None = None):
        raw = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        secret = secret or webhook_secret(vault, woo.id, topic)
        return client.post(f"/webhooks/woocommerce/{shop_id or woo.id}", data=raw, headers={
            "Content-Type": "application/json", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": sign(secret, raw), "X-WC-Webhook-ID": "12",
            "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex, **(headers or {})})

    return post


def order(status: str = "processing", modified: str = "2017-03-22T19:28:08", **changes) -> dict:
    """Order 727 of a registered customer (WooCommerce's docs sell it to a guest), as of ``modified``."""
    body = copy.deepcopy(ORDER)
    body.update(status=status, date_modified_gmt=modified, customer_id=CUSTOMER_ID, **changes)
    return body


def points() -> int:
    with session():
        return LedgerEntry.select(fn.COALESCE(fn.SUM(LedgerEntry.delta), 0)).scalar()


def events() -> list[Event]:
    with session():
        return list(Event.select().order_by(Event.id))


@pytest.mark.parametrize("vector", ["DERIVED_signature_vector.json",
                                    "DERIVED_order_updated_signature_vector.json"])
def test_the_recorded_signature_vectors_verify(vector):
    recorded = fixture_json(f"woocommerce/{vector}")
    raw = (FIXTURES / "woocommerce" / recorded["body_file"]).read_bytes()
    assert valid(recorded["secret"], raw, recorded["headers"]["X-WC-Webhook-Signature"])
    assert sign(recorded["secret"], raw) == recorded["headers"]["X-WC-Webhook-Signature"]
    assert not valid("another-secret", raw, recorded["headers"]["X-WC-Webhook-Signature"])
    assert not valid(recorded["secret"], raw + b" ", recorded["headers"]["X-WC-Webhook-Signature"])


def test_each_topic_has_its_own_secret_and_one_address(app, woo):
    vault = app.extensions["loyalty"].vault
    secrets = {webhook_secret(vault, woo.id, topic) for topic in INBOUND.subscribed}
    assert len(secrets) == 4 and webhook_secret(vault, woo.id + 1, "order.created") not in secrets
    assert INBOUND.subscribed == ("customer.created", "order.created", "order.deleted", "order.updated")


def test_the_recorded_delivery_is_stored_and_earns(send, drain):
    response = send("order.created", order())
    assert response.status_code == 200 and response.get_json()["status"] == "accepted"
    drain()
    assert points() == 0  # 18.00 at 5%: no whole point yet; the order is applied all the same
    with session():
        derived = Event.get(Event.kind == EventKind.ORDER_PAID)
    assert derived.status == EventStatus.APPLIED
    assert [line["amount"] for line in derived.payload["lines"]] == ["6.00", "12.00"]


@pytest.mark.parametrize("wrong", ["secret", "topic", "shop"])
def test_a_wrong_signature_topic_or_shop_is_401_and_writes_nothing(app, send, woo, wrong):
    if wrong == "secret":
        response = send("order.created", order(), secret="not-the-webhooks-secret")
    elif wrong == "topic":  # signed with customer.created's secret, named order.created
        secret = webhook_secret(app.extensions["loyalty"].vault, woo.id, "customer.created")
        response = send("order.created", order(), secret=secret)
    else:
        response = send("order.created", order(), shop_id=woo.id + 1)
    assert response.status_code == 401
    assert events() == []


def test_an_unsigned_delivery_is_401(client, woo):
    response = client.post(f"/webhooks/woocommerce/{woo.id}", json=order(),
                           headers={"X-WC-Webhook-Topic": "order.created"})
    assert response.status_code == 401 and events() == []


@pytest.mark.parametrize("shop_id", ["0", "abc", "9" * 30, "-1"])
def test_a_shop_id_that_is_no_shop_is_401(client, shop_id):
    assert client.post(f"/webhooks/woocommerce/{shop_id}", data=b"webhook_id=1").status_code == 401


def test_an_oversized_body_is_413_and_writes_nothing(send):
    response = send("order.created", b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert response.status_code == 413 and events() == []


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe", b'{"id": "727"}'])
def test_a_signed_body_that_does_not_fit_is_stored_invalid_and_answered_200(send, drain, raw):
    response = send("order.updated", raw)
    assert response.status_code == 200 and response.get_json()["status"] == EventStatus.INVALID
    drain()
    [event] = events()
    assert event.status == EventStatus.INVALID and event.error


def test_a_signed_order_missing_what_the_mapper_needs_is_invalid_after_the_worker(send, drain):
    body = order()
    del body["line_items"]
    assert send("order.created", body).status_code == 200
    drain()
    [event] = events()
    assert event.status == EventStatus.INVALID and "line_items" in event.error


def test_the_ping_for_a_webhook_the_plugin_made_is_recorded_ignored_once(client, woo):
    with session():
        PlatformObject.create(shop=woo.id, kind=WEBHOOK_KIND, platform_id="142",
                              data={"topic": "order.updated"})
    for _ in range(2):
        response = client.post(f"/webhooks/woocommerce/{woo.id}", data=PING["raw_body"].encode(),
                               headers={"User-Agent": PING["headers"]["User-Agent"]})
        assert response.status_code == 200
    [event] = events()
    assert (event.delivery_id, event.status, event.kind) == ("ping:142", EventStatus.IGNORED, None)


def test_a_ping_for_any_other_webhook_is_200_and_stores_nothing(client, woo):
    response = client.post(f"/webhooks/woocommerce/{woo.id}", data=PING["raw_body"].encode())
    assert response.status_code == 200 and events() == []


@pytest.mark.parametrize("raw", [b"webhook_id=", b"webhook_id=abc", b"webhook_id=1&x=2",
                                 b"webhook_id=" + b"9" * 30])
def test_a_malformed_ping_is_400_and_stores_nothing(client, woo, raw):
    assert client.post(f"/webhooks/woocommerce/{woo.id}", data=raw).status_code == 400
    assert events() == []


def test_each_attempt_has_its_own_delivery_id_and_the_version_is_stored_once(send, drain):
    assert send("order.created", order()).get_json()["status"] == "accepted"
    assert send("order.created", order()).get_json()["status"] == "duplicate"
    assert send("order.updated", order()).get_json()["status"] == "duplicate"  # same version, other topic
    drain()
    assert [e.kind for e in events()] == [EventKind.ORDER_SNAPSHOT, EventKind.ORDER_PAID]


def test_the_snapshot_key_is_the_order_and_its_gmt_modification_time():
    assert snapshot_key(ORDER) == "order.snapshot:727:2017-03-22T19:28:08"
    assert snapshot_key(COMPLETED) == "order.snapshot:727:2017-03-22T19:30:35"


@pytest.mark.parametrize(("status", "state"), [
    ("processing", OrderState.PAID), ("completed", OrderState.PAID), ("refunded", OrderState.PAID),
    ("cancelled", OrderState.CANCELLED), ("pending", OrderState.PENDING), ("on-hold", OrderState.PENDING),
    ("failed", OrderState.PENDING), ("checkout-draft", OrderState.PENDING),
    ("a-plugins-own", OrderState.PENDING)])
def test_statuses_map_to_states(status, state):
    assert payloads.snapshot(order(status))["state"] == state


def test_the_canonical_order_carries_lines_after_discounts_shipping_tax_and_the_customer():
    data = payloads.snapshot(order())
    canonical = data["order"]
    assert (canonical["order_id"], canonical["currency"], canonical["shipping"], canonical["tax"]) == (
        "727", "USD", "10.00", "1.35")
    assert canonical["customer"] == {"id": "25", "email": "john.doe@example.com", "phone": "(555) 555-5555",
                                     "first_name": "John", "last_name": "Doe"}
    assert [(line["line_id"], line["product_id"], line["variant_id"], line["quantity"], line["amount"])
            for line in canonical["lines"]] == [("315", "93", None, 2, "6.00"),
                                                ("316", "22", "23", 1, "12.00")]
    assert "unread" not in data and "marketing_consent" not in canonical["customer"]


def test_a_guest_order_has_no_customer():
    assert payloads.order(ORDER)["customer"] is None  # customer_id 0
    assert payloads.order(ORDER)["email"] == "john.doe@example.com"


def test_the_plugins_codes_are_read_from_coupon_lines_in_any_case():
    body = order(coupon_lines=[{"id": 1, "code": "loy-abcdefghjk", "discount": "5.00"},
                               {"id": 2, "code": "summer10", "discount": "1.00"},
                               {"id": 3, "code": "LOY-ABCDEFGHJK", "discount": "5.00"}])
    canonical = payloads.order(body)
    assert canonical["discount_codes"] == ["LOY-ABCDEFGHJK"]
    assert canonical["discount_amounts"] == {"LOY-ABCDEFGHJK": "5.00"}


def test_an_order_listing_refunds_is_unread_until_they_are_read():
    data = payloads.snapshot(REFUNDED)
    assert data["refunds"] == {"ids": ["726", "724"], "total": "39.00"}
    assert "726" in data["unread"] and "724" in data["unread"]


def test_paid_earns_once_across_created_and_updated(send, drain):
    big = [{**ORDER["line_items"][0], "quantity": 2, "total": "1000.00"}]
    send("order.created", order("pending", line_items=big))
    send("order.updated", order("processing", "2017-03-22T19:29:00", line_items=big))
    send("order.updated", order("completed", "2017-03-22T19:30:35", line_items=big))
    drain()
    assert points() == 50
    with session():
        assert Customer.get().platform_id == str(CUSTOMER_ID)


def test_cancelled_after_paid_reverses_and_order_deleted_is_the_same_cancellation(send, drain):
    big = [{**ORDER["line_items"][0], "quantity": 2, "total": "1000.00"}]
    send("order.updated", order("processing", line_items=big))
    drain()
    assert points() == 50
    send("order.deleted", {"id": 727})
    send("order.updated", order("cancelled", "2017-03-22T19:40:00", line_items=big))
    drain()
    assert points() == 0
    with session():
        cancellations = list(Event.select().where(Event.kind == EventKind.ORDER_CANCELLED))
    assert [e.business_key for e in cancellations] == ["order.cancelled:727"]


def test_order_deleted_of_a_body_without_an_id_is_invalid(send, drain):
    assert send("order.deleted", {"id": "727"}).status_code == 200
    [event] = events()
    assert event.status == EventStatus.INVALID


def test_a_new_customer_gets_the_signup_bonus_once(send, drain):
    send("customer.created", CUSTOMER)
    send("customer.created", {**CUSTOMER, "date_modified_gmt": "later"})
    drain()
    assert points() == 100
    with session():
        customer = Customer.get()
    assert (customer.platform_id, customer.email) == ("25", "john.doe@example.com")
    assert customer.marketing_consent_at is None


def test_an_unknown_topic_is_stored_ignored(send):
    assert send("product.updated", {"id": 1}).get_json()["status"] == EventStatus.IGNORED


def test_an_inactive_shop_stores_ignored(send, woo, drain):
    with session():
        Shop.update(active=False).where(Shop.id == woo.id).execute()
    shops.forget_cached()
    assert send("order.updated", order()).status_code == 200
    drain()
    assert [e.status for e in events()] == [EventStatus.IGNORED]


ORDER_PATHS = [path for path in paths(ORDER) if path and path[0] != "_links"]
ORDER_IDS = iter(range(10**9, 2 * 10**9))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(ORDER_PATHS), value=VALUES, topic=st.sampled_from(ORDER_TOPICS))
def test_any_value_anywhere_in_an_order_is_2xx_and_applies_whole_or_not_at_all(send, drain, path, value,
                                                                               topic):
    body = {**order(), "id": next(ORDER_IDS)}
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    response = send(topic, body)
    drain()
    assert response.status_code == 200
    event_id = response.get_json().get("event_id")
    if event_id is None:
        return
    with session():
        event = Event.get_by_id(event_id)
        derived = list(Event.select().where(
            (Event.subject == event.subject) & Event.topic.startswith("derived/")
            & (Event.id > event_id))) if event.subject else []
    if event.status == EventStatus.FAILED:  # it listed refunds, and this shop has no keys to read them
        assert event.error.startswith("Unread") and not derived
        return
    assert event.status in (EventStatus.APPLIED, EventStatus.INVALID), event.error
    assert all(e.status == EventStatus.APPLIED for e in derived), [e.error for e in derived]
    if event.status == EventStatus.INVALID:
        assert event.error and not derived


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=VALUES, topic=st.sampled_from([*INBOUND.subscribed, "webhook.ping", ""]))
def test_any_json_body_on_any_topic_is_never_a_500_nor_a_partial_write(send, drain, body, topic):
    before = len(events())
    response = send(topic, body) if topic else send("order.created", json.dumps(body).encode())
    drain()
    assert response.status_code == 200, response.get_data(as_text=True)
    with session():
        stored = list(Event.select().where(Event.id > 0).order_by(Event.id))[before:]
    assert all(e.status in (EventStatus.APPLIED, EventStatus.INVALID, EventStatus.IGNORED, EventStatus.FAILED)
               for e in stored)
    assert all(not e.error or e.status != EventStatus.FAILED or e.error.startswith("Unread") for e in stored)
