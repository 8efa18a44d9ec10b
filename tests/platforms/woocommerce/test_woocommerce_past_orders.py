"""A WooCommerce store's past orders for the simulator: ``/orders`` created in the period (GMT
bounds), paged until a short page, paid orders in the shop currency, each line at its ``total``,
each listed refund a negative line of its total at the order's last change."""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal

from responses import matchers

from plugin.core.db import session
from plugin.core.models import PastOrderLine
from plugin.platforms import registry
from plugin.platforms.contract import Access
from plugin.platforms.woocommerce.history import PER_PAGE
from plugin.reports.economics.history import PastLine
from tests.helpers import fetch_history, fixture_json
from tests.platforms.woocommerce.conftest import api

ORDER = fixture_json("woocommerce/orders__list_all_orders__723_completed_with_refunds.json")  # USD
CHANGED = datetime(2017, 3, 21, 19, 54, 51)


def order(n: int, **changes) -> dict:
    body = copy.deepcopy(ORDER)
    body.update({"id": n, "number": str(n), "currency": "RUB", **changes})
    return body


def listing(mocked, orders: list[dict], page: int = 1):
    query = {"after": "2017-02-28T23:59:59", "before": "2017-04-01T00:00:00", "dates_are_gmt": "true",
             "orderby": "date", "order": "asc", "per_page": str(PER_PAGE), "page": str(page)}
    mocked.get(api("/orders"), json=orders, match=[matchers.query_param_matcher(query)])


def listed(app, shop) -> list[list[PastLine]]:
    access = Access(app.extensions["loyalty"].settings, app.extensions["loyalty"].vault)
    with session():
        return list(registry.of(shop).past_orders(shop, date(2017, 3, 1), date(2017, 3, 31), access))


def test_lines_at_their_totals_and_refunds_as_negative_lines(app, woo_shop, mocked):
    listing(mocked, [order(723)])
    [lines] = listed(app, woo_shop)
    placed = datetime(2017, 3, 21, 19, 16)
    assert lines == [PastLine("723", "26", placed, Decimal("9.00")),
                     PastLine("723", "26", placed, Decimal("20.00")),
                     PastLine("723", "26", CHANGED, Decimal("-10.00")),
                     PastLine("723", "26", CHANGED, Decimal("-9.00"))]


def test_unpaid_and_other_currency_orders_are_left_out_and_pages_go_on(app, woo_shop, mocked):
    listing(mocked, [order(1, status="pending"), order(2, currency="USD")]
            + [order(10 + n, refunds=[]) for n in range(PER_PAGE - 2)])
    listing(mocked, [order(500, customer_id=0, refunds=[])], page=2)
    first, second = listed(app, woo_shop)
    assert {line.order_id for line in first} == {str(10 + n) for n in range(PER_PAGE - 2)}
    assert [line.customer_id for line in second] == ["guest-500", "guest-500"]


def test_a_fetch_run_stores_the_lines_once(app, woo_shop, mocked, drain):
    listing(mocked, [order(723)])
    listing(mocked, [order(723)])
    for _ in range(2):
        run = fetch_history(woo_shop, date(2017, 3, 1), date(2017, 3, 31), drain)
    assert (run.status, run.report["already_imported"]) == ("done", 4)
    with session():
        assert PastOrderLine.select().where(PastOrderLine.source == "woocommerce").count() == 4
