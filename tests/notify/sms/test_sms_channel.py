"""The SMS channel end to end: outbox -> dispatch -> SMS.ru (mocked with responses), with quiet hours,
the daily cap, retries, suppression of a wrong number, consent and shop scoping."""

from __future__ import annotations

import json
from datetime import timedelta

import responses

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Customer, Delivery, Suppression
from plugin.core.status import DeliveryStatus
from plugin.notify import dispatch
from plugin.notify.sms.providers import SMSRU_URL
from tests.helpers import OTHER_DOMAIN
from tests.notify.sms.conftest import API_ID, PHONE, SECOND, drain_sms, sent_forms, smsru_ok


def deliveries() -> list[Delivery]:
    with session():
        return list(Delivery.select().where(Delivery.channel == "sms").order_by(Delivery.id))


def test_a_message_goes_to_smsru_with_the_api_id_sender_and_number(gateway, shopper, message, smsru, at):
    at(2026, 12, 7, 12)  # 15:00 in Moscow
    message(shopper())
    smsru.post(SMSRU_URL, json=smsru_ok())

    assert drain_sms() == 1

    [form] = sent_forms(smsru)
    assert (form["api_id"], form["to"], form["from"], form["json"]) == (API_ID, PHONE, "Shop", "1")
    assert form["msg"]
    [row] = deliveries()
    assert (row.status, row.target, row.attempts) == (DeliveryStatus.SENT, PHONE, 1)


def test_quiet_hours_in_the_shoppers_zone_defer_the_text_until_they_end(gateway, shopper, message, smsru, at):
    at(2026, 12, 7, 20)  # 23:00 in Moscow: quiet (21:00-09:00)
    message(shopper())
    smsru.post(SMSRU_URL, json=smsru_ok())

    assert drain_sms() == 0
    [row] = deliveries()
    assert row.status == DeliveryStatus.PENDING and row.attempts == 0
    assert row.next_attempt_at == clock.now().replace(hour=6) + timedelta(days=1)  # 09:00 Moscow
    assert not smsru.calls

    at(2026, 12, 8, 6, 0)
    assert drain_sms() == 1
    assert deliveries()[0].status == DeliveryStatus.SENT


def test_the_shoppers_own_zone_wins_over_the_shops(gateway, shopper, message, smsru, at):
    at(2026, 12, 7, 20)  # 23:00 in Moscow, but 12:00 in Los Angeles
    message(shopper(time_zone="America/Los_Angeles"))
    smsru.post(SMSRU_URL, json=smsru_ok())

    assert drain_sms() == 1


def test_over_the_daily_cap_a_text_waits_for_the_shoppers_next_day(gateway, shopper, message, smsru, at):
    gateway(sms_daily_cap=2)
    at(2026, 12, 7, 10)
    customer = shopper()
    for _ in range(3):
        message(customer)
    smsru.post(SMSRU_URL, json=smsru_ok())

    assert drain_sms() == 2
    waiting = [d for d in deliveries() if d.status == DeliveryStatus.PENDING]
    assert len(waiting) == 1
    assert waiting[0].next_attempt_at == clock.now().replace(hour=6) + timedelta(days=1)  # 09:00 MSK

    at(2026, 12, 7, 18)  # still the same day: nothing more
    assert drain_sms() == 0
    at(2026, 12, 8, 6)
    assert drain_sms() == 1
    assert len(sent_forms(smsru)) == 3


def test_a_gateway_error_is_retried_later_and_then_sent(gateway, shopper, message, smsru, at):
    at(2026, 12, 7, 10)
    message(shopper())
    smsru.post(SMSRU_URL, status=503, body="busy")

    assert drain_sms() == 0
    [row] = deliveries()
    assert (row.status, row.attempts, row.response_code) == (DeliveryStatus.PENDING, 1, 503)

    smsru.replace(responses.POST, SMSRU_URL, json=smsru_ok())
    at(2026, 12, 7, 10, 1)
    assert drain_sms() == 1


