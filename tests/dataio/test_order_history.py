"""Importing past orders from CSV for the economics simulator: rows read with the simulator's reader,
rejected lines with their line and reason, batches with progress, dry run, a second import adds
nothing, and stored_lines reads back one shop's period."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from plugin.core.db import session
from plugin.core.errors import Invalid
from plugin.core.models import PastOrderLine
from plugin.customers import shops
from plugin.dataio import order_history
from plugin.reports.economics.history import PastLine, orders_of, read_csv

ORDERS = (
    "order_id,customer_id,placed_at,amount,sku,category,quantity\n"
    "1001,c1,2025-01-05,1200.00,TEA-1,tea,2\n"          # 2
    "1001,c1,2025-01-05,300,CUP-1,cups,1\n"              # 3
    "1002,c2,2025-01-20 10:30,\"1 290,50\",,,\n"         # 4
    "1003,c1,2025-02-02,abc,,,\n"                        # 5: not a number
    "1004,,2025-02-03,100,,,\n"                          # 6: no customer
    "1005,c3,31.02.2025,100,,,\n"                        # 7: no such day
    "1001,c1,2025-02-10,-300,CUP-1,cups,1\n"             # 8: a refund
    "1006,c3,2025-03-01,500,,,0\n"                       # 9: quantity 0
    "1007,c3,2025-03-04,10.5,,,\n"                       # 10
    "1007,c3,2025-03-04,10.5,,,\n"                       # 11: the same line twice in one order
)


def run(shop, text: str = ORDERS, **kwargs) -> order_history.Report:
    with session():
        return order_history.import_csv(shop.id, text, **kwargs)


def stored(shop) -> list[tuple]:
    with session():
        return list(PastOrderLine.select(PastOrderLine.order_id, PastOrderLine.amount, PastOrderLine.sku)
                    .where(PastOrderLine.shop == shop.id).order_by(PastOrderLine.id).tuples())


def test_rows_are_stored_and_malformed_ones_rejected_with_line_and_reason(shop):
    report = run(shop)
    assert [(r["line"], r["reason"].split(" ")[0]) for r in report.rejected] == [
        (5, "amount"), (6, "customer_id"), (7, "placed_at"), (9, "quantity")]
    assert (report.total, report.done, report.lines_added, report.refunds) == (10, 10, 6, 1)
    assert (report.first_day, report.last_day) == ("2025-01-05", "2025-03-04")
    assert [(o, a) for o, a, _ in stored(shop)] == [
        ("1001", Decimal("1200")), ("1001", Decimal("300")), ("1002", Decimal("1290.5")),
        ("1001", Decimal("-300")), ("1007", Decimal("10.5")), ("1007", Decimal("10.5"))]


def test_importing_the_file_again_adds_nothing_and_a_file_of_refunds_adds_only_them(shop):
    run(shop)
    again = run(shop)
    assert (again.lines_added, again.already_imported) == (0, 6)
    assert len(stored(shop)) == 6
    refunds = run(shop, "order_id,customer_id,placed_at,amount\n1002,c2,2025-02-01,-90.50\n")
    assert (refunds.lines_added, len(stored(shop))) == (1, 7)


def test_dry_run_writes_nothing_and_reports_the_same(shop):
    dry = run(shop, dry_run=True, batch_size=2)
    assert stored(shop) == []
    real = run(shop, batch_size=2)
    assert dry.as_dict() | {"dry_run": False} == real.as_dict()


def test_progress_is_reported_after_every_batch(shop):
    seen = []
    run(shop, batch_size=4, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(4, 10), (8, 10), (10, 10)]


def test_a_header_without_the_needed_columns_is_refused(shop):
    with pytest.raises(Invalid, match="amount") as caught:
        order_history.count_rows("order_id,customer_id,placed_at\n1,c,2025-01-01\n")
    assert caught.value.fields == {"file": ["no amount column"]}
    assert order_history.count_rows(ORDERS) == 10


def test_stored_lines_reads_one_shops_period_as_the_simulator_reads_a_file(shop):
    run(shop)
    with session():
        other, _ = shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)
        order_history.import_csv(other.id, "order_id,customer_id,placed_at,amount\n9,x,2025-01-10,5\n")
        lines = order_history.stored_lines(shop.id, date(2025, 1, 1), date(2025, 2, 10))
        everything = order_history.stored_lines(shop.id)
    assert [(line.order_id, line.amount) for line in lines] == [
        ("1001", Decimal("1200.00")), ("1001", Decimal("300.00")), ("1002", Decimal("1290.50")),
        ("1001", Decimal("-300.00"))]
    assert lines[0] == PastLine("1001", "c1", datetime(2025, 1, 5), Decimal("1200.00"), "TEA-1", "tea", 2)
    assert len(everything) == 6 and all(line.order_id != "9" for line in everything)


def test_an_order_also_fetched_from_the_platform_counts_once(shop):
    run(shop)
    fetched = PastLine("1001", "c1", datetime(2025, 1, 5, 9), Decimal("1450.00"))
    with session():
        order_history.write(shop.id, "shopify", order_history.keyed([fetched]), order_history.Report(),
                            run_id=None, dry_run=False, replace=True)
        lines = order_history.stored_lines(shop.id)
    assert [line.amount for line in lines if line.order_id == "1001"] == [Decimal("1450.00")]


def test_the_stored_history_groups_into_the_same_orders_as_the_file_itself(shop):
    run(shop)
    with session():
        stored = orders_of(order_history.stored_lines(shop.id))
    assert stored == orders_of(read_csv(ORDERS).lines)
