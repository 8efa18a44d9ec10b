"""Simulating a shop's program over the shop's own past orders: the ones the plugin has applied, and
history imported from a file or the platform (plugin.dataio.order_history)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from plugin.core.models import Customer, Order, Shop
from plugin.dataio import order_history
from plugin.reports.economics.history import PastOrder, orders_of
from plugin.reports.economics.scenario import Scenario
from plugin.reports.economics.simulate import Result, simulate

#: The plugin's own orders, the history imported from a file or fetched from the platform, or both
#: (an order the plugin has counts as it has it, never twice).
SOURCES = ("all", "orders", "imported")


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


def past_orders(shop_id: int, start: date, end: date, source: str = "all") -> list[PastOrder]:
    """The orders of ``source`` (one of SOURCES) placed in the period, in time order."""
    own = own_orders(shop_id, start, end) if source != "imported" else []
    if source == "orders":
        return own
    known = {order.order_id for order in own}
    imported = [order for order in orders_of(order_history.stored_lines(shop_id, start, end))
                if order.order_id not in known]
    return sorted(own + imported, key=lambda order: (order.placed_at, order.order_id))


def simulate_shop(shop_id: int, programs: Sequence[dict], scenario: Scenario, start: date, end: date,
                  source: str = "all") -> list[Result]:
    """Each of ``programs`` (loaded documents: a draft, a version) over the shop's history in the
    period, read once for all of them."""
    currency = Shop.select(Shop.currency).where(Shop.id == shop_id).scalar()
    orders = past_orders(shop_id, start, end, source)
    return [simulate(program, orders, scenario, start=start, end=end, currency=currency)
            for program in programs]
