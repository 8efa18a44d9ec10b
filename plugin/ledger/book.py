"""The only code that moves points: append-only entries, their lots and the balance, together.

Every function here runs inside the caller's ``database.atomic()``: the entries, the lots and the
materialized balance land together or not at all. Each operation carries an idempotency key
(unique per shop); replaying it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee

from plugin.core import clock
from plugin.core.db import insert_rows, locking
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
    reason: str = ""
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
         "actor": item.actor, "reason": item.reason, "idempotency_key": item.key, "created_at": now}
        for item in todo
    ])
    per_balance: dict[tuple[int, str], int] = {}
    for item in todo:
        slot = (item.customer_id, item.point_type)
        per_balance[slot] = per_balance.get(slot, 0) + item.points
    (
        Balance.insert_many([
            {"shop": shop_id, "customer": cid, "point_type": ptype, "points": points}
            for (cid, ptype), points in per_balance.items()
        ])
        .on_conflict(conflict_target=[Balance.customer, Balance.point_type],
                     update={Balance.points: Balance.points + peewee.EXCLUDED.points})
        .execute()
    )
    per_customer: dict[int, int] = {}
    for (cid, _), points in per_balance.items():
        per_customer[cid] = per_customer.get(cid, 0) + points
    Customer.update(
        lifetime_earned=Customer.lifetime_earned + peewee.Case(Customer.id, list(per_customer.items()), 0)
    ).where(Customer.id.in_(list(per_customer))).execute()
    _pay_debts(shop_id, todo, lots, now)
    return {item.key: lots[item.key] for item in todo}


def _pay_debts(shop_id: int, grants: list[Grant], lots: dict[str, int], now: datetime) -> None:
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
                    reason="pays off a negative balance",
                    idempotency_key=f"{item.key}:settle-{suffix}", created_at=now).execute()


def debit(lot: Lot, points: int, *, kind: str, key: str, spill: bool = False,
          allow_debt: bool = False, event_id: int | None = None, actor: str | None = None,
          reason: str = "") -> int:
    """Take up to ``points``: from ``lot`` first, then (``spill``) from the customer's other open
    lots of its type, soonest to expire first; with ``allow_debt`` the rest becomes a debt.

    Returns what was taken from lots and debt together. Lots are locked first, so two workers
    cannot take the same points.
    """
    _check_debit(points)
    if already_done(lot.shop_id, key):
        return 0
    query = Lot.select().where((Lot.id == lot.id) & (Lot.remaining > 0))
    if spill:
        query = (Lot.select().where((Lot.customer == lot.customer_id) & (Lot.point_type == lot.point_type)
                                    & (Lot.remaining > 0))
                 .order_by((Lot.id != lot.id), Lot.expires_at.is_null(), Lot.expires_at, Lot.id))
    now = clock.now()
    left, n = _take(locking(query), points, kind, key, event_id, actor, reason, now)
    if left and allow_debt:
        debt = _debt_lot(lot, now)
        Lot.update(remaining=Lot.remaining - left).where(Lot.id == debt.id).execute()
        _entry(debt, -left, kind, key if n == 0 else f"{key}/{n}", event_id, actor,
               reason + " (negative balance)", now)
        left = 0
    return points - left


def spend(customer: Customer, point_type: str, points: int, *, key: str, kind: str = EntryKind.SPEND,
          actor: str | None = None, reason: str = "") -> dict[int, int] | None:
    """Spend exactly ``points`` of a type, soonest-to-expire lots first, never pending ones.

    All or nothing: raises LedgerError when fewer points are spendable. Returns {lot id: points
    taken}, or None when the key was already used (the spend happened before). A redemption's
    hold is a spend of kind "hold" that ``restore`` can give back to the same lots.
    """
    _check_debit(points)
    if already_done(customer.shop_id, key):
        return None
    now = clock.now()
    lots = list(locking(
        Lot.select().where((Lot.customer == customer.id) & (Lot.point_type == point_type)
                           & (Lot.remaining > 0) & (Lot.pending_until.is_null() | (Lot.pending_until <= now)))
        .order_by(Lot.expires_at.is_null(), Lot.expires_at, Lot.id)))
    available = sum(lot.remaining for lot in lots)
    if available < points:
        raise LedgerError(f"only {available} {point_type} points can be spent, not {points}")
    taken: dict[int, int] = {}
    left = points
    for lot in lots:
        if left == 0:
            break
        taken[lot.id] = min(left, lot.remaining)
        left -= taken[lot.id]
    _take(lots, points, kind, key, None, actor, reason, now)
    return taken


def restore(shop_id: int, taken: dict[int, int], *, kind: str, key: str, reason: str = "",
            actor: str | None = None) -> bool:
    """Give points back to the lots they were taken from (a released hold); False on a replay."""
    if already_done(shop_id, key):
        return False
    now, amounts = clock.now(), {int(lot_id): int(points) for lot_id, points in taken.items()}  # JSON keys
    for n, lot in enumerate(locking(Lot.select().where(Lot.id.in_(list(amounts))).order_by(Lot.id))):
        points = amounts[lot.id]
        Lot.update(remaining=Lot.remaining + points).where(Lot.id == lot.id).execute()
        _entry(lot, points, kind, key if n == 0 else f"{key}/{n}", None, actor, reason, now)
    return True


def charge(customer_id: int, shop_id: int, point_type: str, points: int, *, key: str, kind: str,
           reason: str = "", allow_debt: bool = False, event_id: int | None = None) -> dict[int, int] | None:
    """Take up to ``points`` of the customer's spendable points, soonest to expire first; with
    ``allow_debt`` the rest becomes a debt. Returns {lot id: points taken} (the debt lot too), or
    None when the key was already used. A late-paid redemption is charged this way."""
    _check_debit(points)
    if already_done(shop_id, key):
        return None
    now = clock.now()
    lots = list(locking(
        Lot.select().where((Lot.customer == customer_id) & (Lot.point_type == point_type)
                           & (Lot.remaining > 0) & (Lot.pending_until.is_null() | (Lot.pending_until <= now)))
        .order_by(Lot.expires_at.is_null(), Lot.expires_at, Lot.id)))
    taken, left = {}, points
    for lot in lots:
        if left == 0:
            break
        taken[lot.id] = min(left, lot.remaining)
        left -= taken[lot.id]
    _, n = _take(lots, points, kind, key, event_id, None, reason, now)
    if left and allow_debt:
        debt = _debt_lot(Lot(shop=shop_id, customer=customer_id, point_type=point_type), now)
        Lot.update(remaining=Lot.remaining - left).where(Lot.id == debt.id).execute()
        _entry(debt, -left, kind, key if n == 0 else f"{key}/{n}", event_id, None,
               reason + " (negative balance)", now)
        taken[debt.id] = left
    return taken


class ShortOfPoints(LedgerError):
    """Fewer spendable points than a movement needs; nothing was moved."""


TRANSFER = EntryKind.TRANSFER


def transfer_done(shop_id: int, key: str) -> bool:
    """True when a transfer with this idempotency key has been written for the shop."""
    return already_done(shop_id, f"{TRANSFER}:{key}")


def transfer(sender: Customer, recipient: Customer, point_type: str, points: int, *,
             key: str) -> list[int]:
    """Give ``points`` of a type from one shopper to another of the same shop; returns the
    recipient's new lot ids (the same ids again when the key was already used).

    All or nothing (ShortOfPoints). The sender's spendable, unexpired lots are locked and taken
    soonest to expire first; each source lot becomes a lot of the recipient with the same point
    type, points and expiry (source ``transfer:<key>``). Entries of kind "transfer" are negative
    on the sender's lots and positive on the new ones; nothing is created or destroyed.
    """
    _check_debit(points)
    base = f"{TRANSFER}:{key}"
    if len(base) > Lot.source.max_length:
        raise LedgerError(f"a transfer key is at most {Lot.source.max_length - len(TRANSFER) - 1} characters")
    if sender.shop_id != recipient.shop_id:
        raise LedgerError("points can only be given to a shopper of the same store")
    if sender.id == recipient.id:
        raise LedgerError("a shopper cannot give points to themselves")
    now = clock.now()
    lots = list(locking(
        Lot.select().where((Lot.customer == sender.id) & (Lot.point_type == point_type) & (Lot.remaining > 0)
                           & (Lot.pending_until.is_null() | (Lot.pending_until <= now))
                           & (Lot.expires_at.is_null() | (Lot.expires_at > now)))
        .order_by(Lot.expires_at.is_null(), Lot.expires_at, Lot.id)))
    if already_done(sender.shop_id, base):  # read after the lock: a concurrent retry has committed
        return _transferred(sender, recipient, point_type, points, base)
    available = sum(lot.remaining for lot in lots)
    if available < points:
        raise ShortOfPoints(f"only {available} {point_type} points can be given, not {points}")
    moves, left = [], points
    for lot in lots:
        if left == 0:
            break
        moves.append((lot, min(left, lot.remaining), f"{base}:to/{len(moves)}"))
        left -= moves[-1][1]
    shop_id = sender.shop_id
    Lot.insert_many([
        {"shop": shop_id, "customer": recipient.id, "point_type": point_type, "source": base,
         "key": new_key, "original": taken, "remaining": taken, "program_version": lot.program_version,
         "rule": {"transfer": {"from": sender.platform_id, "lot": lot.id}},
         "pending_until": None, "expires_at": lot.expires_at, "created_at": now}
        for lot, taken, new_key in moves
    ]).execute()
    created = dict(Lot.select(Lot.key, Lot.id).where(
        (Lot.shop == shop_id) & Lot.key.in_([new_key for _, _, new_key in moves])).tuples())
    rows = []
    for n, (lot, taken, new_key) in enumerate(moves):
        Lot.update(remaining=Lot.remaining - taken).where(Lot.id == lot.id).execute()
        rows.append({"customer": sender.id, "lot": lot.id, "delta": -taken,
                     "idempotency_key": base if n == 0 else f"{base}/{n}",
                     "reason": "given to another shopper"})
        rows.append({"customer": recipient.id, "lot": created[new_key], "delta": taken,
                     "idempotency_key": new_key, "reason": "received from another shopper"})
    LedgerEntry.insert_many([{**row, "shop": shop_id, "point_type": point_type, "kind": TRANSFER,
                              "created_at": now} for row in rows]).execute()
    for customer_id, delta in sorted(((sender.id, -points), (recipient.id, points))):  # id order: no deadlock
        (Balance.insert(shop=shop_id, customer=customer_id, point_type=point_type, points=delta)
         .on_conflict(conflict_target=[Balance.customer, Balance.point_type],
                      update={Balance.points: Balance.points + delta})
         .execute())
    _pay_debts(shop_id, [Grant(recipient.id, taken, base, {}, new_key, point_type)
                         for _, taken, new_key in moves], created, now)
    return [created[new_key] for _, _, new_key in moves]


def _transferred(sender: Customer, recipient: Customer, point_type: str, points: int,
                 base: str) -> list[int]:
    """The lots of a transfer already written under this key, if it was this very transfer."""
    first = LedgerEntry.get((LedgerEntry.shop == sender.shop_id) & (LedgerEntry.idempotency_key == base))
    lots = list(Lot.select().where((Lot.customer == recipient.id) & (Lot.source == base)).order_by(Lot.id))
    if (first.customer_id != sender.id or first.kind != TRANSFER or not lots
            or lots[0].point_type != point_type or sum(lot.original for lot in lots) != points):
        raise LedgerError("this idempotency key was already used for another movement")
    return [lot.id for lot in lots]


def expire(lot: Lot, *, now: datetime) -> int:
    """Remove what is left of a lot past its expiry with one "expire" entry; returns the points.

    The lot is locked and read again, so a concurrent spend and the expiry never take the same
    points; a lot not yet due, already empty, already expired or holding a debt is left alone.
    """
    key = f"expire:{lot.id}"
    current = locking(Lot.select().where(Lot.id == lot.id)).first()
    if (current is None or current.source == DEBT or current.remaining <= 0
            or current.expires_at is None or current.expires_at > now
            or already_done(current.shop_id, key)):
        return 0
    reason = f"expired on {current.expires_at.isoformat(sep=' ', timespec='minutes')} UTC"
    _take([current], current.remaining, EntryKind.EXPIRE, key, None, None, reason, now)
    return current.remaining


def _check_debit(points) -> None:
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise LedgerError(f"a debit must be a positive whole number of points, got {points!r}")


def _take(lots, points: int, kind: str, key: str, event_id, actor, reason, now) -> tuple[int, int]:
    """Take from the lots in order; returns (points still to take, entries written)."""
    left, n = points, 0
    for source in lots:
        if left == 0:
            break
        taken = min(left, source.remaining)
        Lot.update(remaining=Lot.remaining - taken).where(Lot.id == source.id).execute()
        _entry(source, -taken, kind, key if n == 0 else f"{key}/{n}", event_id, actor, reason, now)
        left, n = left - taken, n + 1
    return left, n


def _debt_lot(like: Lot, now: datetime) -> Lot:
    key = f"debt:{like.customer_id}:{like.point_type}"
    lot = Lot.get_or_none((Lot.shop == like.shop_id) & (Lot.key == key))
    if lot is None:
        lot = Lot.create(shop=like.shop_id, customer=like.customer_id, point_type=like.point_type,
                         source=DEBT, key=key, original=0, remaining=0, rule={"debt": True},
                         created_at=now)
    return lot


def _entry(lot: Lot, delta: int, kind: str, key: str, event_id, actor, reason, now) -> None:
    LedgerEntry.insert(
        shop=lot.shop_id, customer=lot.customer_id, lot=lot.id, point_type=lot.point_type,
        delta=delta, kind=kind, event=event_id, actor=actor, reason=reason, idempotency_key=key,
        created_at=now).execute()
    (
        Balance.insert(shop=lot.shop_id, customer=lot.customer_id, point_type=lot.point_type,
                       points=delta)
        .on_conflict(conflict_target=[Balance.customer, Balance.point_type],
                     update={Balance.points: Balance.points + delta})
        .execute()
    )


def balances(customer: Customer) -> dict[str, int]:
    """Points per point type (pending included), from the materialized balance."""
    rows = Balance.select(Balance.point_type, Balance.points).where(Balance.customer == customer.id)
    return {row.point_type: row.points for row in rows}


def spendable(customer: Customer) -> dict[str, int]:
    """Points per type that can be spent now: open lots past their pending period."""
    now = clock.now()
    rows = (Lot.select(Lot.point_type, peewee.fn.SUM(Lot.remaining))
            .where((Lot.customer == customer.id) & (Lot.remaining != 0)
                   & (Lot.pending_until.is_null() | (Lot.pending_until <= now)))
            .group_by(Lot.point_type).tuples())
    return {point_type: int(total) for point_type, total in rows}


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
