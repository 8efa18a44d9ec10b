"""The Ecwid receiver: the signature over ``eventCreated.eventId`` (the derived vector verifies),
401/400/413, the store named by ``storeId``, every event stored as a notice (the body trusted for
nothing more), and no body of any shape gives a 500 or a partial write."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import fn

from plugin.core.db import session
from plugin.core.kinds import EventKind
from plugin.core.models import Event, LedgerEntry, Shop
from plugin.core.status import EventStatus
from plugin.customers import shops
from tests.helpers import fixture_json
from tests.json_anywhere import VALUES, paths
from tests.webhooks.ecwid_bodies import PAID_ORDER_LINES, SECRET, api, api_order, headers, notice, post
from webhooks.ecwid.topics import SIGNATURE_HEADER, sign, verify
from webhooks.stored import mapped

VECTOR = fixture_json("ecwid/DERIVED_webhook_signature_vector.json")
UPDATED = fixture_json("ecwid/webhook_order_updated.json")


def stored() -> list[Event]:
    with session():
        return list(Event.select().order_by(Event.id))


@pytest.mark.parametrize("case", VECTOR["vectors"], ids=lambda case: case["eventId"])
def test_the_signature_vector_verifies(case):
    body = {"eventCreated": case["eventCreated"], "eventId": case["eventId"]}
    assert sign(VECTOR["client_secret"], case["eventCreated"], case["eventId"]) == case["expected_signature"]
    assert verify(VECTOR["client_secret"], body, case["expected_signature"])


def test_the_vector_fails_with_a_wrong_secret_and_the_docs_header_example_verifies_nothing():
    wrong = VECTOR["negative"][0]
    created, event_id = wrong["signed_string"].split(".", 1)
    body = {"eventCreated": int(created), "eventId": event_id}
    assert not verify(wrong["client_secret"], body, wrong["signature_that_must_fail"])
    assert verify(wrong["client_secret"], body, wrong["computed_with_wrong_secret"])
    example = VECTOR["negative"][1]["header"].split(": ", 1)[1]
    assert not verify(SECRET, UPDATED, example)


def test_the_docs_order_updated_body_is_accepted_as_an_unread_snapshot_of_its_order(send, ecwid_shop):
    body = copy.deepcopy(UPDATED)
    response = send(body, {"Content-Type": "application/json",
                                   SIGNATURE_HEADER: VECTOR["vectors"][0]["expected_signature"]})
    assert response.status_code == 200, response.get_json()
    [event] = stored()
    assert (event.kind, event.topic, event.delivery_id) == (EventKind.ORDER_SNAPSHOT, "order.updated",
                                                            body["eventId"])
    assert event.subject == "103" and event.business_key is None
    assert event.payload["unread"]  # Ecwid's API did not answer (nothing ecwid_api): it waits to be read


def test_a_wrong_signature_is_401_and_stores_nothing(client, ecwid_shop):
    body = notice("order.updated", 1028)
    assert post(client, body, headers(body, secret="abcde12345678")).status_code == 401
    assert post(client, body, {"Content-Type": "application/json"}).status_code == 401
    assert stored() == []


def test_a_body_altered_in_its_signed_part_is_401(client, ecwid_shop):
    body = notice("order.updated", 1028)
    sent = headers(body)
    assert post(client, {**body, "eventCreated": body["eventCreated"] + 1}, sent).status_code == 401
    assert stored() == []


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b"{\"eventId\": ", "\ufeff{}".encode()])
def test_a_body_that_is_not_a_json_object_is_400(client, ecwid_shop, raw):
    response = client.post("/webhooks/ecwid", data=raw, headers={"Content-Type": "application/json",
                                                                 SIGNATURE_HEADER: "x"})
    assert response.status_code == 400
    assert stored() == []


def test_an_oversized_body_is_413(client, ecwid_shop):
    body = notice("order.updated", 1028, padding="x" * (1024 * 1024))
    assert post(client, body).status_code == 413
    assert stored() == []


def test_an_unknown_store_is_answered_200_and_nothing_is_stored(client, ecwid_shop):
    response = post(client, notice("order.updated", 1028, store=999))
    assert (response.status_code, response.get_json()["status"]) == (200, "ignored")
    assert stored() == []


def test_an_inactive_store_stores_its_notice_ignored(client, ecwid_shop):
    with session():
        Shop.update(active=False).where(Shop.id == ecwid_shop.id).execute()
    shops.forget_cached()
    assert post(client, notice("order.updated", 1028)).status_code == 200
    [event] = stored()
    assert event.status == EventStatus.IGNORED


def test_the_same_event_id_twice_is_one_delivery(client, ecwid_shop):
    body = notice("order.created", 1028)
    assert post(client, body).get_json()["status"] == "accepted"
    assert post(client, body).get_json()["status"] == "duplicate"
    assert len(stored()) == 1


@pytest.mark.parametrize("event_type", ["product.updated", "unfinished_order.created", "fetched/order",
                                        "fetched/uninstalled", 7])
def test_other_event_types_are_stored_ignored(client, ecwid_shop, event_type):
    order = fixture_json("ecwid/order_get_1028_partially_refunded.json")
    body = notice(event_type, 1028, order=order, currency="RUB")
    response = post(client, body)
    assert response.status_code == 200
    [event] = stored()
    assert event.status == EventStatus.IGNORED and event.kind is None
    assert not event.topic.startswith("fetched/")  # a webhook never passes for what the API answered


def test_a_signed_notice_whose_entity_does_not_fit_is_stored_invalid_and_answered_200(client, ecwid_shop):
    response = post(client, notice("order.updated", "not-a-number"))
    assert response.status_code == 200 and response.get_json()["status"] == EventStatus.INVALID
    [event] = stored()
    assert event.status == EventStatus.INVALID and "entityId" in event.error


UNREAD = {"unread": "order 1028 is read from Ecwid's API first"}


@pytest.mark.parametrize("event_type,entity_id,kind,payload", [
    ("order.created", 1028, EventKind.ORDER_SNAPSHOT,
     {"entity": "order", "id": "1028", "event": "order.created", **UNREAD}),
    ("order.deleted", 1028, EventKind.ORDER_SNAPSHOT,
     {"entity": "order", "id": "1028", "event": "order.deleted", **UNREAD}),
    ("customer.created", 15319410, EventKind.NOTICE,
     {"entity": "customer", "id": "15319410", "event": "customer.created"}),
    ("application.uninstalled", "1003", EventKind.NOTICE,
     {"entity": "application", "id": "1003", "event": "application.uninstalled"}),
])
def test_each_event_maps_to_what_it_names_and_nothing_of_its_body(event_type, entity_id, kind, payload):
    body = notice(event_type, entity_id, data={"newPaymentStatus": "PAID", "total": 10**9})
    result = mapped("ecwid", event_type, json.dumps(body))
    assert (result.kind, result.payload, result.business_key) == (kind, payload, None)


BODY_PATHS = [path for path in paths(notice("order.updated", 1028, data=UPDATED["data"])) if path]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(BODY_PATHS), value=VALUES)
def test_any_value_anywhere_in_a_signed_body_is_never_a_500_nor_a_partial_write(client, ecwid_shop, path,
                                                                                value):
    body = notice("order.updated", 1028, data=copy.deepcopy(UPDATED["data"]))
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    raw = json.dumps(body).encode()
    created, event_id = body["eventCreated"], body["eventId"]
    try:
        signature = sign(SECRET, created, event_id)
    except UnicodeEncodeError:  # a lone surrogate cannot be signed by Ecwid either
        signature = "x"
    before = len(stored())
    response = client.post("/webhooks/ecwid", data=raw, headers={"Content-Type": "application/json",
                                                                 SIGNATURE_HEADER: signature})
    assert response.status_code in (200, 400, 401), response.get_data(as_text=True)
    after = stored()
    assert len(after) - before <= 1
    if response.status_code != 200 or response.get_json()["status"] in ("ignored", "duplicate"):
        return
    event = after[-1]  # a notice (read from the API later), or stored invalid / ignored with why
    assert event.kind in (EventKind.NOTICE, EventKind.ORDER_SNAPSHOT) or (
        event.status in (EventStatus.INVALID, EventStatus.IGNORED) and event.error)


# --- the acceptance test: a body altered after signing cannot change what is earned -------------

ALTERED = fixture_json("ecwid/DERIVED_webhook_order_updated_awaiting_to_paid.json")["body"]


def earned() -> int:
    with session():
        return LedgerEntry.select(fn.COALESCE(fn.SUM(LedgerEntry.delta), 0)).scalar()


def test_a_body_altered_after_signing_cannot_change_what_is_earned(send, ecwid_shop, ecwid_api):
    """The docs' order.updated, its signed eventId and eventCreated kept (so Ecwid's signature still
    verifies), its payment status flipped to PAID and a large order invented: Ecwid's API says the
    order awaits payment, so nothing is earned; once the API says PAID, the order earns what the
    API's order is worth, whatever a body said."""
    signature = {"Content-Type": "application/json",
                 SIGNATURE_HEADER: VECTOR["vectors"][0]["expected_signature"]}
    awaiting = api_order(103, 15319410, "AWAITING_PAYMENT", PAID_ORDER_LINES)
    ecwid_api.add(responses.GET, api("/orders/103"), json=awaiting)
    forged = {**copy.deepcopy(ALTERED), "total": "1000000.00", "paymentStatus": "PAID",
              "order": api_order(103, 15319410, "PAID", [(11, 901, Decimal("500000.00"), 2)]),
              "items": [{"id": 11, "price": 500000, "quantity": 2}]}
    assert forged["eventId"] == UPDATED["eventId"] and forged["data"] != UPDATED["data"]
    response = send(forged, signature)
    assert response.status_code == 200 and response.get_json()["status"] == "accepted"
    assert earned() == 0
    with session():
        [event] = Event.select()
    assert event.payload["state"] == "pending" and event.payload["order"]["lines"][0]["amount"] == "2000.00"
    assert send(copy.deepcopy(UPDATED), signature).get_json()["status"] == "duplicate"
    paid = {**awaiting, "paymentStatus": "PAID", "updateTimestamp": awaiting["updateTimestamp"] + 1}
    ecwid_api.replace(responses.GET, api("/orders/103"), json=paid)
    send(notice("order.updated", 103))
    assert earned() == 100  # 5% of the API's 2000.00, not of the body's million
    send({**forged, "eventId": "another", "data": {"newPaymentStatus": "REFUNDED"}})
    assert earned() == 100  # a body saying "refunded" refunds nothing the API does not


@pytest.mark.parametrize("name,kind,status", [
    ("webhook_order_created", EventKind.ORDER_SNAPSHOT, EventStatus.PENDING),
    ("webhook_order_updated", EventKind.ORDER_SNAPSHOT, EventStatus.PENDING),
    ("webhook_order_deleted", EventKind.ORDER_SNAPSHOT, EventStatus.PENDING),
    ("webhook_customer_created", EventKind.NOTICE, EventStatus.PENDING),
    ("webhook_application_uninstalled", EventKind.NOTICE, EventStatus.PENDING),
    ("webhook_unfinished_order_created", None, EventStatus.IGNORED),
])
def test_the_docs_webhook_bodies_store_as_what_they_name(name, kind, status):
    from webhooks.stored import read

    body = fixture_json(f"ecwid/{name}.json")
    keys = read("ecwid", body["eventType"], json.dumps(body).encode())
    assert (keys.kind, keys.status) == (kind, status)
