"""The InSales receiver (a secret path per shop, no signature) and its order snapshots: paid earns
once, a returned line reverses pro rata, declined reverses all, any body answers 2xx."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import fn

from plugin.core.db import session
from plugin.core.kinds import EventKind
from plugin.core.models import Customer, Event, Hold, LedgerEntry, Shop
from plugin.core.status import EventStatus, HoldStatus
from plugin.customers import shops
from plugin.spend import redemption
from tests.helpers import fixture_json
from tests.json_anywhere import VALUES, paths
from webhooks import inbox
from webhooks.contract import Address
from webhooks.insales import payloads
from webhooks.insales.topics import INBOUND, delivery_id, path_secret, snapshot_key
from webhooks.stored import read

DOMAIN = "myshop.myinsales.ru"
ORDER = fixture_json("insales/DERIVED_order_webhook_from_dmz9_xml.json")["order"]
CLIENT = fixture_json("insales/DERIVED_client_from_order_webhook.json")["client"]
CODE = "LOY-ABCDEFGHJK"


@pytest.fixture
def insales(app):
    with session():
        shop, _ = shops.register("insales", DOMAIN)
        shops.set_currency(shop, "RUB")
    return shop


@pytest.fixture
def send(app, client, insales):
    """POST a body to the shop's InSales address for ``topic``, as InSales does (no signature)."""
    secret = path_secret(app.extensions["loyalty"].vault, insales.id)

    def post(topic: str, body, *, shop_id: int | str | None = None, key: str | None = None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        shop = insales.id if shop_id is None else shop_id
        return client.post(f"/webhooks/insales/{shop}/{key or secret}/{topic}", data=raw,
                           headers={"Content-Type": "application/json"})

    return post


def order(version: int = 0, *, quantity: int = 3, financial: str = "paid", fulfillment: str = "new",
          order_id: int = 11117922, **changes) -> dict:
    """The recorded order with one line of ``quantity`` x 1000.00 (after discounts), as of ``version``."""
    body = copy.deepcopy(ORDER)
    line = body["order_lines"][0]
    line.update(quantity=quantity, sale_price="1000.0", full_sale_price="1000.0",
                total_price=f"{1000 * quantity}.0", full_total_price=f"{1000 * quantity}.0")
    body.update(id=order_id, financial_status=financial, fulfillment_status=fulfillment,
                updated_at=f"2017-06-14 17:{version:02d}:27 +0300", **changes)
    return body


def points() -> int:
    with session():
        return LedgerEntry.select(fn.COALESCE(fn.SUM(LedgerEntry.delta), 0)).scalar()


def stored() -> list[Event]:
    with session():
        return list(Event.select().order_by(Event.id))


def test_addresses_carry_the_shops_secret_path(app, insales):
    secret = path_secret(app.extensions["loyalty"].vault, insales.id)
    where = Address.of(insales, "https://loyalty.example.test/", app.extensions["loyalty"].vault)
    assert where.path_secret == secret  # what `loyalty shops add` prints is what the receiver checks
    assert INBOUND.addresses(where) == {
        topic: f"https://loyalty.example.test/webhooks/insales/{insales.id}/{secret}/{topic}"
        for topic in ("clients/create", "orders/create", "orders/update")}


@pytest.mark.parametrize("wrong", ["secret", "shop", "platform"])
def test_wrong_secret_or_unknown_shop_is_401_and_writes_nothing(app, send, insales, wrong):
    if wrong == "secret":
        response = send("orders/update", order(), key="x" * 43)
    elif wrong == "shop":
        response = send("orders/update", order(), shop_id=insales.id + 1000)
    else:  # a Shopify shop's id with its own derived secret: not an InSales shop
        with session():
            other, _ = shops.register("shopify", "other.myshopify.com")
        response = send("orders/update", order(), shop_id=other.id,
                        key=path_secret(app.extensions["loyalty"].vault, other.id))
    assert response.status_code == 401
    assert stored() == []


def test_huge_shop_id_is_401(send):
    for shop_id in (10**30, "abc", 0, "\u0663"):
        assert send("orders/update", order(), shop_id=shop_id).status_code == 401


@pytest.mark.parametrize("raw", [b'{"id": 1, "order_lines": [', b"", b"\xff\xfe", b"[1, 2]", b"null"])
def test_malformed_body_on_the_right_address_is_200_and_stored_invalid(send, drain, raw):
    response = send("orders/update", raw)
    drain()
    assert response.status_code == 200
    (event,) = stored()
    assert event.status == EventStatus.INVALID and event.error


def test_unknown_topic_is_stored_ignored(send):
    assert send("products/update", {"id": 1}).status_code == 200
    assert stored()[0].status == EventStatus.IGNORED


def test_paid_order_earns_on_its_lines_after_discounts(send, drain):
    assert send("orders/update", ORDER).status_code == 200  # 12474.00 after the 10% discount
    drain()
    assert points() == 623
    with session():
        customer = Customer.get()
    assert customer.platform_id == "12721951"
    kinds = [(e.topic, e.kind, e.status) for e in stored()]
    assert kinds == [("orders/update", EventKind.ORDER_SNAPSHOT, EventStatus.APPLIED),
                     ("derived/order.paid", EventKind.ORDER_PAID, EventStatus.APPLIED)]


def test_wrapped_order_is_read_like_a_bare_one(send, drain):
    assert send("orders/create", {"order": ORDER}).status_code == 200
    drain()
    assert points() == 623


def test_duplicate_delivery_is_stored_once(send, drain):
    assert send("orders/update", order()).get_json()["status"] == "accepted"
    assert send("orders/update", order()).get_json()["status"] == "duplicate"
    drain()
    assert points() == 150
    assert len(stored()) == 2  # the snapshot and its order.paid


def test_paid_earns_once_across_create_and_updates(send, drain):
    for topic, version in [("orders/create", 0), ("orders/update", 0), ("orders/update", 1),
                           ("orders/update", 2)]:
        assert send(topic, order(version)).status_code == 200
        drain()
    assert points() == 150
    with session():
        assert Event.select().where(Event.kind == EventKind.ORDER_PAID).count() == 1


def test_created_pending_earns_nothing_until_paid(send, drain):
    send("orders/create", order(0, financial="pending"))
    drain()
    assert points() == 0
    assert stored()[0].error == "order pending: nothing to derive"
    send("orders/update", order(1))
    drain()
    assert points() == 150


def test_returned_line_reverses_pro_rata_once(send, drain):
    send("orders/update", order(0))
    drain()
    for version in (1, 2):  # the same return seen twice (a later, unrelated change)
        send("orders/update", order(version, quantity=2))
        drain()
    assert points() == 100
    send("orders/update", order(3, quantity=0))
    drain()
    assert points() == 0
    with session():
        refunds = [e.business_key for e in Event.select().where(Event.kind == EventKind.ORDER_REFUNDED)]
    assert refunds == ["order.refunded:11117922:38622272:1", "order.refunded:11117922:38622272:3"]


def test_removed_line_reverses_it(send, drain):
    second = {**ORDER["order_lines"][0], "id": 99, "quantity": 1, "full_total_price": "2000.0"}
    send("orders/update", order(0, order_lines=[*order()["order_lines"], second]))
    drain()
    assert points() == 250
    send("orders/update", order(1))
    drain()
    assert points() == 150


def test_declined_reverses_everything(send, drain):
    send("orders/update", order(0))
    drain()
    send("orders/update", order(1, quantity=2))
    send("orders/update", order(2, quantity=2, fulfillment="declined"))
    drain()
    assert points() == 0
    assert all(e.status == EventStatus.APPLIED for e in stored())


def test_returned_order_refunds_every_line(send, drain):
    send("orders/update", order(0))
    drain()
    send("orders/update", order(1, fulfillment="returned"))
    drain()
    assert points() == 0
    with session():
        assert Event.select().where(Event.kind == EventKind.ORDER_CANCELLED).count() == 0


def test_reconciliation_listing_a_version_already_received_stores_nothing(app, send, insales):
    send("orders/update", ORDER)
    api = json.dumps({**ORDER, "updated_at": "2017-06-14T14:00:27.000Z"}).encode()  # the API's spelling
    with session():
        assert inbox.store(insales, "insales", "orders/update", delivery_id(api, "orders/update"),
                           api.decode(), read("insales", "orders/update", api)) is None


def test_declined_before_paid_derives_nothing(send, drain):
    send("orders/update", order(0, financial="pending", fulfillment="declined"))
    drain()
    assert points() == 0
    assert len(stored()) == 1


def test_paid_order_first_seen_declined_earns_and_reverses(send, drain):
    send("orders/update", order(0, fulfillment="declined"))
    drain()
    assert points() == 0
    with session():
        assert {e.kind for e in Event.select()} == {EventKind.ORDER_SNAPSHOT, EventKind.ORDER_PAID,
                                                     EventKind.ORDER_CANCELLED}


def test_return_seen_before_the_paid_snapshot_earns_on_what_is_left(send, drain):
    send("orders/update", order(1, quantity=2))  # the later version arrives first
    send("orders/update", order(0))
    drain()
    assert points() == 100


def test_snapshots_in_one_batch_derive_in_order(send, drain):
    send("orders/create", order(0, financial="pending"))
    send("orders/update", order(1))
    send("orders/update", order(2, quantity=1))
    drain()
    assert points() == 50


def test_redemption_code_is_read_from_a_discount_description():
    body = order(0, discounts=[{**ORDER["discounts"][0], "description": f"Баллы {CODE}", "amount": "300.0"}])
    mapped = payloads.order(body)
    assert (mapped["discount_codes"], mapped["discount_amounts"]) == ([CODE], {CODE: "300.0"})
    assert mapped["currency"] == "RUB"
    assert payloads.order(order(0, discounts=[], discount={"description": CODE}))["discount_codes"] == [CODE]


def test_paid_order_carrying_a_hold_code_commits_the_hold(send, drain, insales):
    send("clients/create", CLIENT)
    drain()
    with session():
        buyer = Customer.get()
        hold = redemption.redeem(buyer, points=100, lines=[{"line_id": "1", "sku": "A", "amount": "3000.00"}],
                                 key="cart-1", currency="RUB")
    entry = {**ORDER["discounts"][0], "description": f"Баллы {hold.code}", "amount": "100.0"}
    send("orders/update", order(0, discounts=[entry], discount=entry))
    drain()
    with session():
        assert Hold.get_by_id(hold.id).status == HoldStatus.COMMITTED
    assert points() == 150  # 100 signed up, 100 spent, 150 earned


def test_snapshot_key_is_the_same_for_the_webhook_and_the_api_spelling():
    api = {**ORDER, "updated_at": "2017-06-14T17:00:27.000+03:00"}
    assert snapshot_key(ORDER) == snapshot_key({"order": api}) == "order.snapshot:11117922:20170614T140027Z"


@pytest.mark.parametrize("body", [CLIENT, {"client": CLIENT}])
def test_new_client_gets_the_signup_bonus_once(send, drain, body):
    send("clients/create", body)
    send("clients/create", {**CLIENT, "updated_at": "later"})  # same client, another body
    drain()
    assert points() == 100
    with session():
        assert Customer.get().platform_id == "12721951"


def test_inactive_shop_stores_ignored(send, insales, drain):
    with session():
        Shop.update(active=False).where(Shop.id == insales.id).execute()
    assert send("orders/update", order()).status_code == 200
    drain()
    assert points() == 0


ORDER_PATHS = [path for path in paths(ORDER) if path]
ORDER_IDS = iter(range(10**9, 2 * 10**9))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(ORDER_PATHS), value=VALUES)
def test_any_value_anywhere_in_an_order_is_2xx_and_applies_whole_or_not_at_all(send, drain, path, value):
    body = {**copy.deepcopy(ORDER), "id": next(ORDER_IDS)}
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    response = send("orders/update", body)
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
    assert event.status in (EventStatus.APPLIED, EventStatus.INVALID), event.error
    assert all(e.status == EventStatus.APPLIED for e in derived), [e.error for e in derived]
    if event.status == EventStatus.INVALID:
        assert event.error and not derived
