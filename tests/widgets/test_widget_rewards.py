"""The rewards catalogue over the widget API: what each reward costs, whether the shopper affords
it, why it cannot apply (a code with parameters and the text in the shopper's language), with or
without a cart; and the program's launcher setting as the widget reads it."""

from __future__ import annotations

import copy

import pytest
from marshmallow import ValidationError

from plugin import customers, ledger
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Hold
from plugin.customers import shops
from plugin.program import document, versions
from tests.helpers import EVERY_REWARD, shopper_headers

CART = {"currency": "RUB", "shipping": "190.00", "lines": [{"product_id": "7", "price": "400.00"}]}


@pytest.fixture
def rewarded(shop):
    """A rouble shop with every kind of reward, a launcher, and c1 holding 450 points."""
    with session(), database.atomic():
        shops.set_currency(shop, "RUB")
        doc = copy.deepcopy(document.DEFAULT)
        doc["rewards"] = [*EVERY_REWARD, {"id": "big", "kind": "fixed_amount", "points": 100, "amount": "50",
                                          "min_order": "1000"}]
        doc["widget"] = {"launcher": True}
        versions.save(shop.id, doc, author="t")
        ledger.grant(customers.ensure(shop.id, "c1"), 450, kind=EntryKind.BONUS, source="s", rule={}, key="g")
    return shop


def listed(app, client, shop, body: dict) -> dict:
    response = client.post("/widget/v1/rewards", json=body, headers=shopper_headers(app, shop, "c1"))
    assert response.status_code == 200, response.get_json()
    return {r["id"]: r for r in response.get_json()["rewards"]}


def test_the_catalogue_says_what_each_reward_costs_and_why_it_cannot_apply_in_russian(app, client, rewarded):
    got = listed(app, client, rewarded, {"cart": CART, "lang": "ru"})
    assert (got["ship"]["points"], got["ship"]["affordable"], got["ship"]["available"]) == (200, True, True)
    assert got["500-off"]["affordable"] is False
    assert (got["500-off"]["reason"], got["500-off"]["why"]) == (
        {"code": "points", "n": 500, "have": 450}, "нужно 500 баллов, у вас 450")
    assert (got["big"]["reason"], got["big"]["why"]) == (
        {"code": "min_order", "minimum": "1000"}, "для заказов от 1\u00a0000\u00a0₽")
    assert got["mug"]["reason"] == {"code": "not_in_cart"}


def test_without_a_cart_only_a_coupon_can_be_redeemed_and_nothing_else_is_held(app, client, rewarded):
    got = listed(app, client, rewarded, {"lang": "en"})
    assert got["ship"]["why"] == "at checkout, with items in your cart" and got["ship"]["affordable"]
    assert got["coupon"]["reason"] == {"code": "points", "n": 500, "have": 450}
    headers = shopper_headers(app, rewarded, "c1", key="no-cart-0001")
    refused = client.post("/widget/v1/rewards/ship/redeem", json={}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["error"] == "cannot_redeem"
    with session():
        assert not Hold.select().exists()
        assert ledger.balances(customers.find(rewarded.id, "c1")) == {"regular": 450}


def test_a_coupon_is_redeemed_without_a_cart(app, client, rewarded):
    with session():
        ledger.grant(customers.find(rewarded.id, "c1"), 100, kind=EntryKind.BONUS, source="s", rule={},
                     key="g2")
    headers = shopper_headers(app, rewarded, "c1", key="coupon-0001")
    response = client.post("/widget/v1/rewards/coupon/redeem", json={"cart": None}, headers=headers)
    assert response.status_code == 201, response.get_json()
    held = response.get_json()["redemption"]
    assert (held["points"], held["amount"], held["reward"]) == (500, "500.00", "coupon")
    assert held["currency"] == "RUB"


def earns(app, client, shop) -> int:
    response = client.post("/widget/v1/quote", json={"cart": CART}, headers=shopper_headers(app, shop, "c1"))
    return response.get_json()["earns"]["points"]


def test_redeeming_free_shipping_holds_the_shipping_and_the_items_earn_as_before(app, client, rewarded):
    before = earns(app, client, rewarded)
    headers = shopper_headers(app, rewarded, "c1", key="ship-0001")
    response = client.post("/widget/v1/rewards/ship/redeem", json={"cart": CART}, headers=headers)
    assert response.status_code == 201
    assert (response.get_json()["redemption"]["amount"], response.get_json()["redemption"]["points"]) == (
        "190.00", 200)
    with session():
        assert ledger.balances(customers.find(rewarded.id, "c1")) == {"regular": 250}
    assert earns(app, client, rewarded) == before == 20  # 5% of 400: the code takes the shipping off


@pytest.mark.parametrize("body", [{"cart": []}, {"cart": {"lines": []}}, {"lang": "de"}, {"cart": "x"}])
def test_a_malformed_rewards_request_is_a_4xx_naming_the_field(app, client, rewarded, body):
    response = client.post("/widget/v1/rewards", json=body, headers=shopper_headers(app, rewarded, "c1"))
    assert response.status_code in (400, 422) and response.get_json()["error"]


def test_the_widget_reads_the_stores_launcher_setting(app, client, rewarded, shop):
    account = client.get("/widget/v1/account", headers=shopper_headers(app, rewarded, "c1")).get_json()
    assert account["program"]["launcher"] is True


def test_the_launcher_is_off_by_default_and_must_be_a_boolean():
    assert document.load(document.DEFAULT)["widget"] == {"launcher": False}
    for bad in ({"launcher": "sometimes"}, {"launcher": True, "colour": "red"}, "on"):
        with pytest.raises(ValidationError) as refused:
            document.load({**document.DEFAULT, "widget": bad})
        assert "widget" in refused.value.messages
