"""Reading the book: balances, spendable points, open lots and the entries of a customer."""

from __future__ import annotations

from datetime import timedelta

import peewee

from plugin.core import clock
from plugin.core.db import ids_in
from plugin.core.models import Balance, Customer, LedgerEntry, Lot
from plugin.core.prepared import Prepared

NO_CURSOR = 2**63 - 1  # above every id: the first page


def balances(customer: Customer) -> dict[str, int]:
    """Points per point type (pending included), from the materialized balance."""
    rows = Balance.select(Balance.point_type, Balance.points).where(Balance.customer == customer.id)
    return {row.point_type: row.points for row in rows}


def totals(customer_ids) -> dict[int, int]:
    """Each customer's points over every type (pending included), in one query for many."""
    ids = list(set(customer_ids))
    if not ids:
        return {}
    rows = (Balance.select(Balance.customer, peewee.fn.SUM(Balance.points))
            .where(ids_in(Balance.customer, ids))
            .group_by(Balance.customer).tuples())
    return {cid: int(total or 0) for cid, total in rows}


def spendable(customer: Customer) -> dict[str, int]:
    """Points per type that can be spent now: open lots past their pending period."""
    return {point_type: int(total) for point_type, total in _spendable(customer.id, clock.now())}


@Prepared
def lots_held(customer_id: int):
    """The lots that still hold (or owe) points, their type, points, pending and expiry only: one
    read from which the widget works out balance, spendable and expiring points together."""
    return Lot.select(Lot.point_type, Lot.remaining, Lot.pending_until, Lot.expires_at).where(
        (Lot.customer == customer_id) & (Lot.remaining != 0))


def spendable_among(lots: list[Lot], now) -> dict[str, int]:
    """What ``spendable`` answers at ``now``, from the customer's ``lots_held``."""
    found: dict[str, int] = {}
    for lot in lots:
        if lot.pending_until is None or lot.pending_until <= now:
            found[lot.point_type] = found.get(lot.point_type, 0) + lot.remaining
    return found


def expiring_among(lots: list[Lot], now, days: int) -> list[Lot]:
    """Of the customer's ``lots_held``, those whose points expire within ``days`` of ``now``,
    soonest first."""
    until = now + timedelta(days=days)
    return sorted((lot for lot in lots if lot.remaining > 0 and lot.expires_at is not None
                   and now < lot.expires_at <= until), key=lambda lot: lot.expires_at)


@Prepared
def _spendable(customer_id: int, now):
    return (Lot.select(Lot.point_type, peewee.fn.SUM(Lot.remaining))
            .where((Lot.customer == customer_id) & (Lot.remaining != 0)
                   & (Lot.pending_until.is_null() | (Lot.pending_until <= now)))
            .group_by(Lot.point_type).tuples())


def open_lots(customer: Customer) -> peewee.Select:
    """Lots that still hold points, soonest to expire first (never-expiring last)."""
    return (
        Lot.select()
        .where((Lot.customer == customer.id) & (Lot.remaining > 0))
        .order_by(Lot.expires_at.is_null(), Lot.expires_at, Lot.id)
    )


def entries(customer: Customer, *, before: int | None = None, limit: int = 50) -> list[LedgerEntry]:
    """Newest-first page of a customer's ledger; ``before`` is the id cursor from the last page."""
    return _page(customer.id, NO_CURSOR if before is None else before, limit)


@Prepared
def _page(customer_id: int, before: int, limit: int):
    # BIGINT: the cursor may lie beyond the id column's integer (NO_CURSOR does), and PostgreSQL types
    # a prepared statement's parameter as the column it meets (plugin.core.prepared)
    return (LedgerEntry.select().where((LedgerEntry.customer == customer_id)
                                       & (LedgerEntry.id < peewee.Cast(before, "BIGINT")))
            .order_by(LedgerEntry.id.desc()).limit(limit))
