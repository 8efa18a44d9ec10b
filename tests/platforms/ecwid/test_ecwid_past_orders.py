"""An Ecwid store's past orders for the simulator: the order search by ``createdFrom`` /
``createdTo``, offset paging, paid orders' lines after coupons and discounts, each refund a negative
line at its date (never before the order)."""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal

from responses import matchers

from plugin.core.db import session
from plugin.core.models import PastOrderLine
from plugin.platforms import registry
from plugin.platforms.contract import Access
from plugin.platforms.ecwid.history import PER_PAGE
from plugin.reports.economics.history import PastLine
from tests.helpers import fetch_history
from tests.webhooks.ecwid_bodies import ORDER, api

PLACED = datetime(2018, 5, 31, 15, 8, 36)
MAY_FIRST, JUNE_FIRST = 1525132800, 1527811200  # 2018-05-01 and 2018-06-01 00:00 UTC


def order(n: int, **changes) -> dict:
    body = copy.deepcopy(ORDER)
    body.update({"orderNumber": n, **changes})
    return body


def search(ecwid_api, items: list[dict], offset: int = 0):
    query = {"createdFrom": str(MAY_FIRST), "createdTo": str(JUNE_FIRST - 1), "limit": str(PER_PAGE),
             "offset": str(offset)}
    ecwid_api.get(api("/orders"), json={"total": len(items), "count": len(items), "items": items},
                  match=[matchers.query_param_matcher(query)])


def listed(app, shop) -> list[list[PastLine]]:
    access = Access(app.extensions["loyalty"].settings, app.extensions["loyalty"].vault)
    with session():
        return list(registry.of(shop).past_orders(shop, date(2018, 5, 1), date(2018, 5, 31), access))


def test_lines_after_coupons_and_a_refund_never_before_its_order(app, ecwid_shop, ecwid_api):
    search(ecwid_api, [ORDER])
    [lines] = listed(app, ecwid_shop)
    assert lines == [PastLine("1028", "40201284", PLACED, Decimal("1034.40"), "ABCA-IAC", None, 1),
                     PastLine("1028", "40201284", PLACED, Decimal("16.24"), "001001", None, 1),
                     PastLine("1028", "40201284", PLACED, Decimal("-3.50"))]


def test_unpaid_orders_are_left_out_and_a_refunded_amount_alone_is_a_line(app, ecwid_shop, ecwid_api):
    search(ecwid_api, [order(1, paymentStatus="AWAITING_PAYMENT")]
           + [order(10 + n, refunds=[]) for n in range(PER_PAGE - 1)])
    search(ecwid_api, [order(500, refunds=None, refundedAmount=7)], offset=PER_PAGE)
    first, second = listed(app, ecwid_shop)
    assert "1" not in {line.order_id for line in first} and len(first) == 3 * (PER_PAGE - 1)
    assert second[-1] == PastLine("500", "40201284", datetime(2018, 5, 31, 15, 9, 35), Decimal("-7.00"))


def test_a_fetch_run_stores_the_lines_once(app, ecwid_shop, ecwid_api, drain):
    search(ecwid_api, [ORDER])
    for _ in range(2):
        run = fetch_history(ecwid_shop, date(2018, 5, 1), date(2018, 5, 31), drain)
    assert (run.status, run.report["already_imported"]) == ("done", 3)
    with session():
        assert PastOrderLine.select().where(PastOrderLine.source == "ecwid").count() == 3
