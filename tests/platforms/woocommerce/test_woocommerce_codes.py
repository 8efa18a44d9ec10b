"""A hold's single-use coupon on the store: made from the hold (amount, code, expiry, the shopper's
e-mail), deleted when the hold is released (one already gone is fine). The widget's redeem and
cancel reach these through the conformance scenario (tests/conformance/drivers/woocommerce.py)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest

from plugin.core.db import session
from plugin.core.models import Customer, Hold
from plugin.platforms import PlatformError
from plugin.platforms.contract import Access
from plugin.platforms.registry import PLATFORMS
from tests.helpers import fixture_json
from tests.platforms.woocommerce.conftest import api

DERIVED = fixture_json("woocommerce/DERIVED_coupon_create_request_with_limits.json")
CREATED = fixture_json("woocommerce/coupons__create_a_coupon_response.json")
WOO = PLATFORMS["woocommerce"]


@pytest.fixture
def hold(woo_shop):
    with session():
        customer = Customer.create(shop=woo_shop.id, platform_id="25", email="john.doe@example.com")
        return Hold.create(shop=woo_shop.id, customer=customer.id, point_type="regular", points=500, lots={},
                           code="LOY-ABCDEFGHJK", amount=Decimal("5.0000"), currency="RUB",
                           idempotency_key="k1", expires_at=datetime(2026, 5, 1, 12, 30, 15, 123456),
                           created_at=datetime(2026, 5, 1, 12, 0))


def test_the_coupon_is_single_use_for_the_shoppers_email_until_the_hold_lapses(woo_shop, hold, mocked):
    mocked.post(api("/coupons"), json={**CREATED, "id": 719}, status=201)
    with session():
        assert WOO.make_code(woo_shop, hold, "25", Access.from_environment()) == "719"
    sent = json.loads(mocked.calls[0].request.body)
    assert set(DERIVED["body"]) <= set(sent)
    assert sent == {**sent, "code": "LOY-ABCDEFGHJK", "discount_type": "fixed_cart", "amount": "5.00",
                    "usage_limit": 1, "usage_limit_per_user": 1,
                    "email_restrictions": ["john.doe@example.com"],
                    "date_expires": "2026-05-01T12:30:15+00:00", "individual_use": False}


def test_a_shopper_without_an_email_gets_an_unrestricted_single_use_coupon(woo_shop, hold, mocked):
    mocked.post(api("/coupons"), json={"id": 7})
    with session():
        Customer.update(email=None).execute()
        WOO.make_code(woo_shop, hold, "25", Access.from_environment())
    assert json.loads(mocked.calls[0].request.body)["email_restrictions"] == []


def test_a_refused_coupon_raises(woo_shop, hold, mocked):
    mocked.post(api("/coupons"), status=400, json={"code": "woocommerce_rest_coupon_code_already_exists"})
    with session(), pytest.raises(PlatformError):
        WOO.make_code(woo_shop, hold, "25", Access.from_environment())


def test_a_shop_without_keys_uses_the_plugins_own_code(woo_shop, hold, mocked):
    woo_shop.access_token = None
    assert WOO.make_code(woo_shop, hold, "25", Access.from_environment()) is None
    assert not mocked.calls


@pytest.mark.parametrize("status", [200, 404])
def test_kill_deletes_the_coupon_for_good_and_a_gone_one_is_fine(woo_shop, hold, mocked, status):
    mocked.delete(api("/coupons/719"), status=status, json={"id": 719})
    hold.platform_discount_id = "719"
    WOO.kill_code(woo_shop, hold, Access.from_environment())
    assert mocked.calls[0].request.params == {"force": "true"}


def test_kill_raises_while_the_store_cannot_answer(woo_shop, hold, mocked):
    mocked.delete(api("/coupons/719"), status=502)
    hold.platform_discount_id = "719"
    with pytest.raises(PlatformError) as caught:
        WOO.kill_code(woo_shop, hold, Access.from_environment())
    assert caught.value.retry_after

