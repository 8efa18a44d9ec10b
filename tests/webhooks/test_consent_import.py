"""Contact details and marketing consent read from each platform's customer: Shopify's
``email_marketing_consent``/``sms_marketing_consent``, InSales' ``subscribe`` flag, a custom store's
documented optional fields; recorded on the customer with when and where (38-FZ art. 18)."""

from __future__ import annotations

import copy
from datetime import datetime

from plugin.core.db import session
from plugin.core.models import Customer
from tests.helpers import SIGNUP, SIGNUP_CUSTOMER, fixture_json
from webhooks.custom import payloads as custom
from webhooks.insales import payloads as insales
from webhooks.shopify import payloads as shopify

INSALES_CLIENT = fixture_json("insales/DERIVED_client_from_order_webhook.json")["client"]
CUSTOM = fixture_json("custom/customer.created.json")


def customer_row(shop_id: int, platform_id: str) -> Customer:
    with session():
        return Customer.get((Customer.shop == shop_id) & (Customer.platform_id == platform_id))


def shopify_signup(email_state: str, sms_state: str = "not_subscribed", at: str | None = None) -> dict:
    body = copy.deepcopy(fixture_json(SIGNUP))
    body["email_marketing_consent"].update(state=email_state, consent_updated_at=at)
    body["sms_marketing_consent"]["state"] = sms_state
    return body


def test_shopify_email_consent_is_recorded_with_its_time_and_source(shop, post_webhook, drain):
    body = shopify_signup("subscribed", at="2026-11-30T10:00:00-05:00")
    assert post_webhook("customers/create", body).status_code == 200
    drain()

    row = customer_row(shop.id, SIGNUP_CUSTOMER)
    assert row.marketing_consent_at == datetime(2026, 11, 30, 15)
    assert row.marketing_consent_source == "shopify:email"
    assert row.phone == "15142546011"


def test_shopify_not_subscribed_on_every_channel_means_no_consent():
    assert shopify.customer(shopify_signup("not_subscribed"))["customer"]["marketing_consent"] is False
    sms_only = shopify.customer(shopify_signup("unsubscribed", "subscribed"))["customer"]
    assert (sms_only["marketing_consent"], sms_only["marketing_consent_source"]) == (True, "shopify:sms")


def test_an_order_without_consent_fields_leaves_consent_alone():
    body = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
    for name in ("email_marketing_consent", "sms_marketing_consent"):
        body["customer"].pop(name)
    assert "marketing_consent" not in shopify.order(body)["customer"]


def test_insales_subscribe_flag_is_consent():
    given = insales.customer({**INSALES_CLIENT, "subscribe": True})["customer"]
    assert (given["marketing_consent"], given["marketing_consent_source"]) == (True, "insales:subscribe")
    assert insales.customer({**INSALES_CLIENT, "subscribe": False})["customer"]["marketing_consent"] is False
    assert "marketing_consent" not in insales.customer({**INSALES_CLIENT, "subscribe": None})["customer"]


def test_custom_store_fields_fill_the_customer(custom_shop, post_custom, drain):
    body = copy.deepcopy(CUSTOM)
    body["data"].update(locale="ru-RU", time_zone="Asia/Yekaterinburg", marketing_consent=True,
                        marketing_consent_at="2026-05-01T12:00:00+03:00", phone="8 (916) 123-45-67")
    assert post_custom(body).status_code == 200
    drain()

    row = customer_row(custom_shop.id, "C-1001")
    assert (row.phone, row.locale, row.time_zone) == ("79161234567", "ru", "Asia/Yekaterinburg")
    assert (row.marketing_consent_at, row.marketing_consent_source) == (datetime(2026, 5, 1, 9), "custom")


def test_consent_withdrawn_later_is_cleared_and_first_consent_kept(custom_shop, post_custom, drain):
    signup = copy.deepcopy(CUSTOM)
    signup["data"].update(marketing_consent=True, marketing_consent_at="2026-05-01T12:00:00+03:00")
    order = fixture_json("custom/order.paid.json")
    order["data"]["customer"] = {"id": "C-1001", "marketing_consent": True,
                                 "marketing_consent_at": "2026-06-01T12:00:00+03:00"}
    send_all(post_custom, drain, signup, order)
    assert customer_row(custom_shop.id, "C-1001").marketing_consent_at == datetime(2026, 5, 1, 9)

    order = copy.deepcopy(order)
    order["data"].update(id="O-withdrawn")
    order["data"]["customer"] = {"id": "C-1001", "marketing_consent": False}
    send_all(post_custom, drain, order)
    row = customer_row(custom_shop.id, "C-1001")
    assert (row.marketing_consent_at, row.marketing_consent_source) == (None, None)


def send_all(post_custom, drain, *bodies):
    for body in bodies:
        response = post_custom(body)
        assert response.status_code == 200, response.get_json()
    drain()


def test_custom_store_wrong_zone_or_locale_is_a_422_naming_the_field(post_custom):
    wrong = (("time_zone", "Mars/Olympus"), ("locale", "not a locale"), ("marketing_consent", "yes"))
    for field, value in wrong:
        body = copy.deepcopy(CUSTOM)
        body["data"][field] = value
        response = post_custom(body)
        assert response.status_code == 422
        assert field in str(response.get_json())


def test_schema_refuses_nothing_it_documents():
    body = copy.deepcopy(CUSTOM)
    body["data"].update(locale="en", time_zone="UTC", marketing_consent=None, marketing_consent_at=None)
    assert custom.customer(body)["customer"]["locale"] == "en"
