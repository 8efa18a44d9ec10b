"""An InSales shop's past orders for the simulator: ``orders.json`` read as reconciliation reads it
(``updated_since`` the period's first day, ``from_id`` paging until a short page), paid orders
created in the period, each line at its ``full_total_price``."""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal

from responses import matchers

from plugin.core.db import session
from plugin.core.models import PastOrderLine
from plugin.platforms import registry
from plugin.platforms.contract import Access
from plugin.platforms.insales.history import PER_PAGE
from plugin.reports.economics.history import PastLine
from tests.helpers import fetch_history, fixture_json
from tests.platforms.insales.conftest import api

ORDER = fixture_json("insales/api_DERIVED_order_webhook_from_dmz9_xml.json")["order"]
SINCE = "2017-06-01 00:00:00 +0000"


def order(n: int, **changes) -> dict:
    body = copy.deepcopy(ORDER)
    body.update(id=n, number=n, **changes)
    return body


def listing(mocked, orders: list[dict], from_id: int | None = None):
    query = {"updated_since": SINCE, "per_page": str(PER_PAGE)}
    if from_id:
        query["from_id"] = str(from_id)
    mocked.get(api("/admin/orders.json"), json=orders, match=[matchers.query_param_matcher(query)])


def listed(app, shop, first=date(2017, 6, 1), last=date(2017, 6, 30)) -> list[list[PastLine]]:
    access = Access(app.extensions["loyalty"].settings, app.extensions["loyalty"].vault)
    with session():
        return list(registry.of(shop).past_orders(shop, first, last, access))


def test_a_paid_order_is_its_lines_after_discounts_in_utc(app, insales_shop, mocked):
    listing(mocked, [ORDER])
    [lines] = listed(app, insales_shop)
    assert lines == [PastLine("11117922", "12721951", datetime(2017, 6, 2, 11, 11, 26), Decimal("12474.0"),
                              "1234", None, 1)]


def test_unpaid_declined_and_out_of_period_orders_are_left_out(app, insales_shop, mocked):
    listing(mocked, [order(1, financial_status="pending"), order(2, fulfillment_status="declined"),
                     order(3, created_at="2017-05-31 23:00:00 +0000"),
                     order(4, created_at="2017-07-01 01:00:00 +0300"), order(5)])
    [lines] = listed(app, insales_shop)
    assert [line.order_id for line in lines] == ["4", "5"]  # 2017-06-30 22:00 UTC is still June


def test_pages_move_on_by_from_id_until_a_short_page(app, insales_shop, mocked):
    listing(mocked, [order(100 + n) for n in range(PER_PAGE)])
    listing(mocked, [order(500)], from_id=100 + PER_PAGE - 1)
    pages = listed(app, insales_shop)
    assert [len(lines) for lines in pages] == [PER_PAGE, 1]


def test_a_fetch_run_stores_the_lines_once(app, insales_shop, mocked, drain):
    listing(mocked, [ORDER])
    listing(mocked, [ORDER])
    for _ in range(2):
        run = fetch_history(insales_shop, date(2017, 6, 1), date(2017, 6, 30), drain)
    assert run.report["already_imported"] == 1
    with session():
        assert [(r.source, r.order_id, r.amount) for r in PastOrderLine.select()] == [
            ("insales", "11117922", Decimal("12474"))]
