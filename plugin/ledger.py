"""The only code that moves points: an append-only entry, its lot and the balance, in one transaction.

Every function here must run inside ``database.atomic()``; the caller's transaction is what
makes the entry, the lot and the materialized balance land together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee

from plugin import clock
from plugin.db import locking
from plugin.models import Balance, Customer, LedgerEntry, Lot

REGULAR = "regular"


class LedgerError(ValueError):
    """A movement that would break a ledger invariant."""


def already_done(shop_id: int, key: str) -> bool:
    """True when an operation with this idempotency key has been written for the shop."""
    return LedgerEntry.select().where(
        (LedgerEntry.shop == shop_id) & (LedgerEntry.idempotency_key == key)
    ).exists()


def grant(
    customer: Customer,
    points: int,
    *,
    kind: str,
    source: str,
    rule: dict,
    key: str,
    point_type: str = REGULAR,
    event_id: int | None = None,
    actor: str | None = None,
    reason: str = "",
    expires_at: datetime | None = None,
) -> Lot | None:
    """Credit a new lot; returns None when the key was already used (a replay changes nothing)."""
    if not isinstance(points, int) or points <= 0:
        raise LedgerError(f"a grant must be a positive whole number of points, got {points!r}")
    if already_done(customer.shop_id, key):
        return None
    now = clock.now()
    lot = Lot.create(
        shop=customer.shop_id, customer=customer.id, point_type=point_type, source=source, key=key,
        original=points, remaining=points, rule=rule, expires_at=expires_at, created_at=now,
    )
    _write(customer.shop_id, customer.id, lot.id, point_type, points, kind, key, event_id, actor,
           reason, now)
    Customer.update(lifetime_earned=Customer.lifetime_earned + points).where(
        Customer.id == customer.id
    ).execute()
    return lot


@dataclass(frozen=True)
class Grant:
    """One credit of ``grant_many``: regular points with no expiry, for a customer id."""

    customer_id: int
    points: int
    source: str
    rule: dict
    key: str
    reason: str = ""
    event_id: int | None = None


def grant_many(shop_id: int, grants: list[Grant], *, kind: str) -> dict[str, int]:
    """``grant`` for many customers in a few statements; returns {key: lot id} of those written.

    Keys already used are skipped, as ``grant`` skips them one at a time. This is what lets a
    worker apply a batch of paid orders at the cost of a handful of round trips.
    """
    for item in grants:
        if not isinstance(item.points, int) or isinstance(item.points, bool) or item.points <= 0:
            raise LedgerError(f"a grant must be a positive whole number of points, got {item.points!r}")
    keys = [item.key for item in grants]
    done = {key for (key,) in Lot.select(Lot.key).where(
        (Lot.shop == shop_id) & Lot.key.in_(keys)).tuples()}
    todo = [item for item in grants if item.key not in done]
    if len({item.key for item in todo}) != len(todo):
        raise LedgerError("one idempotency key twice in a batch of grants")
    if not todo:
        return {}
    now = clock.now()
    Lot.insert_many([
        {"shop": shop_id, "customer": item.customer_id, "point_type": REGULAR, "source": item.source,
         "key": item.key, "original": item.points, "remaining": item.points, "rule": item.rule,
         "created_at": now} for item in todo
    ]).execute()
    lots = dict(Lot.select(Lot.key, Lot.id).where(
        (Lot.shop == shop_id) & Lot.key.in_([item.key for item in todo])).tuples())
    LedgerEntry.insert_many([
        {"shop": shop_id, "customer": item.customer_id, "lot": lots[item.key],
         "point_type": REGULAR, "delta": item.points, "kind": kind, "event": item.event_id,
         "reason": item.reason, "idempotency_key": item.key, "created_at": now} for item in todo
    ]).execute()
    per_customer: dict[int, int] = {}
    for item in todo:
        per_customer[item.customer_id] = per_customer.get(item.customer_id, 0) + item.points
    (
        Balance.insert_many([
            {"shop": shop_id, "customer": cid, "point_type": REGULAR, "points": points}
            for cid, points in per_customer.items()
        ])
        .on_conflict(conflict_target=[Balance.customer, Balance.point_type],
                     update={Balance.points: Balance.points + peewee.EXCLUDED.points})
        .execute()
    )
    Customer.update(
        lifetime_earned=Customer.lifetime_earned + peewee.Case(Customer.id, list(per_customer.items()), 0)
    ).where(Customer.id.in_(list(per_customer))).execute()
    return {item.key: lots[item.key] for item in todo}


def take_back(
    lot: Lot,
    points: int,
    *,
    kind: str,
    key: str,
    event_id: int | None = None,
    actor: str | None = None,
    reason: str = "",
) -> int:
    """Debit up to ``points`` from one lot, clamped at what it still holds; returns what was taken.

    The lot row is locked first, so two workers reversing the same lot cannot both take its points.
    """
    if not isinstance(points, int) or points <= 0:
        raise LedgerError(f"a debit must be a positive whole number of points, got {points!r}")
    if already_done(lot.shop_id, key):
        return 0
    current = locking(Lot.select(Lot.remaining).where(Lot.id == lot.id)).get()
    taken = min(points, current.remaining)
    if taken == 0:
        return 0
    Lot.update(remaining=Lot.remaining - taken).where(Lot.id == lot.id).execute()
    _write(lot.shop_id, lot.customer_id, lot.id, lot.point_type, -taken, kind, key, event_id,
           actor, reason, clock.now())
    return taken


def _write(shop_id, customer_id, lot_id, point_type, delta, kind, key, event_id, actor, reason,
           now) -> None:
    """Append the entry and move the materialized balance by the same delta, as SQL increments."""
    LedgerEntry.insert(
        shop=shop_id, customer=customer_id, lot=lot_id, point_type=point_type,
        delta=delta, kind=kind, event=event_id, actor=actor, reason=reason,
        idempotency_key=key, created_at=now,
    ).execute()
    (
        Balance.insert(shop=shop_id, customer=customer_id, point_type=point_type, points=delta)
        .on_conflict(
            conflict_target=[Balance.customer, Balance.point_type],
            update={Balance.points: Balance.points + delta},
        )
        .execute()
    )


def balances(customer: Customer) -> dict[str, int]:
    """Spendable points per point type, from the materialized balance."""
    rows = Balance.select(Balance.point_type, Balance.points).where(Balance.customer == customer.id)
    return {row.point_type: row.points for row in rows}


def open_lots(customer: Customer) -> peewee.Select:
    """Lots that still hold points, soonest to expire first (never-expiring last)."""
    return (
        Lot.select()
        .where((Lot.customer == customer.id) & (Lot.remaining > 0))
        .order_by(Lot.expires_at.is_null(), Lot.expires_at, Lot.id)
    )


def entries(customer: Customer, *, before: int | None = None, limit: int = 50) -> list[LedgerEntry]:
    """Newest-first page of a customer's ledger; ``before`` is the id cursor from the last page."""
    query = LedgerEntry.select().where(LedgerEntry.customer == customer.id)
    if before is not None:
        query = query.where(LedgerEntry.id < before)
    return list(query.order_by(LedgerEntry.id.desc()).limit(limit))

