"""What the worker reads from the store before a batch: an order's refunds (each once, one call per
order) applied to its snapshot, and the products its lines name (once, one call) for the rules."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from peewee import fn

from plugin.core.db import session
from plugin.core.kinds import EventKind
from plugin.core.models import CatalogProduct, Event, LedgerEntry, Order, PlatformObject
from plugin.core.status import EventStatus
from plugin.platforms.woocommerce import refunds
from tests.helpers import fixture_json
from tests.platforms.woocommerce.conftest import api
from webhooks.woocommerce.receiver import sign
from webhooks.woocommerce.topics import webhook_secret

ORDER = fixture_json("woocommerce/orders__list_all_orders__723_completed_with_refunds.json")  # 9.00 + 20.00
WITH_LINES = fixture_json("woocommerce/order-refunds__list_all_refunds__724_with_line_items.json")  # 311 back
AMOUNT_ONLY = fixture_json("woocommerce/order-refunds__retrieve_a_refund.json")  # 726: 10.00, no lines
PRODUCTS = "/products"


@pytest.fixture
def send(app, client, woo_shop):
    vault = app.extensions["loyalty"].vault

    def post(body: dict, topic: str = "order.updated"):
        raw = json.dumps(body).encode()
        response = client.post(f"/webhooks/woocommerce/{woo_shop.id}", data=raw, headers={
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": sign(webhook_secret(vault, woo_shop.id, topic), raw),
            "X-WC-Webhook-Delivery-ID": f"d-{body['date_modified_gmt']}", "Content-Type": "application/json"})
        assert response.status_code == 200, response.get_json()
        return response.get_json().get("event_id")

    return post


def order(modified: str = "2017-03-21T19:54:51", refunds_listed=(726, 724), **changes) -> dict:
    """Order 723 at 100 x its prices (points come in whole numbers), refunds as the order lists them."""
    body = copy.deepcopy(ORDER)
    for line in body["line_items"]:
        line["total"] = str(Decimal(line["total"]) * 100)
    body.update(date_modified_gmt=modified, total="3900.00", shipping_total="1000.00", **changes,
                refunds=[{"id": n, "refund": "", "total": "-1.00"} for n in refunds_listed])
    return body


def listed(*refunds_: dict) -> list[dict]:
    """The refunds endpoint's answer, at 100 x the recorded amounts."""
    out = []
    for refund in refunds_:
        refund = copy.deepcopy(refund)
        refund["amount"] = str(Decimal(refund["amount"]) * 100)
        for item in refund["line_items"]:
            item["total"] = str(Decimal(item["total"]) * 100)
        out.append(refund)
    return out


def mock_products(mocked, *ids: int):
    mocked.get(api(PRODUCTS), json=[{"id": n, "name": f"P{n}", "price": "20.00", "regular_price": "25.00",
                                     "sale_price": "20.00", "on_sale": True, "variations": [],
                                     "categories": [{"id": 1, "name": "Albums"}, {"id": 2, "name": "Music"}],
                                     "tags": [{"id": 3, "name": "gift"}]} for n in ids])


def calls(mocked, path: str) -> int:
    return sum(1 for call in mocked.calls if call.request.url.split("?")[0] == api(path))


def points() -> int:
    with session():
        return LedgerEntry.select(fn.COALESCE(fn.SUM(LedgerEntry.delta), 0)).scalar()


def test_refunds_are_read_once_and_applied_to_the_snapshot(send, drain, mocked):
    mocked.get(api("/orders/723/refunds"), json=listed(AMOUNT_ONLY, WITH_LINES))
    mock_products(mocked, 87, 34)
    event_id = send(order())
    drain()
    with session():
        event = Event.get_by_id(event_id)
    assert event.status == EventStatus.APPLIED, event.error
    assert "unread" not in event.payload
    assert [line["line_id"] for line in event.payload["order"]["lines"]] == ["313"]  # 311 came back whole
    assert (event.payload["refunded"], event.payload["total"]) == ("1000.00", "3900.00")  # 726: no lines
    # the first paid version earns on what is left: 2000.00 x (3900 - 1000) / 3900 at 5%
    assert points() == int(Decimal("2000.00") * 2900 / 3900 * Decimal("0.05"))
    assert calls(mocked, "/orders/723/refunds") == 1
    with session():
        kept = PlatformObject.select().where(PlatformObject.kind == refunds.KIND)
        assert sorted(row.platform_id for row in kept) == ["724", "726"]


