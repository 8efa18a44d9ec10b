"""What a period's orders add up to: every order figure defined once, computed live from the orders.

The analytics page, the overview, the admin API and the CSV downloads all read these figures, so
they cannot disagree. An ``Order`` row is a paid order (the pipeline writes one per order.paid,
once), so:

  orders        paid orders in the period (by the day they were paid) in the shop's currency; an
                order in another currency is left out of every figure and counted apart
  customers     distinct customers with at least one of those orders (a guest order names none)
  repeat        of those customers, the ones with two or more of those orders;
                repeat rate = repeat customers / customers who ordered
  cancelled     of those orders, the ones cancelled since (order.cancelled): a cancellation, never
                a refund, even when the platform gave the money back with it
  refunded      of those orders not cancelled, the ones with money refunded since: ``full`` when
                the whole eligible amount came back, ``partial`` otherwise
  members       customers credited points at least once (Customer.lifetime_earned > 0, now);
                guests and customers never credited are non-members

A later refund or cancellation does not un-count an order: it is counted on its own. The figures
come from grouped queries on the (shop, created_at) index, never a loop over orders.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from peewee import JOIN, Case, fn

from plugin.core.models import Customer, Order, Shop
from plugin.reports import rollups

GROUPS = ("member", "non_member")
COUNTS = ("orders", "guest_orders", "cancelled", "refunded", "fully_refunded")


def _in_period(shop: Shop, start: date, end: date):
    since, until = rollups.bounds(start, end)
    return (Order.shop == shop.id) & (Order.created_at >= since) & (Order.created_at < until)


def _one_if(condition):
    return fn.SUM(Case(None, [(condition, 1)], 0))


def per_day(shop: Shop, start: date, end: date) -> dict[tuple[date, str], dict]:
    """{(day, group): {orders, revenue, guest_orders, cancelled, refunded, fully_refunded}}, and
    {(day, "other_currency"): {"orders": n}} for orders in another currency."""
    day = rollups.day_of(Order.created_at)
    member = Case(None, [(Customer.lifetime_earned > 0, 1)], 0)
    kept = Order.cancelled == False  # noqa: E712
    rows = (Order.select(day, Order.currency, member, fn.COUNT(Order.id), fn.SUM(Order.eligible),
                         _one_if(Order.customer.is_null()), _one_if(Order.cancelled == True),  # noqa: E712
                         _one_if(kept & (Order.refunded > 0)),
                         _one_if(kept & (Order.refunded > 0) & (Order.refunded >= Order.eligible)))
            .join(Customer, JOIN.LEFT_OUTER, on=(Order.customer == Customer.id))
            .where(_in_period(shop, start, end))
            .group_by(day, Order.currency, member).tuples())
    out: dict[tuple[date, str], dict] = {}
    for when, currency, is_member, count, revenue, *counts in rows:
        when = rollups.as_date(when)
        if currency != shop.currency:
            out.setdefault((when, "other_currency"), {"orders": 0})["orders"] += int(count)
            continue
        figures = dict(zip(COUNTS, (int(count), *(int(n or 0) for n in counts)), strict=True))
        out[when, GROUPS[0] if is_member else GROUPS[1]] = {**figures, "revenue": rollups.money(revenue)}
    return out


def buyers(shop: Shop, start: date, end: date) -> dict[str, tuple[int, int]]:
    """Per group: (customers who ordered in the period, those who ordered twice or more), over the
    same orders ``per_day`` counts (the shop's currency)."""
    per_customer = (Order.select(Order.customer, fn.COUNT(Order.id).alias("n"))
                    .where(_in_period(shop, start, end) & Order.customer.is_null(False)
                           & (Order.currency == shop.currency))
                    .group_by(Order.customer).alias("per_customer"))
    member = Case(None, [(Customer.lifetime_earned > 0, 1)], 0)
    rows = (Customer.select(member, fn.COUNT(Customer.id), _one_if(per_customer.c.n >= 2))
            .join(per_customer, on=(per_customer.c.customer_id == Customer.id))
            .group_by(member).tuples())
    found = {(GROUPS[0] if is_member else GROUPS[1]): (int(n), int(twice or 0))
             for is_member, n, twice in rows}
    return {group: found.get(group, (0, 0)) for group in GROUPS}


def summary(shop: Shop, start: date, end: date) -> dict:
    """The period's order figures: members, non-members and all together (see the module's
    definitions), plus the orders in another currency left out."""
    totals: dict[str, dict] = {group: defaultdict(Decimal) for group in (*GROUPS, "other_currency")}
    for (_, group), figures in per_day(shop, start, end).items():
        for name, value in figures.items():
            totals[group][name] += value
    who = buyers(shop, start, end)
    out = {group: _group(totals[group], *who[group]) for group in GROUPS}
    everyone = {name: sum((totals[g][name] for g in GROUPS), Decimal(0)) for name in (*COUNTS, "revenue")}
    out["all"] = _group(everyone, sum(who[g][0] for g in GROUPS), sum(who[g][1] for g in GROUPS))
    return {"members": out["member"], "non_members": out["non_member"], "all": out["all"],
            "other_currency_orders": int(totals["other_currency"]["orders"])}


def _group(totals, customers: int, repeating: int) -> dict:
    count, revenue = int(totals["orders"]), Decimal(totals["revenue"])
    refunded, full = int(totals["refunded"]), int(totals["fully_refunded"])
    return {"orders": count, "revenue": rollups.money_text(revenue),
            "average_order_value": rollups.money_text(revenue / count) if count else None,
            "customers": customers, "repeat_customers": repeating,
            "repeat_purchase_rate": rollups.rate(repeating, customers),
            "guest_orders": int(totals["guest_orders"]), "cancelled": int(totals["cancelled"]),
            "refunded": refunded, "fully_refunded": full, "partially_refunded": refunded - full}
