"""What a batch reads from Ecwid before it applies: each order once (its snapshot completed in
place), a deleted order cancelled, a customer's sign-up, an uninstall only when the API refuses
the store's token; a failure leaves the events unread (retried)."""

from __future__ import annotations

import copy
import json

import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import fn

from plugin.core.db import session
from plugin.core.kinds import EventKind
from plugin.core.models import Customer, Event, LedgerEntry, Shop
from plugin.core.status import EventStatus
from plugin.customers import shops
from plugin.platforms.contract import Access
from plugin.platforms.ecwid.adapter import Ecwid
from tests.json_anywhere import VALUES, paths
from tests.webhooks.ecwid_bodies import CUSTOMER, PAID_ORDER_LINES, api, api_order, notice, order
from webhooks.ecwid import payloads

CUSTOMER_ID = 15319410
PAID_ORDER = api_order(2001, CUSTOMER_ID, "PAID", PAID_ORDER_LINES)


def points() -> int:
    with session():
        return LedgerEntry.select(fn.COALESCE(fn.SUM(LedgerEntry.delta), 0)).scalar()


def events(kind: str | None = None) -> list[Event]:
    with session():
        query = Event.select().order_by(Event.id)
        return list(query.where(Event.kind == kind) if kind else query)


def test_the_docs_order_maps_to_a_snapshot_with_its_refunded_money():
    data = payloads.snapshot({"currency": "USD", "order": order()})
    snapshot = data["order"]
    assert (data["state"], data["paid"], data["version"]) == ("paid", True, "1527779375")
    assert (data["refunded"], data["total"]) == ("3.5", "2014.97")
    # price x quantity less the item's coupon share and its other discounts, as Ecwid states them
    assert [(line["line_id"], line["product_id"], line["sku"], line["quantity"], line["amount"])
            for line in snapshot["lines"]] == [("140273658", "66722487", "ABCA-IAC", 1, "1034.40"),
                                               ("140273659", "66821181", "001001", 1, "16.24")]
    assert (snapshot["shipping"], snapshot["tax"], snapshot["currency"]) == ("475.85", "488.48", "USD")
    assert snapshot["discount_codes"] == ["APITESTING"]
    assert snapshot["discount_amounts"] == {"APITESTING": "22"}
    customer = snapshot["customer"]
    assert (customer["id"], customer["email"], customer["first_name"], customer["last_name"]) == (
        "40201284", "mscott@gmail.com", "Michael", "Scott")
    assert customer["marketing_consent"] is True
    assert snapshot["placed_at"] == "2018-05-31T15:08:36+00:00"


def test_payment_statuses_map_to_states():
    expected = {"PAID": "paid", "PARTIALLY_REFUNDED": "paid", "REFUNDED": "paid", "CANCELLED": "cancelled",
                "AWAITING_PAYMENT": "pending", "INCOMPLETE": "pending", "NEW": "pending"}
    assert {status: payloads.state(status) for status in expected} == expected


def test_refunded_without_an_amount_is_the_whole_total_and_a_guest_has_no_customer():
    data = payloads.snapshot({"currency": "RUB", "order": order(paymentStatus="REFUNDED", refundedAmount=None,
                                                                customerId=None)})
    assert data["refunded"] == data["total"] == "2014.97"
    assert data["order"]["customer"] is None


