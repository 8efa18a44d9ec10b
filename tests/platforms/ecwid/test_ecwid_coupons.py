"""A hold's discount on Ecwid: a single-use ABS coupon of its money value, expiring with it (its
Ecwid id kept), deleted when the hold is released; reconciliation lists orders by updatedFrom."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
import responses

from plugin.core.db import session
from plugin.core.models import Hold, Shop
from plugin.platforms import PlatformError
from plugin.platforms.contract import Access
from plugin.platforms.ecwid.adapter import Ecwid
from tests.helpers import fixture_json
from tests.webhooks.ecwid_bodies import PAID_ORDER_LINES, api, api_order

CREATED = fixture_json("ecwid/discount_coupon_create_response.json")
REQUEST = fixture_json("ecwid/discount_coupon_create_request.json")
EXPIRES = datetime(2026, 12, 6, 14, 30, 0)


def hold(**changes) -> Hold:
    return Hold(code="LOY-ABCDEFGHJK", amount=Decimal("150.00"), expires_at=EXPIRES, **changes)


def make(shop: Shop) -> str | None:
    with session():
        return Ecwid().make_code(shop, hold(), "15319410", Access.from_environment())


def kill(shop: Shop, coupon_id: str | None) -> None:
    with session():
        Ecwid().kill_code(shop, hold(platform_discount_id=coupon_id), Access.from_environment())


def test_make_code_creates_a_single_use_coupon_of_the_holds_value(ecwid_shop, ecwid_api):
    ecwid_api.add(responses.POST, api("/discount_coupons"), json=CREATED)  # upstream shows code as a number
    assert make(ecwid_shop) == "21871001"
    sent = ecwid_api.calls[0].request.body
    assert json.loads(sent) == {"name": "Loyalty points LOY-ABCDEFGHJK", "code": "LOY-ABCDEFGHJK",
                                "discountType": "ABS", "discount": 150, "status": "ACTIVE",
                                "usesLimit": "SINGLE", "expirationDate": "2026-12-06 14:30:00 +0000"}
    assert b'"discount": 150.00' in sent  # the Decimal's digits, never a float's
    assert set(json.loads(sent)) - {"expirationDate"} <= set(REQUEST)  # the docs' own field names


def test_a_coupon_an_earlier_try_made_is_found_by_its_code(ecwid_shop, ecwid_api):
    ecwid_api.add(responses.POST, api("/discount_coupons"), status=409)
    ecwid_api.add(responses.GET, api("/discount_coupons"), json={
        "total": 1, "count": 1, "items": [{"id": "777", "code": "LOY-ABCDEFGHJK"}]})
    assert make(ecwid_shop) == "777"
    assert ecwid_api.calls[1].request.params == {"code": "LOY-ABCDEFGHJK"}


def test_an_answer_without_an_id_is_a_platform_error(ecwid_shop, ecwid_api):
    ecwid_api.add(responses.POST, api("/discount_coupons"), json={"code": "LOY-ABCDEFGHJK"})
    with pytest.raises(PlatformError):
        make(ecwid_shop)


def test_a_store_without_a_token_uses_the_plugins_own_code(app, ecwid_shop, ecwid_api):
    with session():
        Shop.update(access_token=None).where(Shop.id == ecwid_shop.id).execute()
        assert make(Shop.get_by_id(ecwid_shop.id)) is None
    assert not ecwid_api.calls


def test_kill_code_deletes_the_coupon_and_one_gone_already_is_fine(ecwid_shop, ecwid_api):
    ecwid_api.add(responses.DELETE, api("/discount_coupons/21871001"), json={"deleteCount": 1})
    ecwid_api.add(responses.DELETE, api("/discount_coupons/5"), status=404)
    kill(ecwid_shop, "21871001")
    kill(ecwid_shop, "5")
    kill(ecwid_shop, None)
    assert [call.request.method for call in ecwid_api.calls] == ["DELETE", "DELETE"]


def test_kill_code_raises_when_ecwid_cannot_be_reached(ecwid_shop, ecwid_api):
    ecwid_api.add(responses.DELETE, api("/discount_coupons/1"), status=503)
    with pytest.raises(PlatformError):
        kill(ecwid_shop, "1")


def test_orders_since_lists_orders_updated_from_the_watermark(ecwid_shop, ecwid_api):
    first = api_order(3001, 1, "PAID", PAID_ORDER_LINES, version=5)
    second = api_order(3002, 1, "AWAITING_PAYMENT", PAID_ORDER_LINES, version=9)
    ecwid_api.add(responses.GET, api("/orders"), json={"total": 2, "count": 2, "offset": 0, "limit": 100,
                                                    "items": [first, second]})
    with session():
        changes = Ecwid().orders_since(ecwid_shop, "1765000001", Access.from_environment())
    assert ecwid_api.calls[0].request.params == {"updatedFrom": "1765000001", "offset": "0", "limit": "100"}
    assert [(d.topic, d.key) for d in changes.deliveries] == [
        ("fetched/order", "order.snapshot:3001:1765000005"),
        ("fetched/order", "order.snapshot:3002:1765000009")]
    assert json.loads(changes.deliveries[0].raw) == {"currency": "RUB", "order": first}
    assert changes.watermark == "1765000009"


def test_a_pass_that_stops_short_keeps_its_watermark(ecwid_shop, ecwid_api, monkeypatch):
    from plugin.platforms.ecwid import adapter

    monkeypatch.setattr(adapter, "MAX_PAGES", 1)
    monkeypatch.setattr(adapter, "PER_PAGE", 1)
    listed = api_order(3001, 1, "PAID", PAID_ORDER_LINES)
    ecwid_api.add(responses.GET, api("/orders"), json={"items": [listed]})
    with session():
        changes = Ecwid().orders_since(ecwid_shop, "1765000001", Access.from_environment())
    assert len(changes.deliveries) == 1 and changes.watermark == "1765000001"