def test_a_number_smsru_calls_wrong_fails_for_good_and_is_suppressed(gateway, shopper, message, smsru, at):
    at(2026, 12, 7, 10)
    customer = shopper()
    message(customer)
    smsru.post(SMSRU_URL, json={"status": "OK", "status_code": 100, "sms": {PHONE: {
        "status": "ERROR", "status_code": 207, "status_text": "На этот номер нет маршрута"}}})

    assert drain_sms() == 0
    [row] = deliveries()
    assert (row.status, row.response_code) == (DeliveryStatus.FAILED, 207)
    assert "207" in row.error
    with session():
        assert Suppression.get().address == PHONE

    message(customer)  # the next message is planned suppressed, never sent
    drain_sms()
    assert deliveries()[1].status == DeliveryStatus.SUPPRESSED
    assert len(smsru.calls) == 1


def test_a_refused_api_id_is_retried_not_suppressed(gateway, shopper, message, smsru, at):
    at(2026, 12, 7, 10)
    message(shopper())
    smsru.post(SMSRU_URL, json={"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"})

    drain_sms()
    [row] = deliveries()
    assert (row.status, row.response_code) == (DeliveryStatus.PENDING, 200)
    with session():
        assert not Suppression.select().exists()


def test_the_generic_gateway_fills_its_templates_and_auth_header(gateway, shopper, message, smsru, at):
    gateway("http", {"url": "https://gw.example.test/send?to={phone}", "method": "POST",
                     "body": '{"to": "{phone}", "text": "{text}"}', "auth_header": "Authorization"},
            secret="Bearer gw-token")
    at(2026, 12, 7, 10)
    message(shopper())
    smsru.post("https://gw.example.test/send", json={"ok": True})

    assert drain_sms() == 1
    [call] = smsru.calls
    assert call.request.url == f"https://gw.example.test/send?to={PHONE}"
    assert call.request.headers["Authorization"] == "Bearer gw-token"
    body = json.loads(call.request.body)
    assert body["to"] == PHONE and body["text"]


def test_a_marketing_message_without_consent_is_suppressed(gateway, shopper, message, smsru, at):
    at(2026, 12, 7, 10)
    message(shopper(), "campaign.started", {"name": "Double points", "factor": "2"})
    consenting = shopper(phone=SECOND, marketing_consent_at=clock.now(), marketing_consent_source="shopify")
    message(consenting, "campaign.started", {"name": "Double points", "factor": "2"})
    smsru.post(SMSRU_URL, json=smsru_ok(SECOND))

    assert drain_sms() == 1
    statuses = [(d.status, d.error) for d in deliveries()]
    assert statuses == [(DeliveryStatus.SUPPRESSED, "no marketing consent"), (DeliveryStatus.SENT, None)]


def test_a_shopper_without_a_phone_gets_no_sms_row(gateway, shopper, message, smsru, at):
    at(2026, 12, 7, 10)
    message(shopper(phone=None))
    assert drain_sms() == 0
    assert deliveries() == []


def test_each_shop_sends_through_its_own_gateway(app, gateway, shop, shopper, message, smsru, at):
    from plugin.customers import shops

    with session():
        other, _ = shops.register("shopify", OTHER_DOMAIN, own_webhook_secret=False)
    gateway(secret="other-api-id", target=other)
    at(2026, 12, 7, 10)
    message(shopper())
    message(shopper(phone=SECOND, target=other))
    smsru.post(SMSRU_URL, json=smsru_ok())
    smsru.post(SMSRU_URL, json=smsru_ok(SECOND))

    assert drain_sms() == 2
    sent = {(f["to"], f["api_id"]) for f in sent_forms(smsru)}
    assert sent == {(PHONE, API_ID), (SECOND, "other-api-id")}


def test_a_gateway_without_its_url_fails_for_good_and_calls_nobody(gateway, shopper, message, smsru, at):
    gateway("http", {"method": "POST"})
    at(2026, 12, 7, 10)
    message(shopper())

    assert drain_sms() == 0
    [row] = deliveries()
    assert row.status == DeliveryStatus.FAILED and "no SMS gateway" in row.error
    assert not smsru.calls


def test_a_redacted_shopper_gets_nothing(gateway, shopper, message, smsru, at):
    at(2026, 12, 7, 10)
    customer = shopper()
    message(customer)
    dispatch.dispatch()
    with session():
        Customer.update(redacted_at=clock.now()).where(Customer.id == customer.id).execute()

    assert drain_sms() == 0
    assert deliveries()[0].status == DeliveryStatus.FAILED
    assert not smsru.calls