def test_a_second_delivery_reads_no_refund_twice_and_a_new_refund_once(send, drain, mocked):
    mocked.get(api("/orders/723/refunds"), json=listed(AMOUNT_ONLY, WITH_LINES))
    mock_products(mocked, 87, 34)
    send(order())
    drain()
    send(order("2017-03-21T20:00:00", status="completed"))  # the same refunds: read from the cache
    drain()
    assert calls(mocked, "/orders/723/refunds") == 1
    third = copy.deepcopy(AMOUNT_ONLY)
    third.update(id=730, amount="5.00")
    mocked.replace("GET", api("/orders/723/refunds"), json=listed(third, AMOUNT_ONLY, WITH_LINES))
    before = points()
    event_id = send(order("2017-03-21T21:00:00", refunds_listed=(730, 726, 724)))
    drain()
    assert calls(mocked, "/orders/723/refunds") == 2
    with session():
        event = Event.get_by_id(event_id)
        derived = Event.get(Event.business_key == "order.refunded:723:amount:1500")
    assert event.payload["refunded"] == "1500.00" and derived.status == EventStatus.APPLIED
    assert points() < before  # 500.00 more of the 3900.00 reversed pro rata


def test_a_store_that_cannot_answer_leaves_the_snapshot_unread_and_it_applies_later(app, send, drain, mocked):
    from plugin.pipeline import fetching

    mocked.get(api("/orders/723/refunds"), status=503)
    mock_products(mocked, 87, 34)
    event_id = send(order())
    drain()
    with session():
        event = Event.get_by_id(event_id)
    assert event.status == EventStatus.FAILED and event.error.startswith("Unread")
    assert points() == 0
    mocked.replace("GET", api("/orders/723/refunds"), json=listed(AMOUNT_ONLY, WITH_LINES))
    fetching._failed_at.clear()  # the minute's backoff, passed
    with session():
        Event.update(status=EventStatus.PENDING).where(Event.id == event_id).execute()
    send(order("2017-03-21T19:59:00"))  # any delivery rings the shop
    drain()
    with session():
        assert Event.get_by_id(event_id).status == EventStatus.APPLIED
    assert points() > 0


def test_products_are_read_once_in_one_call_and_their_categories_reach_the_lines(send, drain, mocked):
    mock_products(mocked, 87, 34)
    send(order(refunds_listed=()))
    send(order("2017-03-21T20:00:00", refunds_listed=(), status="completed", id=724))
    drain()
    assert calls(mocked, PRODUCTS) == 1
    include = mocked.calls[0].request.params["include"]
    assert sorted(include.split(",")) == ["34", "87"]
    with session():
        row = CatalogProduct.get(CatalogProduct.product_id == "87")
        lines = Order.get(Order.platform_id == "723").order["lines"]
    assert (row.tags, row.product_type) == (["gift", "Albums", "Music"], "Albums")
    assert [(line["tags"], line["product_type"], line["on_sale"]) for line in lines] == [
        (["gift", "Albums", "Music"], "Albums", True)] * 2


def test_a_product_the_store_no_longer_has_is_not_asked_for_again(send, drain, mocked):
    mocked.get(api(PRODUCTS), json=[])
    send(order(refunds_listed=()))
    send(order("2017-03-21T20:00:00", refunds_listed=(), id=724))
    drain()
    assert calls(mocked, PRODUCTS) == 1
    with session():
        assert CatalogProduct.select().count() == 2


def test_a_refund_beyond_its_lines_counts_the_rest_as_money_refunded():
    payload = {"order": {"lines": [{"line_id": "1", "quantity": 2, "amount": "100.00"},
                                   {"line_id": "2", "quantity": 1, "amount": "50.00"}]},
               "refunds": {"ids": ["9"], "total": "170.00"}, "unread": "refunds 9 not read yet"}
    refund = {"amount": "75.00", "lines": [{"line_id": "1", "quantity": 1, "total": "50.00", "tax": "5.00"},
                                           {"line_id": "2", "quantity": 0, "total": "10.00", "tax": "0"}]}
    done = refunds.complete(payload, [refund])
    assert done["order"]["lines"] == [{"line_id": "1", "quantity": 1, "amount": "50.00"},
                                      {"line_id": "2", "quantity": 1, "amount": "50.00"}]
    assert (done["refunded"], done["total"]) == ("20.00", "170.00")  # 75 - (50 + 5 tax) of line 1
    assert "unread" not in done and "unread" in payload


def test_the_recorded_refund_keeps_its_line_quantity_and_total():
    assert refunds.facts(WITH_LINES) == {"amount": "9.00", "lines": [
        {"line_id": "311", "quantity": 1, "total": "9.00", "tax": "0.00"}]}
    assert refunds.facts(AMOUNT_ONLY) == {"amount": "10.00", "lines": []}


def test_prepare_reads_nothing_for_events_that_need_nothing(app, woo_shop, mocked):
    from plugin.platforms.contract import Access
    from plugin.platforms.registry import PLATFORMS

    with session():
        CatalogProduct.create(shop=woo_shop.id, product_id="87")
        event = Event(id=1, shop=woo_shop.id, kind=EventKind.ORDER_SNAPSHOT, payload={
            "order": {"order_id": "1", "lines": [{"line_id": "1", "product_id": "87"}]}})
        prepared = PLATFORMS["woocommerce"].prepare(woo_shop, [event], Access.from_environment())
    assert prepared.payloads == {} and len(mocked.calls) == 0
