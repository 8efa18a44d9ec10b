"""The book: grants of new lots, and the entries and balance every movement writes together.

Every function here runs inside the caller's ``database.atomic()``: the entries, the lots and the
materialized balance land together or not at all, and each movement publishes its fact
(plugin.core.facts, ``points.*``) in that same transaction. Each operation carries an idempotency key
(unique per shop); replaying it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plugin.core import bus, clock, facts, reasons
from plugin.core.db import by_id, ids_in, insert_rows, locking
from plugin.core.kinds import EntryKind
from plugin.core.models import Balance, Customer, LedgerEntry, Lot

REGULAR = "regular"
DEBT = "debt"  # the source of a lot that holds a negative balance (reversal policy "negative")


class LedgerError(ValueError):
    """A movement that would break a ledger invariant."""


@dataclass(frozen=True)
class Grant:
    """One credit: a new lot of ``points`` of a type, with the rule and program that made it."""

    customer_id: int
    points: int
    source: str
    rule: dict
    key: str
    point_type: str = REGULAR
    reason: reasons.Reason | str = ""
    event_id: int | None = None
    actor: str | None = None
    expires_at: datetime | None = None
    pending_until: datetime | None = None
    program_version: int | None = None


def already_done(shop_id: int, key: str) -> bool:
    """True when an operation with this idempotency key has been written for the shop."""
    return LedgerEntry.select().where(
        (LedgerEntry.shop == shop_id) & (LedgerEntry.idempotency_key == key)).exists()


def grant(customer: Customer, points: int, *, kind: str, **details) -> Lot | None:
    """Credit one new lot; None when its key was already used (a replay changes nothing)."""
    written = grant_many(customer.shop_id, [Grant(customer.id, points, **details)], kind=kind)
    return Lot.get_by_id(written[details["key"]]) if written else None


def grant_many(shop_id: int, grants: list[Grant], *, kind: str) -> dict[str, int]:
    """Credit many lots in a few statements; returns {key: lot id} of those written.

    Keys already used are skipped. A customer's debt of the same point type (reversal policy
    "negative") is paid off first out of the new lot.
    """
    for item in grants:
        if not isinstance(item.points, int) or isinstance(item.points, bool) or item.points <= 0:
            raise LedgerError(f"a grant must be a positive whole number of points, got {item.points!r}")
    done = {key for (key,) in Lot.select(Lot.key).where(
        (Lot.shop == shop_id) & Lot.key.in_([item.key for item in grants])).tuples()}
    todo = [item for item in grants if item.key not in done]
    if len({item.key for item in todo}) != len(todo):
        raise LedgerError("one idempotency key twice in a batch of grants")
    if not todo:
        return {}
    now = clock.now()
    insert_rows(Lot, [
        {"shop": shop_id, "customer": item.customer_id, "point_type": item.point_type,
         "source": item.source, "key": item.key, "original": item.points, "remaining": item.points,
         "rule": item.rule, "program_version": item.program_version,
         "pending_until": item.pending_until, "expires_at": item.expires_at, "created_at": now}
        for item in todo
    ])
    lots = dict(Lot.select(Lot.key, Lot.id).where(
        (Lot.shop == shop_id) & Lot.key.in_([item.key for item in todo])).tuples())
    insert_rows(LedgerEntry, [
        {"shop": shop_id, "customer": item.customer_id, "lot": lots[item.key],
         "point_type": item.point_type, "delta": item.points, "kind": kind, "event": item.event_id,
         "actor": item.actor, **reasons.columns(item.reason), "idempotency_key": item.key,
         "created_at": now}
        for item in todo
    ])
    per_balance: dict[tuple[int, str], int] = {}
    for item in todo:
        slot = (item.customer_id, item.point_type)
        per_balance[slot] = per_balance.get(slot, 0) + item.points
    add_to_balances({(shop_id, cid, ptype): points for (cid, ptype), points in per_balance.items()})
    per_customer: dict[int, int] = {}
    for (cid, _), points in per_balance.items():
        per_customer[cid] = per_customer.get(cid, 0) + points
    Customer.update(lifetime_earned=Customer.lifetime_earned + by_id(Customer, per_customer, 0)).where(
        ids_in(Customer.id, list(per_customer))).execute()
    pay_debts(shop_id, todo, lots, now)
    written = {item.key: lots[item.key] for item in todo}
    bus.publish(facts.PointsMoved(facts.POINTS_EARNED, shop_id, kind, lots=written,
                                  points=sum(item.points for item in todo), grants=tuple(todo)))
    return written


def add_to_balances(deltas: dict[tuple[int, int, str], int]) -> None:
    """Add {(shop, customer, point type): points} to the materialized balances (rows made as needed)."""
    insert_rows(Balance, [
        {"shop": shop_id, "customer": cid, "point_type": ptype, "points": points}
        for (shop_id, cid, ptype), points in deltas.items()
    ], add_on_conflict=(("customer", "point_type"), "points"))


def pay_debts(shop_id: int, grants: list[Grant], lots: dict[str, int], now: datetime) -> None:
    """Move points from new lots into the same customers' debt lots (no change to the balance)."""
    debts = list(locking(Lot.select().where(
        (Lot.shop == shop_id) & (Lot.source == DEBT) & (Lot.remaining < 0)
        & Lot.customer.in_(list({g.customer_id for g in grants})))))
    for debt in debts:
        for item in grants:
            if (item.customer_id, item.point_type) != (debt.customer_id, debt.point_type):
                continue
            paid = min(item.points, -debt.remaining)
            if paid <= 0:
                break
            Lot.update(remaining=Lot.remaining - paid).where(Lot.id == lots[item.key]).execute()
            Lot.update(remaining=Lot.remaining + paid).where(Lot.id == debt.id).execute()
            debt.remaining += paid
            for lot_id, delta, suffix in ((lots[item.key], -paid, "from"), (debt.id, paid, "to")):
                LedgerEntry.insert(
                    shop=shop_id, customer=item.customer_id, lot=lot_id, point_type=item.point_type,
                    delta=delta, kind=EntryKind.SETTLE, event=item.event_id,
                    **reasons.columns(reasons.settle_debt()),
                    idempotency_key=f"{item.key}:settle-{suffix}", created_at=now).execute()


