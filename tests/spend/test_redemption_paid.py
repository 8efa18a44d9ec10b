"""A redemption code is always paid for: a released hold's code is withdrawn before its points come
back, and a paid order that used a code whose points were given back charges them again."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import responses

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Event, Hold, LedgerEntry, Order, Shop
from plugin.core.status import EventStatus, HoldStatus
from plugin.platforms import PlatformError
from plugin.program import document, versions
from plugin.spend import redemption
from tests.helpers import admin_headers, fixture_json, shopper_headers

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
LINES = [{"line_id": "1", "sku": "A", "amount": "1000.00"}]
CART = {"currency": "USD", "lines": [{"sku": "A", "price": "500.00", "quantity": 2}]}
GRAPHQL = "https://example.myshopify.com/admin/api/2025-10/graphql.json"
NODE = "gid://shopify/DiscountCodeNode/1"
CREATED = {"data": {"discountCodeBasicCreate": {"codeDiscountNode": {"id": NODE}, "userErrors": []}}}
DELETED = {"data": {"discountCodeDelete": {"deletedCodeDiscountId": NODE, "userErrors": []}}}
START = datetime(2026, 11, 22, 12, 0)
EARNED = 29  # what the fixture order earns at the default 5%


@pytest.fixture
def rich(shop):
    """A customer with 300 spendable points."""
    clock.set_source(lambda: START.replace(tzinfo=UTC))
    with session(), database.atomic():
        customer = customers.ensure(shop.id, "207119551")
        ledger.grant(customer, 300, kind=EntryKind.BONUS, source="s", rule={}, key="g1")
    return customer


def balance(customer) -> int:
    with session():
        return sum(ledger.balances(customer).values())


def hold(customer, points=120, key="k1") -> Hold:
    with session():
        return redemption.redeem(customer, points=points, lines=LINES, key=key, currency="USD")


def pay_with(post_webhook, drain, code: str) -> None:
    order = copy.deepcopy(ORDER)
    order["discount_codes"] = [{"code": code, "amount": "120.00", "type": "fixed_amount"}]
    post_webhook("orders/paid", order)
    drain()


def late_charged() -> int:
    with session():
        return -sum(e.delta for e in LedgerEntry.select().where(LedgerEntry.kind == EntryKind.LATE_COMMIT))


def test_a_code_used_after_the_shopper_cancelled_charges_its_points_again(rich, post_webhook, drain):
    held = hold(rich)
    with session():
        redemption.cancel(held)
    assert balance(rich) == 300
    pay_with(post_webhook, drain, held.code)
    with session():
        again = Hold.get_by_id(held.id)
        assert (again.status, again.order_id) == ("committed", "450789469")
        assert Order.get().uncovered_discount is None
    assert late_charged() == 120
    assert balance(rich) == 300 + EARNED - 120


def test_a_replayed_late_commit_charges_once(rich, shop):
    held = hold(rich)
    with session(), database.atomic():
        redemption.cancel(held)
        for _ in range(2):
            redemption.commit(shop.id, [held.code], "o-1")
    assert late_charged() == 120 and balance(rich) == 180


@pytest.mark.parametrize(("policy", "left"), [("clamp", 0), ("negative", -41)])
def test_a_late_commit_short_of_points_records_the_uncovered_money(
        app, client, shop, rich, post_webhook, drain, policy, left):
    with session():
        versions.save(shop.id, {**document.DEFAULT, "reversal_policy": policy}, author="test")
    first = hold(rich)
    with session():
        redemption.cancel(first)
    hold(rich, points=250, key="k2")  # 50 spendable left, and the order earns 29: 79 of 120
    pay_with(post_webhook, drain, first.code)
    assert balance(rich) == left
    with session():
        assert Order.get().uncovered_discount == Decimal("41.00")
    events = client.get("/api/v1/events", headers=admin_headers(app, shop)).get_json()["items"]
    assert events[0]["uncovered_discount"] == {"order": "450789469", "amount": "41.00", "currency": "USD"}
    assert "79 of 120 points charged" in events[0]["error"]  # the API says it in English
    with session():
        assert json.loads(Event.get_by_id(events[0]["id"]).error)["code"] == "event.late_charge"


def test_the_events_page_shows_the_uncovered_discount(app, client, shop, rich, post_webhook, drain):
    first = hold(rich)
    with session():
        redemption.cancel(first)
    hold(rich, points=250, key="k2")
    pay_with(post_webhook, drain, first.code)
    from tests.dashboard.test_dashboard import sign_in

    sign_in(app, client, shop)
    page = client.get("/admin/events?lang=ru").get_data(as_text=True)
    assert "Скидки, не оплаченные баллами" in page and "41,00 USD" in page and "450789469" in page


def test_a_code_of_ours_no_hold_knows_charges_the_order_customer_and_its_cancellation_returns_it(
        rich, post_webhook, drain):
    order = copy.deepcopy(ORDER)
    order["discount_codes"] = [{"code": "LOY-ABCDEFGHJK", "amount": "50.00", "type": "fixed_amount"}]
    post_webhook("orders/paid", order)
    drain()
    assert late_charged() == 50 and balance(rich) == 300 + EARNED - 50
    post_webhook("orders/cancelled", order)
    drain()
    assert balance(rich) == 300


def test_a_store_code_that_is_not_ours_charges_nothing(rich, post_webhook, drain):
    pay_with(post_webhook, drain, "SUMMER10")
    assert late_charged() == 0 and balance(rich) == 300 + EARNED


def test_a_releasing_hold_is_committed_by_the_paid_order_and_charged_once(rich, shop):
    held = hold(rich)
    with session():
        Hold.update(platform_discount_id=NODE).where(Hold.id == held.id).execute()
        Shop.update(access_token="token").where(Shop.id == shop.id).execute()

    def unreachable(_hold):
        raise PlatformError("could not reach example.myshopify.com")

    with session():
        assert redemption.cancel(Hold.get_by_id(held.id), kill=unreachable) is False
        assert Hold.get_by_id(held.id).status == HoldStatus.RELEASING
        with database.atomic():
            assert redemption.commit(shop.id, [held.code], "o-1") == 1
        assert redemption.release(held.id, reason="retry", kill=lambda _hold: None) is False
        assert Hold.get_by_id(held.id).status == HoldStatus.COMMITTED
    assert balance(rich) == 180 and late_charged() == 0


def widget_redeem(client, app, shop) -> dict:
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=CREATED)
        response = client.post("/widget/v1/redeem", json={"points": 100, "cart": CART},
                               headers=shopper_headers(app, shop, "207119551", "key-00000001"))
    return response.get_json()["redemption"]


def test_a_failing_code_withdrawal_keeps_the_points_held_until_the_retry_job_succeeds(
        app, client, installed, rich, job_env):
    held = widget_redeem(client, app, installed)
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, status=503, body="unavailable")
        cancelled = client.post(f"/widget/v1/redemptions/{held['id']}/cancel",
                                headers=shopper_headers(app, installed, "207119551"))
    assert cancelled.get_json()["redemption"]["status"] == "releasing"
    assert balance(rich) == 200
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, status=503, body="unavailable")
        assert redemption.retry_releasing() == 0
    assert balance(rich) == 200
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=DELETED)
        assert redemption.retry_releasing() == 1
        assert '"id": "gid://shopify/DiscountCodeNode/1"' in mock.calls[0].request.body.decode()
    with session():
        assert Hold.get_by_id(held["id"]).status == HoldStatus.RELEASED
    assert balance(rich) == 300


@pytest.mark.parametrize(("answer", "status", "points"), [
    ({"json": DELETED}, "released", 300),
    ({"status": 502, "body": "bad gateway"}, "releasing", 200),
])
def test_a_timed_out_hold_withdraws_its_code_before_its_points_return(
        app, client, installed, rich, job_env, answer, status, points):
    held = widget_redeem(client, app, installed)
    clock.set_source(lambda: (START + timedelta(minutes=31)).replace(tzinfo=UTC))
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, **answer)
        redemption.release_expired()
        assert len(mock.calls) == 1
    with session():
        assert Hold.get_by_id(held["id"]).status == status
    assert balance(rich) == points


def test_a_cancelled_order_returns_the_points_once_its_code_is_withdrawn(
        app, client, installed, rich, post_webhook, drain, job_env):
    held = widget_redeem(client, app, installed)
    order = copy.deepcopy(ORDER)
    order["discount_codes"] = [{"code": held["code"]}]
    post_webhook("orders/paid", order)
    post_webhook("orders/cancelled", order)
    drain()
    with session():
        assert Hold.get_by_id(held["id"]).status == HoldStatus.RELEASING
        assert Event.select().where(Event.status == EventStatus.APPLIED).count() == 2
    assert balance(rich) == 200
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=DELETED)
        assert redemption.retry_releasing() == 1
    assert balance(rich) == 300
