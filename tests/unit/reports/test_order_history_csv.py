"""Reading past order lines from CSV: the columns stores export, Russian number and date formats,
rejected rows by line number, and refunds grouped with their orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.core.errors import Invalid
from plugin.reports.economics import history


def test_lines_read_in_any_spelling_and_bad_rows_are_named_by_line():
    text = ("Order ID;Customer ID;Date;Amount;SKU;Category\n" .replace(";", ",")
            + '1001,c1,05.03.2025,"1 290,50",A-1,Обувь\n'
            + "1001,c1,2025-03-05T10:00:00+03:00,300,B-2,\n"
            + "1002,,2025-03-06,10,,\n"
            + "1003,c2,yesterday,10,,\n"
            + "1004,c3,2025-03-07,12.345,,\n"
            + "1001,c1,2025-03-20,-300,B-2,\n")
    reading = history.read_csv(text)
    assert [(line.order_id, line.amount, line.category) for line in reading.lines] == [
        ("1001", Decimal("1290.50"), "Обувь"), ("1001", Decimal("300.00"), None),
        ("1001", Decimal("-300.00"), None)]
    assert reading.lines[1].placed_at == datetime(2025, 3, 5, 7, 0)  # +03:00 is stored as UTC
    assert [(r["line"], r["reason"].split(" ")[0]) for r in reading.rejected] == [
        (4, "customer_id"), (5, "placed_at"), (6, "amount")]


def test_a_refund_is_matched_to_its_line_by_sku_else_spread_over_the_order():
    lines = history.read_csv("order_id,customer_id,placed_at,amount,sku\n"
                             "1,a,2025-01-01,100,X\n1,a,2025-01-01,300,Y\n"
                             "1,a,2025-01-09,-300,Y\n1,a,2025-01-10,-40,\n"
                             "9,b,2025-01-10,-50,\n").lines
    (order,) = history.orders_of(lines)  # order 9 has only a refund: nothing was earned on it
    assert order.amount == Decimal(400)
    assert [refund for _, refund in order.refunds] == [{"1": Decimal(300)},
                                                       {"0": Decimal(10), "1": Decimal(30)}]
    assert [moment.day for moment, _ in order.refunds] == [9, 10]


def test_a_header_without_the_needed_columns_is_refused_naming_them():
    with pytest.raises(Invalid) as caught:
        history.read_csv("order_id,total\n1,100\n")
    assert "customer_id" in str(caught.value) and "placed_at" in str(caught.value)


@given(st.text(max_size=40))
def test_any_cell_is_a_line_or_a_reason(cell):
    try:
        line = history.line_of({"order_id": "1", "customer_id": "c", "placed_at": "2025-01-01",
                                "amount": cell})
    except ValueError as exc:
        assert str(exc)
    else:
        assert line.amount == line.amount.quantize(Decimal("0.01"))
