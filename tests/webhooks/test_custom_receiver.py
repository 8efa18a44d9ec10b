"""A custom store's events: signed with Standard Webhooks, validated against our published shape
(a 422 naming the field), stored once, and applied like any platform's (earn, refund pro rata,
cancel, review)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from plugin import ledger
from plugin.core.db import session
from plugin.core.models import Customer, Event, LedgerEntry, Order, Shop
from plugin.core.status import EventStatus
from plugin.customers import shops
from plugin.program import document, versions
from tests.helpers import REVIEWS, admin_headers, fixture_json

EXAMPLES = {kind: fixture_json(f"custom/{kind}.json") for kind in (
    "customer.created", "order.paid", "order.refunded", "order.cancelled", "review.published",
    "review.unpublished", "shop.uninstalled")}


def example(kind: str, **data) -> dict:
    body = copy.deepcopy(EXAMPLES[kind])
    body["data"].update(data)
    return body


def balance(shop, customer_id: str) -> int:
    with session():
        customer = Customer.get((Customer.shop == shop.id) & (Customer.platform_id == customer_id))
        return sum(ledger.balances(customer).values())


def stored() -> list[Event]:
    with session():
        return list(Event.select().order_by(Event.id))


def send(post_custom, drain, *bodies):
    for body in bodies:
        response = post_custom(body)
        assert response.status_code == 200, response.get_json()
    drain()


# --- the receiver ---------------------------------------------------------------------------------

def test_wrong_signature_is_401_and_stores_nothing(post_custom):
    response = post_custom(EXAMPLES["order.paid"], secret="not the shop's")
    assert response.status_code == 401
    assert stored() == []


def test_unknown_shop_is_401(post_custom):
    assert post_custom(EXAMPLES["order.paid"], domain="other.example.com").status_code == 401


def test_stale_timestamp_is_401(post_custom):
    response = post_custom(EXAMPLES["order.paid"], at=datetime.now(UTC) - timedelta(minutes=6))
    assert response.status_code == 401
    assert stored() == []


def test_malformed_json_is_400(post_custom):
    assert post_custom(b'{"type": "order.paid",').status_code == 400
    assert post_custom(b"[1, 2]").status_code == 400
    assert stored() == []


@pytest.mark.parametrize(("change", "field"), [
    (lambda b: b["data"]["lines"][0].update(price=1500), "data.lines.0.price"),
    (lambda b: b["data"]["lines"][1].update(quantity="1"), "data.lines.1.quantity"),
    (lambda b: b["data"].update(colour="red"), "data.colour"),
    (lambda b: b["data"].pop("currency"), "data.currency"),
    (lambda b: b["data"]["customer"].update(id="has space"), "data.customer.id"),
    (lambda b: b["data"]["lines"][0].update(on_sale="no"), "data.lines.0.on_sale"),
    (lambda b: b["data"].update(currency="EUR"), "data.currency"),  # not the shop's (RUB)
    (lambda b: b.update(type="order.shipped"), "type"),
    (lambda b: b.update(version=2), "version"),
    (lambda b: b.update(timestamp="yesterday"), "timestamp"),
])
def test_a_wrong_field_is_a_422_naming_it(post_custom, change, field):
    body = copy.deepcopy(EXAMPLES["order.paid"])
    change(body)
    response = post_custom(body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["fields"]
    assert stored() == []


def test_oversized_body_is_413(app, post_custom):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = example("order.paid", id="A-1")
    body["data"]["lines"][0]["title"] = "x" * limit
    assert post_custom(body).status_code == 413
    assert stored() == []


def test_a_delivery_sent_twice_is_stored_and_applied_once(custom_shop, post_custom, drain):
    first = post_custom(EXAMPLES["order.paid"], delivery="msg_same")
    again = post_custom(EXAMPLES["order.paid"], delivery="msg_same")
    other = post_custom(EXAMPLES["order.paid"], delivery="msg_resent")  # same order, new delivery id
    drain()
    assert first.get_json()["status"] == "accepted"
    assert again.get_json()["status"] == other.get_json()["status"] == "duplicate"
    assert len(stored()) == 1
    assert balance(custom_shop, "C-1001") == 195  # 5% of 3900, once


# --- what each type does --------------------------------------------------------------------------

def test_sign_up_earns_the_bonus(custom_shop, post_custom, drain):
    send(post_custom, drain, EXAMPLES["customer.created"])
    assert balance(custom_shop, "C-1001") == 100
    with session():
        anna = Customer.get(Customer.platform_id == "C-1001")
    assert (anna.email, anna.first_name) == ("anna@example.ru", "Anna")


def test_paid_order_maps_to_the_canonical_order(custom_shop, post_custom, drain):
    send(post_custom, drain, EXAMPLES["order.paid"])
    with session():
        order = Order.get(Order.platform_id == "A-5001")
    assert order.eligible == Decimal("3900")
    lines = order.order["lines"]
    assert [(line["line_id"], line["amount"], line["tags"], line["on_sale"]) for line in lines] == [
        ("1", "3000.00", ["tea"], False), ("2", "900.00", [], True)]
    assert set(lines[0]) >= {"line_id", "product_id", "variant_id", "sku", "vendor", "product_type",
                             "tags", "on_sale", "quantity", "amount", "gift_card"}
    assert balance(custom_shop, "C-1001") == 195


def test_refund_is_valued_pro_rata_from_the_order_line(custom_shop, post_custom, drain):
    send(post_custom, drain, EXAMPLES["order.paid"], EXAMPLES["order.refunded"])
    with session():
        order = Order.get(Order.platform_id == "A-5001")
    assert order.refunded_lines == {"1": "1500.0000"}  # one of two teas at 1500
    assert balance(custom_shop, "C-1001") == 120  # 5% of 2400
    rest = [{"line_id": "1", "quantity": 5}, {"line_id": "2", "quantity": 1}]
    send(post_custom, drain, example("order.refunded", id="R-7002", lines=rest))
    assert balance(custom_shop, "C-1001") == 0  # never beyond the line


def test_refund_before_its_order_waits_then_applies(custom_shop, post_custom, drain):
    send(post_custom, drain, EXAMPLES["order.refunded"])
    assert [e.status for e in stored()] == [EventStatus.WAITING]
    send(post_custom, drain, EXAMPLES["order.paid"])
    assert balance(custom_shop, "C-1001") == 120


def test_cancellation_takes_back_what_the_order_earned(custom_shop, post_custom, drain):
    send(post_custom, drain, EXAMPLES["order.paid"], EXAMPLES["order.cancelled"])
    assert balance(custom_shop, "C-1001") == 0
    assert all(e.status == EventStatus.APPLIED for e in stored())


def test_review_published_earns_and_unpublished_takes_back(custom_shop, post_custom, drain):
    with session():
        versions.save(custom_shop.id, {**document.DEFAULT, "reviews": REVIEWS}, author="owner@example.com")
    send(post_custom, drain, EXAMPLES["review.published"])
    assert balance(custom_shop, "C-1001") == REVIEWS["points"]
    send(post_custom, drain, EXAMPLES["review.published"])  # sent twice: once
    assert balance(custom_shop, "C-1001") == REVIEWS["points"]
    send(post_custom, drain, EXAMPLES["review.unpublished"])
    assert balance(custom_shop, "C-1001") == 0
    with session():
        assert LedgerEntry.select().count() == 2


def test_uninstall_deactivates_the_shop_and_later_events_are_ignored(app, client, custom_shop, post_custom,
                                                                     drain):
    send(post_custom, drain, EXAMPLES["shop.uninstalled"])
    with session():
        assert Shop.get_by_id(custom_shop.id).active is False
    assert client.get("/api/v1/shop", headers=admin_headers(app, custom_shop)).status_code == 401
    shops.forget_cached()  # the receivers' few seconds of cached shop rows, passed
    send(post_custom, drain, EXAMPLES["order.paid"])
    assert stored()[-1].status == EventStatus.IGNORED
