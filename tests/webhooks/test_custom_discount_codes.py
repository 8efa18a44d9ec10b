"""A custom store's checkout asks ``GET /api/v1/discount-codes/<code>`` what a redemption code is
worth; the paid order that carries the code commits it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Hold
from plugin.core.status import HoldStatus
from plugin.customers import shops
from plugin.spend import redemption
from tests.helpers import admin_headers, fixture_json, shopper_headers

CART = {"lines": [{"product_id": "P-10", "sku": "TEA-01", "price": "1500.00", "quantity": 2}],
        "shipping": "0", "currency": "RUB"}


def held_code(app, client, custom_shop, post_custom, drain, points: int = 100) -> dict:
    assert post_custom(fixture_json("custom/customer.created.json")).status_code == 200
    drain()
    response = client.post("/widget/v1/redeem", json={"points": points, "cart": CART},
                           headers=shopper_headers(app, custom_shop, "C-1001", key="checkout-0001"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["redemption"]


def ask(app, client, shop, code: str):
    return client.get(f"/api/v1/discount-codes/{code}", headers=admin_headers(app, shop))


def test_a_held_code_is_valid_with_its_worth(app, client, custom_shop, post_custom, drain):
    code = held_code(app, client, custom_shop, post_custom, drain)["code"]
    response = ask(app, client, custom_shop, code.lower())  # codes are read as the checkout types them
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["code"] == code and answer["status"] == HoldStatus.HELD and answer["valid"] is True
    assert (answer["points"], answer["point_type"], answer["customer_id"]) == (100, "regular", "C-1001")
    assert answer["currency"] == "RUB" and answer["order_id"] is None
    assert Decimal(answer["amount"]) == Decimal(100)  # the default program: a point is worth 1


def test_the_paid_order_that_carries_it_commits_it(app, client, custom_shop, post_custom, drain):
    code = held_code(app, client, custom_shop, post_custom, drain)["code"]
    order = fixture_json("custom/order.paid.json")
    order["data"]["discount_codes"] = [code]
    assert post_custom(order).status_code == 200
    drain()
    answer = ask(app, client, custom_shop, code).get_json()
    assert (answer["status"], answer["valid"], answer["order_id"]) == (HoldStatus.COMMITTED, False, "A-5001")


def test_a_released_or_expired_code_is_not_valid(app, client, custom_shop, post_custom, drain):
    code = held_code(app, client, custom_shop, post_custom, drain)["code"]
    with session():
        hold = Hold.get(Hold.code == code)
        Hold.update(expires_at=clock.now() - timedelta(minutes=1)).where(Hold.id == hold.id).execute()
    assert ask(app, client, custom_shop, code).get_json()["valid"] is False  # its time ran out
    with session():
        redemption.release(hold.id, reason="test")
    answer = ask(app, client, custom_shop, code).get_json()
    assert (answer["status"], answer["valid"]) == (HoldStatus.RELEASED, False)


def test_unknown_code_and_another_shops_code_are_404(app, client, custom_shop, post_custom, drain):
    code = held_code(app, client, custom_shop, post_custom, drain)["code"]
    with session():
        other, _ = shops.register("custom", "other.example.com")
    assert ask(app, client, other, code).status_code == 404
    assert ask(app, client, custom_shop, "LOY-NOSUCHCODE").status_code == 404
    assert ask(app, client, custom_shop, "x" * 300).status_code == 404
    assert client.get(f"/api/v1/discount-codes/{code}").status_code == 401
