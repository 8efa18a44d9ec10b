"""A Shopify shop's past orders for the simulator: the Admin GraphQL ``orders`` query with its period,
cursor paging, lines after every discount in the shop's money, refunds as negative lines, unpaid /
cancelled / test orders left out; fetched as an import run, twice without adding anything."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
import responses

from plugin.core.db import session
from plugin.core.models import PastOrderLine
from plugin.platforms import RateLimited, registry
from plugin.platforms.contract import Access
from plugin.platforms.shopify import history
from plugin.platforms.shopify.client import GRAPHQL_PATH
from plugin.reports.economics.history import PastLine
from tests.helpers import SHOP_DOMAIN, fetch_history, fixture_json

PAGE = fixture_json("shopify/DERIVED_graphql_orders_page.json")
URL = f"https://{SHOP_DOMAIN}{GRAPHQL_PATH}"
ORDER = "450789469"
PLACED = datetime(2008, 1, 10, 16, 0)  # 11:00 at -05:00
REFUNDED = datetime(2025, 7, 2, 16, 38, 15)


def page(*orders: dict, after: str | None = None) -> dict:
    body = copy.deepcopy(PAGE)
    body["data"]["orders"]["nodes"] = list(orders)
    body["data"]["orders"]["pageInfo"] = {"hasNextPage": after is not None, "endCursor": after}
    return body


def order(n: int | None = None, **changes) -> dict:
    body = copy.deepcopy(PAGE["data"]["orders"]["nodes"][0])
    if n is not None:
        body["id"] = f"gid://shopify/Order/{n}"
    body.update(changes)
    return body


@pytest.fixture
def mocked():
    with responses.RequestsMock() as mock:
        yield mock


def listed(app, shop, first=date(2008, 1, 1), last=date(2025, 12, 31)) -> list[list[PastLine]]:
    access = Access(app.extensions["loyalty"].settings, app.extensions["loyalty"].vault)
    with session():
        return list(registry.of(shop).past_orders(shop, first, last, access))


def sent(call) -> dict:
    return json.loads(call.request.body)


def test_lines_are_after_discounts_and_refunds_are_negative_lines(app, installed, mocked):
    mocked.post(URL, json=PAGE)
    [lines] = listed(app, installed)
    assert lines == [
        PastLine(ORDER, "207119551", PLACED, Decimal("195.66"), "IPOD2008GREEN", "Cult Products", 1),
        PastLine(ORDER, "207119551", PLACED, Decimal("195.67"), "IPOD2008RED", "Cult Products", 1),
        PastLine(ORDER, "207119551", PLACED, Decimal("195.67"), "IPOD2008BLACK", "Cult Products", 1),
        PastLine(ORDER, "207119551", REFUNDED, Decimal("-195.66"), "IPOD2008BLACK", "Cult Products", 1),
        PastLine(ORDER, "207119551", REFUNDED, Decimal("-195.67"), "IPOD2008GREEN", "Cult Products", 1)]
    asked = sent(mocked.calls[0])
    assert asked["variables"] == {"query": "processed_at:>='2008-01-01T00:00:00Z' "
                                           "processed_at:<'2026-01-01T00:00:00Z'", "after": None}
    assert "shopMoney" in asked["query"] and "discountAllocations" in asked["query"]
    assert mocked.calls[0].request.headers["X-Shopify-Access-Token"] == "shpat_test"


def test_pages_follow_the_cursor_and_unpaid_cancelled_and_test_orders_are_left_out(app, installed, mocked):
    mocked.post(URL, json=page(order(1, displayFinancialStatus="PENDING"), order(2, test=True), after="c1"))
    mocked.post(URL, json=page(order(3, cancelledAt="2008-01-11T00:00:00Z"), order(4, refunds=[])))
    pages = listed(app, installed)
    assert [[line.order_id for line in lines] for lines in pages] == [[], ["4", "4", "4"]]
    assert sent(mocked.calls[1])["variables"]["after"] == "c1"


THROTTLED = {"errors": [{"message": "Throttled", "extensions": {
    "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}]}


def test_throttled_queries_wait_and_are_asked_again_then_give_up(app, installed, mocked, monkeypatch):
    waits: list[int] = []
    monkeypatch.setattr(history, "pause", waits.append)
    mocked.post(URL, json=THROTTLED)
    mocked.post(URL, json=PAGE)
    assert len(listed(app, installed)[0]) == 5 and waits == [1]
    mocked.replace(responses.POST, URL, json=THROTTLED)
    with pytest.raises(RateLimited):
        listed(app, installed)
    assert waits == [1, *history.THROTTLE_WAITS]


def test_a_guest_order_and_a_refund_of_an_amount_alone(app, installed, mocked):
    refund = {"id": "gid://shopify/Refund/1", "createdAt": "2008-02-01T00:00:00Z",
              "totalRefundedSet": {"shopMoney": {"amount": "20.00"}}, "refundLineItems": {"nodes": []}}
    mocked.post(URL, json=page(order(5, customer=None, refunds=[refund])))
    [lines] = listed(app, installed)
    assert {line.customer_id for line in lines} == {"guest-5"}
    assert lines[-1] == PastLine("5", "guest-5", datetime(2008, 2, 1), Decimal("-20.00"))


def test_an_order_with_more_lines_than_a_page_is_completed(app, installed, mocked):
    long = order(6)
    long["lineItems"]["pageInfo"] = {"hasNextPage": True, "endCursor": "l1"}
    more = copy.deepcopy(long["lineItems"]["nodes"][0])
    more["sku"] = "EXTRA"
    mocked.post(URL, json=page(long))
    mocked.post(URL, json={"data": {"order": {"lineItems": {
        "pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [more]}}}})
    [lines] = listed(app, installed)
    assert [line.sku for line in lines if line.amount > 0][-1] == "EXTRA"
    assert sent(mocked.calls[1])["variables"] == {"id": "gid://shopify/Order/6", "after": "l1"}


def test_fetching_twice_adds_nothing_and_a_later_refund_only_itself(app, installed, mocked, job_env, drain):
    period = (date(2008, 1, 1), date(2008, 1, 31))
    no_refunds = order(refunds=[])
    mocked.post(URL, json=page(no_refunds))
    first = fetch_history(installed, *period, drain)
    mocked.post(URL, json=page(no_refunds))
    again = fetch_history(installed, *period, drain)
    assert first.report["orders"] == 1
    assert (again.report["lines_added"], again.report["already_imported"]) == (0, 3)
    mocked.post(URL, json=PAGE)
    third = fetch_history(installed, *period, drain)
    assert [third.report[name] for name in ("lines_added", "already_imported", "refunds")] == [2, 3, 2]
    with session():
        assert PastOrderLine.select().count() == 5


def test_a_dry_run_fetch_writes_nothing(app, installed, mocked, job_env, drain):
    mocked.post(URL, json=PAGE)
    run = fetch_history(installed, date(2008, 1, 1), date(2008, 1, 31), drain, dry_run=True)
    with session():
        assert (run.report["lines_added"], PastOrderLine.select().count()) == (5, 0)
