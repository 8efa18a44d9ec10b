"""Simulating a shop's program over the shop's own past orders: the ones the plugin has applied, or
history imported from a file or the platform (plugin.dataio.order_history)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from plugin.core.models import Customer, Order, Shop
from plugin.reports.economics.history import PastOrder
from plugin.reports.economics.scenario import Scenario
from plugin.reports.economics.simulate import Result, simulate

SOURCES = ("orders",)


def own_orders(shop_id: int, start: date, end: date) -> list[PastOrder]:
    """The orders the plugin applied, placed from ``start`` to ``end``, as the worker stored them
    (the canonical order it earned on); what was refunded counts as refunded when the order was
    placed (the ledger keeps the refunds' times, the order row only their sum), a cancellation as
    a refund of the whole order."""
    rows = (Order.select(Order.platform_id, Order.created_at, Order.order, Order.refunded_lines,
                         Order.cancelled, Customer.platform_id.alias("customer_id"))
            .join(Customer).where((Order.shop == shop_id) & (Order.created_at >= _day(start))
                                  & (Order.created_at < _day(end) + timedelta(days=1)))
            .order_by(Order.created_at, Order.id).dicts())
    out = []
    for row in rows:
        order = row["order"]
        past = PastOrder(row["platform_id"], row["customer_id"], row["created_at"], order)
        if row["cancelled"]:
            past.refunds.append((row["created_at"], {line["line_id"]: Decimal(line["amount"])
                                                     for line in order["lines"]}))
        elif row["refunded_lines"]:
            past.refunds.append((row["created_at"],
                                 {k: Decimal(v) for k, v in row["refunded_lines"].items()}))
        out.append(past)
    return out


def _day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def simulate_shop(shop_id: int, program: dict, scenario: Scenario, start: date, end: date,
                  source: str = "orders") -> Result:
    """``program`` (a loaded document: a draft, a version) over the shop's history in the period."""
    currency = Shop.select(Shop.currency).where(Shop.id == shop_id).scalar()
    return simulate(program, own_orders(shop_id, start, end), scenario, start=start, end=end,
                    currency=currency)
