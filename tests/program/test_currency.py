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
from tests.helpers import CONVERTED, admin_headers, converted_discounted


def test_the_converted_order_earns_on_its_shop_money_in_a_usd_shop(shop, post_webhook, drain):
    assert post_webhook("orders/paid", converted_discounted()).status_code == 200
    drain()
    with session():
        row = Order.get(Order.platform_id == str(CONVERTED["id"]))
    assert (row.currency, row.eligible, row.earned) == ("USD", Decimal("119.85"), 5)  # 45.01-4.51+79.35


def test_a_program_naming_another_currency_than_the_shops_is_refused(shop):
    with session():
        shops.set_currency(shop, "RUB")
        with pytest.raises(ValidationError) as raised:
            versions.save(shop.id, {**copy.deepcopy(document.DEFAULT), "currency": "USD"}, "test")
        versions.save(shop.id, {**copy.deepcopy(document.DEFAULT), "currency": "RUB"}, "test")
    assert "currency" in raised.value.messages


def test_a_shop_with_orders_keeps_its_currency(shop, post_webhook, drain):
    post_webhook("orders/paid", CONVERTED)
    drain()
    with session(), pytest.raises(shops.ShopError):
        shops.set_currency(Shop.get_by_id(shop.id), "RUB")


def test_a_rouble_shop_reports_liability_and_revenue_in_roubles(app, client, shop, post_webhook, drain):
    with session():
        shops.set_currency(shop, "RUB")
    body = copy.deepcopy(CONVERTED)
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