class ShortOfPoints(LedgerError):
    """Fewer spendable points than a movement needs; nothing was moved."""


def check_debit(points) -> None:
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise LedgerError(f"a debit must be a positive whole number of points, got {points!r}")


def take(lots, points: int, kind: str, key: str, event_id, actor, reason, now) -> tuple[int, int]:
    """Take from the lots in order; returns (points still to take, entries written)."""
    left, n = points, 0
    for source in lots:
        if left == 0:
            break
        taken = min(left, source.remaining)
        Lot.update(remaining=Lot.remaining - taken).where(Lot.id == source.id).execute()
        entry(source, -taken, kind, key if n == 0 else f"{key}/{n}", event_id, actor, reason, now)
        left, n = left - taken, n + 1
    return left, n


def debt_lot(like: Lot, now: datetime) -> Lot:
    key = f"debt:{like.customer_id}:{like.point_type}"
    lot = Lot.get_or_none((Lot.shop == like.shop_id) & (Lot.key == key))
    if lot is None:
        lot = Lot.create(shop=like.shop_id, customer=like.customer_id, point_type=like.point_type,
                         source=DEBT, key=key, original=0, remaining=0, rule={"debt": True},
                         created_at=now)
    return lot


def entry(lot: Lot, delta: int, kind: str, key: str, event_id, actor, reason, now) -> None:
    LedgerEntry.insert(
        shop=lot.shop_id, customer=lot.customer_id, lot=lot.id, point_type=lot.point_type,
        delta=delta, kind=kind, event=event_id, actor=actor, **reasons.columns(reason), idempotency_key=key,
        created_at=now).execute()
    (
        Balance.insert(shop=lot.shop_id, customer=lot.customer_id, point_type=lot.point_type,
                       points=delta)
        .on_conflict(conflict_target=[Balance.customer, Balance.point_type],
                     update={Balance.points: Balance.points + delta})
        .execute()
    )

