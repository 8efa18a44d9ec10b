"""Suppressions over the admin API: report, list, lift; scoped to the shop; bad input is a 422
naming the field, never a 500."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.core.db import session
from plugin.core.models import Customer, Delivery
from plugin.core.status import DeliveryStatus
from plugin.customers import shops
from plugin.notify import dispatch, outbox
from plugin.notify.types import POINTS_EARNED, SAMPLES
from tests.helpers import admin_headers


def test_report_list_and_lift(app, client, shop):
    headers = admin_headers(app, shop)
    body = {"channel": "email", "address": " Anna@Example.COM ", "reason": "complaint",
            "detail": "spam button"}
    created = client.post("/api/v1/suppressions", json=body, headers=headers)
    assert created.status_code == 201
    assert created.json | {"id": 0, "created_at": ""} == {
        "id": 0, "created_at": "", "channel": "email", "address": "anna@example.com", "reason": "complaint",
        "detail": "spam button"}
    again = client.post("/api/v1/suppressions", json={**body, "reason": "bounce"}, headers=headers)
    assert again.status_code == 200 and again.json["reason"] == "complaint"  # the first report stays
    listed = client.get("/api/v1/suppressions?channel=email&address=ANNA@example.com", headers=headers)
    assert [s["address"] for s in listed.json["items"]] == ["anna@example.com"]
    assert client.delete(f"/api/v1/suppressions/{created.json['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/suppressions", headers=headers).json["items"] == []
    assert client.delete(f"/api/v1/suppressions/{created.json['id']}", headers=headers).status_code == 404


def test_a_reported_address_gets_no_more_and_its_waiting_mail_is_suppressed(app, client, shop, mail_sink):
    with session():
        anna = Customer.create(shop=shop.id, platform_id="7", email="anna@example.com")
        outbox.record(shop.id, POINTS_EARNED, "lot-1", SAMPLES[POINTS_EARNED], customer_id=anna.id)
    dispatch.dispatch()  # planned, not sent yet
    answer = client.post("/api/v1/suppressions", headers=admin_headers(app, shop),
                         json={"channel": "email", "address": "anna@example.com", "reason": "bounce"})
    assert answer.status_code == 201
    with session():
        dispatch.send_all()
        assert [(d.status, d.error) for d in Delivery.select()] == [
            (DeliveryStatus.SUPPRESSED, "address suppressed: bounce")]
    assert mail_sink.messages == []


def test_shops_see_and_lift_only_their_own(app, client, shop):
    with session():
        other, _ = shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)
    mine = client.post("/api/v1/suppressions", headers=admin_headers(app, shop),
                       json={"channel": "sms", "address": "+7 (900) 123-45-67", "reason": "manual"})
    assert mine.json["address"] == "79001234567"
    theirs = admin_headers(app, other)
    assert client.get("/api/v1/suppressions", headers=theirs).json["items"] == []
    assert client.delete(f"/api/v1/suppressions/{mine.json['id']}", headers=theirs).status_code == 404
    assert client.get("/api/v1/suppressions", headers=admin_headers(app, shop)).json["items"] != []


def test_without_the_key_nothing(client, shop):
    assert client.get("/api/v1/suppressions").status_code == 401
    assert client.post("/api/v1/suppressions", json={}).status_code == 401


FIELDS = {"channel": st.sampled_from(["email", "sms", "webhook", "", 3, None]),
          "address": st.one_of(st.text(max_size=400), st.integers(), st.none()),
          "reason": st.sampled_from(["bounce", "complaint", "manual", "other", None]),
          "detail": st.one_of(st.text(max_size=50), st.integers()),
          "extra": st.text(max_size=5)}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.fixed_dictionaries({}, optional=FIELDS))
def test_any_body_is_answered_201_200_or_422_naming_the_field_or_400_for_nul(app, client, shop, body):
    answer = client.post("/api/v1/suppressions", data=json.dumps(body), headers={
        **admin_headers(app, shop), "Content-Type": "application/json"})
    assert answer.status_code in (200, 201, 400, 422), answer.text
    if answer.status_code == 400:  # the house's rule for any JSON body: text with NUL is refused whole
        assert answer.json["error"] == "nul_character" and any("\x00" in str(v) for v in body.values())
    if answer.status_code == 422:
        assert set(json.dumps(answer.json)) and any(name in answer.text for name in FIELDS)


def test_malformed_json_is_a_400(app, client, shop):
    answer = client.post("/api/v1/suppressions", data=b"{nope", headers={
        **admin_headers(app, shop), "Content-Type": "application/json"})
    assert answer.status_code == 400
