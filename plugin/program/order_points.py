"""What an order earns its buyer: the program's evaluation, times the tier multiplier, within the
earning limits. The worker credits exactly this (plugin.pipeline.apply) and the widget quotes exactly this
(widgets/redeem_api.py), so "you will earn" is what the ledger will say, not a second estimate.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

import peewee

from plugin.core import clock, reasons
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, CustomerTier, Hold, LedgerEntry, Order
from plugin.core.prepared import Prepared
from plugin.core.status import HoldStatus
from plugin.program import earning, multipliers

CENT = Decimal("0.01")


def earned(program: dict, order: dict, *, at: datetime, customer_id: str | None, first_order: bool,
           allowance: int | None, factor: Decimal | None) -> earning.Earned:
    """The evaluation, then the tier multiplier on the rounded points (rounded down again), never
    beyond what the earning limits still allow."""
    result = earning.evaluate(program, order, at=at, customer_id=customer_id, first_order=first_order,
                              allowance=allowance)
    if factor is not None:
        points = multipliers.multiplied(result.points, factor)
        result.points = points if allowance is None else min(points, max(allowance, 0))
        result.why_notes.append(reasons.tier_multiplier(factor))
    return result


def allowances(program: dict, customer_ids: list[int]) -> dict[int, int]:
    """What each customer may still earn today and this month under the program's limits."""
    limits = program["earning"]["limits"]
    if not customer_ids or not (limits["per_day"] is not None or limits["per_month"] is not None):
        return {}
    now = clock.now()
    allowance: dict[int, int] = {}
    windows = (("per_day", now.replace(hour=0, minute=0, second=0, microsecond=0)),
               ("per_month", now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)))
    for name, since in windows:
        if limits[name] is None:
            continue
        earned_so_far = dict(LedgerEntry.select(LedgerEntry.customer, peewee.fn.SUM(LedgerEntry.delta))
                             .where(LedgerEntry.customer.in_(customer_ids)
                                    & (LedgerEntry.kind == EntryKind.EARN)
                                    & (LedgerEntry.created_at >= since))
                             .group_by(LedgerEntry.customer).tuples())
        for cid in customer_ids:
            left = max(limits[name] - int(earned_so_far.get(cid, 0)), 0)
            allowance[cid] = min(allowance.get(cid, left), left)
    return allowance


class Quoting(NamedTuple):
    """What a quote reads of the shopper besides their row (``with_quoting``)."""

    ordered: bool  # any order of theirs, cancelled ones too: the next one is not their first
    discount: Hold | None  # the points discount held for this checkout: its amount and reward only


def with_quoting(query: peewee.ModelSelect, now: datetime) -> peewee.ModelSelect:
    """``query`` of a customer (plugin.customers.finding) with what ``quoting_of`` reads: whether
    they ever ordered, and their ``active_discount`` LEFT JOINed."""
    newest = Hold.alias("newest")
    held = (newest.select(newest.id).where(_discount_held(newest, Customer.id, now))
            .order_by(newest.id.desc()).limit(1))
    ordered = peewee.fn.EXISTS(Order.select(Order.id).where(Order.customer == Customer.id))
    return (query.select_extend(ordered.alias("quote_ordered"), Hold.amount.alias("quote_amount"),
                                Hold.reward.alias("quote_reward"))
            .join(Hold, peewee.JOIN.LEFT_OUTER, on=(Hold.id == held)))


def quoting_of(customer: Customer) -> Quoting:
    """What a customer read ``with_quoting`` carries."""
    amount = customer.quote_amount
    return Quoting(bool(customer.quote_ordered),
                   None if amount is None else Hold(amount=amount, reward=customer.quote_reward))


def active_discount(customer: Customer | None) -> Hold | None:
    """The points discount the shopper holds for this checkout (the newest held one), if any."""
    if customer is None:
        return None
    rows = _newest_held(customer.id, clock.now())
    return rows[0] if rows else None


@Prepared
def _newest_held(customer_id: int, now: datetime):
    return Hold.select().where(_discount_held(Hold, customer_id, now)).order_by(Hold.id.desc()).limit(1)


def _discount_held(hold, customer, now: datetime) -> peewee.Expression:
    """The condition on ``hold`` (Hold or an alias of it) of a points discount ``customer`` holds now."""
    return ((hold.customer == customer) & (hold.status == HoldStatus.HELD) & (hold.amount > 0)
            & (hold.expires_at > now))


@Prepared
def _has_ordered(customer_id: int):
    return Order.select(Order.id).where(Order.customer == customer_id).limit(1).tuples()


def takes_off_the_lines(program: dict, hold: Hold) -> bool:
    """A free-shipping reward's code takes the shipping off, not the items; any other
    discount (a coupon the widget hands to this checkout too) is spread over the items."""
    kinds = {reward["id"]: reward["kind"] for reward in program["rewards"]}
    return kinds.get(hold.reward) != "free_shipping"


def less_discount(order: dict, amount: Decimal) -> dict:
    """The order after a fixed discount spread over its lines pro rata to the cent (the rounding
    left on the last line), as the store allocates a discount code across the items; gift cards
    take no share."""
    paying = [n for n, line in enumerate(order["lines"]) if not line.get("gift_card")]
    amounts = [Decimal(order["lines"][n]["amount"]) for n in paying]
    subtotal = sum(amounts, Decimal(0))
    if not paying or subtotal <= 0 or amount <= 0:
        return order
    amount = min(amount, subtotal)
    shares = [(amount * a / subtotal).quantize(CENT, ROUND_HALF_UP) for a in amounts[:-1]]
    shares.append(amount - sum(shares, Decimal(0)))
    lines = [dict(line) for line in order["lines"]]
    for n, share in zip(paying, shares, strict=True):
        lines[n]["amount"] = str(max(Decimal(lines[n]["amount"]) - share, Decimal(0)))
    return {**order, "lines": lines}


def quote(program: dict, customer: Customer | None, customer_id: str | None, order: dict,
          tier_row: CustomerTier | None, quoting: Quoting | None = None) -> earning.Earned:
    """What this order will earn the shopper if placed now, after the points discount they hold:
    the same ``earned`` the worker applies, with the same first-order, limit and tier inputs
    (``tier_row``: the customer's, which the caller has read for the tier's prices; ``quoting``:
    the customer's too, if the caller read it with them, else read here)."""
    if quoting is None and customer is not None:
        quoting = Quoting(bool(_has_ordered(customer.id)), active_discount(customer))
    hold = quoting and quoting.discount
    if hold is not None and takes_off_the_lines(program, hold):
        order = less_discount(order, Decimal(hold.amount))
    ids = [customer.id] if customer else []
    first = customer is None or not quoting.ordered
    limits = program["earning"]["limits"]
    fresh = [limit for limit in (limits["per_day"], limits["per_month"]) if limit is not None]
    allowance = (allowances(program, ids).get(customer.id) if customer
                 else (min(fresh) if fresh else None))
    factor = multipliers.factor(program, tier_row.tier_id) if tier_row else None
    return earned(program, order, at=clock.now(), customer_id=customer_id,
                  first_order=first and customer_id is not None, allowance=allowance, factor=factor)