def test_a_paid_order_earns_on_what_the_api_says(send, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/orders/2001"), json=PAID_ORDER)
    assert send(notice("order.updated", 2001)).status_code == 200
    assert points() == 100
    [snapshot] = events(EventKind.ORDER_SNAPSHOT)
    assert snapshot.status == EventStatus.APPLIED and snapshot.payload["version"] == "1765000000"


def test_notices_of_one_order_in_a_batch_read_it_once(app, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/orders/2001"), json=PAID_ORDER)
    ecwid_api.add(responses.GET, api("/customers/15319410"), json=CUSTOMER)
    batch = [Event(id=1, kind=EventKind.ORDER_SNAPSHOT, payload={"entity": "order", "id": "2001",
                                                                  "event": "order.created", "unread": "x"}),
             Event(id=2, kind=EventKind.ORDER_SNAPSHOT, payload={"entity": "order", "id": "2001",
                                                                  "event": "order.updated", "unread": "x"}),
             Event(id=3, kind=EventKind.NOTICE, payload={"entity": "customer", "id": "15319410",
                                                          "event": "customer.created"}),
             Event(id=4, kind=EventKind.ORDER_PAID, payload={"order_id": "1"})]
    with session():
        prepared = Ecwid().prepare(ecwid_shop, batch, Access.from_environment())
    assert [call.request.url for call in ecwid_api.calls] == [api("/orders/2001"), api("/customers/15319410")]
    assert set(prepared.payloads) == {1, 2} and prepared.payloads[1]["order"]["order_id"] == "2001"
    assert prepared.done == {3: "customer 15319410 read"}
    [delivery] = prepared.deliveries
    assert (delivery.topic, delivery.key) == ("fetched/customer", "customer.created:15319410")


def test_a_deleted_order_the_api_no_longer_has_is_cancelled(send, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/orders/2001"), json=PAID_ORDER)
    send(notice("order.updated", 2001))
    assert points() == 100
    ecwid_api.replace(responses.GET, api("/orders/2001"), status=404, json={"errorMessage": "not found"})
    send(notice("order.deleted", 2001))
    assert points() == 0
    with session():
        cancelled = Event.get(Event.kind == EventKind.ORDER_CANCELLED)
    assert cancelled.business_key == "order.cancelled:2001" and cancelled.status == EventStatus.APPLIED


def test_an_order_the_api_does_not_have_without_a_delete_is_done_with_a_note(send, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/orders/2001"), status=404)
    send(notice("order.created", 2001))
    [event] = events()
    assert (event.status, event.error) == (EventStatus.APPLIED, "Ecwid has no order 2001")
    assert points() == 0


def test_a_refund_reverses_pro_rata_by_the_refunded_amount(send, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/orders/2001"), json=PAID_ORDER)
    send(notice("order.updated", 2001))
    refunded = {**PAID_ORDER, "paymentStatus": "PARTIALLY_REFUNDED", "refundedAmount": "500.00",
                "updateTimestamp": PAID_ORDER["updateTimestamp"] + 1}
    ecwid_api.replace(responses.GET, api("/orders/2001"), json=refunded)
    send(notice("order.updated", 2001))
    assert points() == 100 - 25  # 500.00 of 2000.00 back


def test_a_new_customer_earns_the_sign_up_bonus_with_their_consent(send, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/customers/15319410"), json=CUSTOMER)
    assert send(notice("customer.created", CUSTOMER_ID)).status_code == 200
    assert points() == 100
    with session():
        customer = Customer.get()
    assert (customer.platform_id, customer.email) == ("15319410", "johnsmith@example.com")
    [notified] = events(EventKind.NOTICE)
    assert (notified.status, notified.error) == (EventStatus.APPLIED, "customer 15319410 read")


def test_an_uninstall_the_api_confirms_deactivates_the_store(send, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/profile"), status=401, json={"errorMessage": "token revoked"})
    assert send(notice("application.uninstalled", "1003")).status_code == 200
    shops.forget_cached()
    with session():
        shop = Shop.get_by_id(ecwid_shop.id)
    assert (shop.active, shop.access_token) == (False, None)


def test_a_forged_uninstall_of_a_store_whose_token_works_changes_nothing(send, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/profile"), json={"generalInfo": {"storeId": 1003}})
    assert send(notice("application.uninstalled", "1003")).status_code == 200
    with session():
        assert Shop.get_by_id(ecwid_shop.id).active is True
    [event] = events()
    assert event.error == "not uninstalled: Ecwid still accepts the store's token"


def test_ecwid_down_leaves_the_order_unread_and_earns_nothing_yet(send, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/orders/2001"), status=503)
    send(notice("order.updated", 2001))
    [event] = events()
    assert event.status == EventStatus.FAILED and event.error.startswith("Unread")
    assert points() == 0


def test_ecwids_rate_limit_leaves_the_order_unread(send, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/orders/2001"), status=429, headers={"Retry-After": "30"})
    send(notice("order.updated", 2001))
    [event] = events()
    assert event.status == EventStatus.FAILED and event.error.startswith("Unread")


def test_what_was_read_before_a_failure_is_kept(app, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/orders/2001"), json=PAID_ORDER)
    ecwid_api.add(responses.GET, api("/orders/2002"), status=500)
    batch = [Event(id=n, kind=EventKind.ORDER_SNAPSHOT,
                   payload={"entity": "order", "id": str(2000 + n), "event": "order.updated", "unread": "x"})
             for n in (1, 2)]
    with session():
        prepared = Ecwid().prepare(ecwid_shop, batch, Access.from_environment())
    assert set(prepared.payloads) == {1} and not prepared.done


def test_an_order_that_does_not_fit_is_stored_invalid_and_its_notice_done(send, ecwid_shop, ecwid_api):
    ecwid_api.add(responses.GET, api("/orders/2001"), json={**PAID_ORDER, "items": "nothing"})
    send(notice("order.updated", 2001))
    notice_event, stored = events()
    assert notice_event.status == EventStatus.APPLIED and "does not fit" in notice_event.error
    assert (stored.topic, stored.status) == ("fetched/order", EventStatus.INVALID)
    assert "items" in stored.error and json.loads(stored.raw_body)["order"]["orderNumber"] == 2001


ORDER_PATHS = [path for path in paths(PAID_ORDER) if path]
ORDER_NUMBERS = iter(range(10**6, 2 * 10**6))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(ORDER_PATHS), value=VALUES)
def test_any_value_anywhere_in_the_apis_order_applies_whole_or_is_stored_invalid(send, ecwid_shop, ecwid_api,
                                                                                 path, value):
    number = next(ORDER_NUMBERS)
    answer = copy.deepcopy({**PAID_ORDER, "orderNumber": number})
    target = answer
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    ecwid_api.upsert(responses.GET, api(f"/orders/{number}"), body=json.dumps(answer, default=str))
    response = send(notice("order.updated", number))
    assert response.status_code == 200
    with session():
        made = list(Event.select().where(Event.id >= response.get_json()["event_id"]).order_by(Event.id))
    webhook, rest = made[0], made[1:]
    assert webhook.status == EventStatus.APPLIED, webhook.error
    assert all(e.status in (EventStatus.APPLIED, EventStatus.INVALID) for e in rest), [e.error for e in rest]
    if any(e.status == EventStatus.INVALID for e in rest):
        assert not any(e.topic.startswith("derived/") for e in rest)  # nothing of it applied
