"""One currency per shop: Shopify orders paid in another currency earn on their shop_money
amounts, a program names no other currency, and the owner's figures are in the shop's."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from plugin.core.db import session
from plugin.core.models import Order, Shop
from plugin.customers import shops
from plugin.program import document, versions
from tests.conftest import admin_headers, fixture_json
from webhooks.shopify import payloads as shopify_payloads

# Shop currency USD, paid in EUR (tests/fixtures/shopify/README.md).
REAL = fixture_json("shopify/multicurrency_order_6134457074006.json")


def money(shop: str, paid: str, shop_code: str = "USD") -> dict:
    return {"shop_money": {"amount": shop, "currency_code": shop_code},
            "presentment_money": {"amount": paid, "currency_code": "EUR"}}


def discounted() -> dict:
    """The real order with what Shopify adds for a code, shipping and tax: the plain discount and
    shipping-discount amounts are the buyer's euros, the ``*_set`` carry both."""
    body = copy.deepcopy(REAL)
    body["line_items"][0]["discount_allocations"] = [{"amount": "4.20", "amount_set": money("4.51", "4.20"),
                                                      "discount_application_index": 0}]
    body["shipping_lines"] = [{"price": "5.00", "price_set": money("5.37", "5.00"), "discount_allocations": [
        {"amount": "1.00", "amount_set": money("1.07", "1.00")}]}]
    body["total_tax"], body["total_tax_set"] = "2.00", money("2.15", "2.00")
    return body


def test_the_real_order_maps_in_the_shops_currency_with_its_shop_money_lines():
    mapped = shopify_payloads.order(REAL)
    assert mapped["currency"] == "USD"
    assert [line["amount"] for line in mapped["lines"]] == ["45.01", "79.35"]  # not 41.95, 73.95 EUR


def test_discounts_shipping_and_tax_of_a_converted_order_come_from_shop_money():
    mapped = shopify_payloads.order(discounted())
    assert mapped["lines"][0]["amount"] == "40.50"  # 45.01 - 4.51, never 45.01 USD - 4.20 EUR
    assert (mapped["shipping"], mapped["tax"]) == ("4.30", "2.15")


@pytest.mark.parametrize("path, remove", [
    ("line_items.0.discount_allocations.0.amount_set",
     lambda b: b["line_items"][0]["discount_allocations"][0].pop("amount_set")),
    ("line_items.1.price_set", lambda b: b["line_items"][1].pop("price_set")),
    ("shipping_lines.0.price_set", lambda b: b["shipping_lines"][0].pop("price_set")),
    ("total_tax_set", lambda b: b.pop("total_tax_set")),
])
def test_a_converted_amount_without_shop_money_is_refused_naming_it(path, remove):
    body = discounted()
    remove(body)
    with pytest.raises(ValidationError) as raised:
        shopify_payloads.order(body)
    assert path in raised.value.messages


def test_shop_money_in_another_currency_than_the_orders_is_refused():
    body = copy.deepcopy(REAL)
    body["line_items"][0]["price_set"] = money("45.01", "41.95", shop_code="GBP")
    with pytest.raises(ValidationError) as raised:
        shopify_payloads.order(body)
    assert "line_items.0.price_set" in raised.value.messages


def test_a_refund_of_a_converted_order_takes_back_shop_money():
    refund = {"id": 1, "order_id": REAL["id"], "refund_line_items": [
        {"quantity": 1, "line_item": discounted()["line_items"][0]}]}
    assert shopify_payloads.refund(refund)["lines"][0]["amount"] == "40.5000"


def test_the_converted_order_earns_on_its_shop_money_in_a_usd_shop(shop, post_webhook, drain):
    assert post_webhook("orders/paid", discounted()).status_code == 200
    drain()
    with session():
        row = Order.get(Order.platform_id == str(REAL["id"]))
    assert (row.currency, row.eligible, row.earned) == ("USD", Decimal("119.85"), 5)  # 45.01-4.51+79.35


def test_a_program_naming_another_currency_than_the_shops_is_refused(shop):
    with session():
        shops.set_currency(shop, "RUB")
        with pytest.raises(ValidationError) as raised:
            versions.save(shop.id, {**copy.deepcopy(document.DEFAULT), "currency": "USD"}, "test")
        versions.save(shop.id, {**copy.deepcopy(document.DEFAULT), "currency": "RUB"}, "test")
    assert "currency" in raised.value.messages


def test_a_shop_with_orders_keeps_its_currency(shop, post_webhook, drain):
    post_webhook("orders/paid", REAL)
    drain()
    with session(), pytest.raises(shops.ShopError):
        shops.set_currency(Shop.get_by_id(shop.id), "RUB")


def test_a_rouble_shop_reports_liability_and_revenue_in_roubles(app, client, shop, post_webhook, drain):
    with session():
        shops.set_currency(shop, "RUB")
    body = copy.deepcopy(REAL)
    body["currency"] = body["presentment_currency"] = "RUB"
    body["line_items"] = [{"id": 1, "price": "2490.00", "quantity": 2}]
    post_webhook("orders/paid", body)
    drain()
    summary = client.get("/api/v1/analytics", headers=admin_headers(app, shop)).get_json()
    assert summary["currency"] == "RUB"
    assert summary["orders"]["members"]["revenue"] == "4980.00"
    assert summary["orders"]["other_currency_orders"] == 0


@pytest.mark.parametrize("lang, text", [("en", "currency RUB"), ("ru", "валюта RUB")])
def test_the_dashboard_shows_the_shops_currency(app, client, shop, lang, text):
    from tests.dashboard.test_dashboard import sign_in

    with session():
        shops.set_currency(shop, "RUB")
    sign_in(app, client, shop)
    html = client.get(f"/admin/overview?lang={lang}").get_data(as_text=True)
    assert f'<span class="currency">{text}</span>' in html
