"""The widget's spending endpoints: quote, redeem, cancel, follow a redemption."""

from __future__ import annotations

import json

import pytest
import responses

from plugin import customers, ledger
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Hold
from plugin.core.status import HoldStatus
from tests.helpers import shopper_headers

CART = {"currency": "USD", "lines": [{"sku": "A", "price": "500.00", "quantity": 2}]}
GRAPHQL = "https://example.myshopify.com/admin/api/2025-10/graphql.json"


def headers(app, shop, customer_id: str | None = "207119551", key: str | None = None) -> dict:
    return shopper_headers(app, shop, customer_id, key)


@pytest.fixture
def points(shop):
    with session(), database.atomic():
        customer = customers.ensure(shop.id, "207119551")
        ledger.grant(customer, 300, kind=EntryKind.BONUS, source="s", rule={}, key="g1")
    return customer


def redeem(client, app, shop, amount, key="key-00000001", **extra):
    return client.post("/widget/v1/redeem", json={"points": amount, "cart": CART, **extra},
                       headers=headers(app, shop, key=key))


def test_quote_says_what_the_cart_earns_and_what_points_may_pay(app, client, shop, points):
    body = client.post("/widget/v1/quote", json={"cart": CART}, headers=headers(app, shop)).get_json()
    assert body["earns"]["points"] == 50
    assert body["payable"]["by_type"] == {"regular": 300} and body["payable"]["amount"] == "1000.00"


def test_redeem_holds_points_and_a_retry_returns_the_same_code(app, client, shop, points):
    first = redeem(client, app, shop, 120)
    again = redeem(client, app, shop, 120)
    assert (first.status_code, again.status_code) == (201, 201)  # the first answer, replayed
    assert first.get_json()["redemption"]["code"] == again.get_json()["redemption"]["code"]
    assert first.get_json()["redemption"]["amount"] == "120.00"
    with session():
        assert ledger.balances(points) == {"regular": 180}


def test_redeem_without_an_idempotency_key_or_signed_out_is_refused(app, client, shop, points):
    no_key = client.post("/widget/v1/redeem", json={"points": 1, "cart": CART}, headers=headers(app, shop))
    signed_out = client.post("/widget/v1/redeem", json={"points": 1, "cart": CART},
                             headers={**headers(app, shop, None), "Idempotency-Key": "key-00000001"})
    assert no_key.status_code == 400 and signed_out.status_code == 401
    with session():
        assert Hold.select().count() == 0


def test_more_than_the_balance_is_409_and_more_than_the_cart_allows_is_422(app, client, shop, points):
    assert redeem(client, app, shop, 301).status_code == 422  # the cap is min(balance, cart)
    big = {"currency": "USD", "lines": [{"sku": "A", "price": "100.00"}]}
    response = client.post("/widget/v1/redeem", json={"points": 150, "cart": big},
                           headers=headers(app, shop, key="key-00000002"))
    assert response.status_code == 422 and "points" in response.get_json()["fields"]


def test_cancel_releases_and_another_shopper_cannot_see_it(app, client, shop, points):
    hold_id = redeem(client, app, shop, 100).get_json()["redemption"]["id"]
    other = client.get(f"/widget/v1/redemptions/{hold_id}", headers=headers(app, shop, "someone-else"))
    assert other.status_code == 404
    cancelled = client.post(f"/widget/v1/redemptions/{hold_id}/cancel", headers=headers(app, shop))
    assert cancelled.get_json()["redemption"]["status"] == "released"
    again = client.post(f"/widget/v1/redemptions/{hold_id}/cancel", headers=headers(app, shop))
    assert again.status_code == 422
    with session():
        assert ledger.balances(points) == {"regular": 300}


def test_a_shopify_shop_gets_a_single_use_code_for_this_customer_and_cancel_deletes_it(
        app, client, installed, points):
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json={"data": {"discountCodeBasicCreate": {
            "codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/1"}, "userErrors": []}}})
        mock.post(GRAPHQL, json={"data": {"discountCodeDelete": {
            "deletedCodeDiscountId": "gid://shopify/DiscountCodeNode/1", "userErrors": []}}})
        held = redeem(client, app, installed, 100).get_json()["redemption"]
        client.post(f"/widget/v1/redemptions/{held['id']}/cancel", headers=headers(app, installed))
        sent = json.loads(mock.calls[0].request.body)["variables"]["discount"]
        deleted = json.loads(mock.calls[1].request.body)["variables"]
    assert sent["code"] == held["code"] and sent["usageLimit"] == 1
    assert sent["context"]["customers"]["add"] == ["gid://shopify/Customer/207119551"]
    assert sent["customerGets"]["value"]["discountAmount"]["amount"] == "100.00"
    assert deleted == {"id": "gid://shopify/DiscountCodeNode/1"}


def test_when_shopify_refuses_the_code_the_points_are_released(app, client, installed, points):
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json={"data": {"discountCodeBasicCreate": {
            "codeDiscountNode": None, "userErrors": [{"field": ["code"], "message": "taken"}]}}})
        response = redeem(client, app, installed, 100)
    assert response.status_code == 502
    with session():
        assert Hold.get().status == HoldStatus.RELEASED
        assert ledger.balances(points) == {"regular": 300}
