"""One currency per shop: Shopify orders paid in another currency earn on their shop_money
amounts, a program names no other currency, and the owner's figures are in the shop's."""

from __future__ import annotations

import copy

import pytest
from marshmallow import ValidationError

from tests.helpers import CONVERTED, converted_discounted, money_set
from webhooks import shopify_payloads


def test_the_real_order_maps_in_the_shops_currency_with_its_shop_money_lines():
    mapped = shopify_payloads.order(CONVERTED)
    assert mapped["currency"] == "USD"
    assert [line["amount"] for line in mapped["lines"]] == ["45.01", "79.35"]  # not 41.95, 73.95 EUR


def test_discounts_shipping_and_tax_of_a_converted_order_come_from_shop_money():
    mapped = shopify_payloads.order(converted_discounted())
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
    body = converted_discounted()
    remove(body)
    with pytest.raises(ValidationError) as raised:
        shopify_payloads.order(body)
    assert path in raised.value.messages


def test_shop_money_in_another_currency_than_the_orders_is_refused():
    body = copy.deepcopy(CONVERTED)
    body["line_items"][0]["price_set"] = money_set("45.01", "41.95", shop_code="GBP")
    with pytest.raises(ValidationError) as raised:
        shopify_payloads.order(body)
    assert "line_items.0.price_set" in raised.value.messages


def test_a_refund_of_a_converted_order_takes_back_shop_money():
    refund = {"id": 1, "order_id": CONVERTED["id"], "refund_line_items": [
        {"quantity": 1, "line_item": converted_discounted()["line_items"][0]}]}
    assert shopify_payloads.refund(refund)["lines"][0]["amount"] == "40.5000"


