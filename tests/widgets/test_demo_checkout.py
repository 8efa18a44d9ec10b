"""The demo checkout prices the cart as Shopify would for the shopper's tier (an automatic discount),
and its paid order carries that discount and the points discount line by line."""

from __future__ import annotations

import json
import re
from decimal import ROUND_FLOOR, Decimal

import pytest

from plugin import customers, tiers
from plugin.cli import demo
from plugin.core.db import session
from plugin.core.models import Event, Order
from tests.helpers import BOB, redeem, shopper_headers
from widgets import demo_store

ANNA = "7390000000001"


@pytest.fixture
def tiered_demo(demo_shop):  # noqa: F811 - the fixture imported above
    """The demo shop with its demo program (Bronze 3%, Silver 5%)."""
    with session():
        demo.configure_program(demo_shop.id)
    return demo_shop


def put_on(shop, customer: str, tier_id: str) -> None:
    with session():
        tiers.assign(customers.ensure(shop.id, customer), tier_id)


def page_totals(client, customer: str) -> dict:
    html = client.get(f"/demo/checkout?customer={customer}").get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="demo-data">(.*?)</script>', html, re.DOTALL)
    return json.loads(data.group(1))["totals"]


def delivered(order_id: str) -> dict:
    """The orders/paid body the demo store sent, as the receiver stored it."""
    with session():
        return json.loads(Event.get(Event.delivery_id == f"demo-order-{order_id}").raw_body)


def quoted_tier_discount(app, client, shop, customer: str) -> str:
    cart = demo_store.cart_of(demo_store.shopper(customer))
    lines = [{k: v for k, v in line.items() if k not in ("title", "total")} for line in cart["lines"]]
    body = {"cart": {"currency": cart["currency"], "shipping": cart["shipping"], "lines": lines}}
    response = client.post("/widget/v1/quote", json=body, headers=shopper_headers(app, shop, customer))
    return response.get_json()["tier_benefits"]["discount"]


@pytest.mark.parametrize(("customer", "label", "off", "total"), [
    # 3% of each line, rounded down: 5.97 + 1.74 + 0.47; and 190 shipping
    (BOB, "Bronze price −3%", "8.18", "454.32"),
    (ANNA, "Цена уровня «Бронза» −3%", "124.80", "4035.20"),
])
def test_the_checkout_shows_the_tier_price_the_widget_quotes(app, client, tiered_demo, customer, label, off,
                                                              total):
    put_on(tiered_demo, customer, "bronze")
    totals = page_totals(client, customer)
    assert totals["tier"] == {"label": label, "amount": off} and totals["total"] == total
    assert Decimal(totals["subtotal"]) - Decimal(off) + Decimal(totals["shipping"]) == Decimal(total)
    assert quoted_tier_discount(app, client, tiered_demo, customer) == off


def test_a_tier_without_a_discount_adds_no_line(client, tiered_demo):
    put_on(tiered_demo, BOB, "novice")
    assert page_totals(client, BOB) == {"subtotal": "272.50", "shipping": "190.00", "total": "462.50",
                                        "tier": None}


def test_the_paid_order_allocates_the_tier_and_the_points_discounts_to_its_lines(app, client, tiered_demo,
                                                                                  drain):
    put_on(tiered_demo, BOB, "bronze")
    held = redeem(app, client, tiered_demo, 50)
    answer = client.post("/demo/checkout/order", json={"customer": BOB, "code": held["code"]}).get_json()
    drain()
    body = delivered(answer["order"]["id"])
    automatic, code = body["discount_applications"]
    assert (automatic["type"], automatic["value_type"], automatic["value"], automatic["title"]) == (
        "automatic", "percentage", "3", "Loyalty: Bronze (discount)")
    assert (code["type"], code["code"]) == ("discount_code", held["code"])

    def allocated(index: int) -> Decimal:
        return sum((Decimal(a["amount"]) for line in body["line_items"] for a in line["discount_allocations"]
                    if a["discount_application_index"] == index), Decimal(0))

    assert (allocated(0), allocated(1)) == (Decimal("8.18"), Decimal("50.00"))
    assert Decimal(body["total_discounts"]) == allocated(0) + allocated(1)
    for line in body["line_items"]:
        shares = [Decimal(a["amount"]) for a in line["discount_allocations"]]
        assert Decimal(line["total_discount"]) == sum(shares)
    paid = Decimal(body["total_line_items_price"]) - Decimal(body["total_discounts"])
    assert Decimal(body["subtotal_price"]) == paid == Decimal("214.32")
    assert Decimal(body["total_price"]) == paid + demo_store.SHIPPING
    assert answer["order"]["total"] == "404.32"
    with session():
        order = Order.get(Order.platform_id == answer["order"]["id"])
    assert order.earned == int((paid * Decimal("0.05")).to_integral_value(ROUND_FLOOR)) == 10


def test_the_order_that_reaches_a_tier_prices_the_next_cart_at_it(client, tiered_demo, drain):
    first = client.post("/demo/checkout/order", json={"customer": BOB}).get_json()
    assert first["totals"] == {"subtotal": "272.50", "shipping": "190.00", "total": "462.50", "tier": None}
    assert delivered(first["order"]["id"])["discount_applications"] == []
    drain()
    client.post("/demo/checkout/order", json={"customer": BOB})  # the second order: Bronze from 2
    drain()
    assert page_totals(client, BOB)["tier"] == {"label": "Bronze price −3%", "amount": "8.18"}
    third = client.post("/demo/checkout/order", json={"customer": BOB}).get_json()
    drain()
    body = delivered(third["order"]["id"])
    assert [a["type"] for a in body["discount_applications"]] == ["automatic"]
    assert (body["total_discounts"], body["total_price"]) == ("8.18", "454.32")
    with session():
        assert Order.get(Order.platform_id == third["order"]["id"]).earned == 13  # 5% of 264.32
