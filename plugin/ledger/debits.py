"""Taking points out of lots: reversals (debit), spends and holds, their restore, late charges, expiry.

Each movement runs inside the caller's transaction, is idempotent by its key (a replay moves
nothing) and publishes its ``points.*`` fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import SQL, Case, SqliteDatabase, Value, fn

from plugin.core import bus, clock, facts, reasons
from plugin.core.db import claiming, database, ids_in, insert_rows, locking
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, LedgerEntry, Lot
from plugin.ledger.book import (
    DEBT,
    LedgerError,
    add_to_balances,
    already_done,
    check_debit,
    debt_lot,
    entry,
    take,
)


def debit(lot: Lot, points: int, *, kind: str, key: str, spill: bool = False,
          allow_debt: bool = False, event_id: int | None = None, actor: str | None = None,
          reason: reasons.Reason | str = "") -> int:
    """Take up to ``points``: from ``lot`` first, then (``spill``) from the customer's other open
    lots of its type, soonest to expire first; with ``allow_debt`` the rest becomes a debt.

    Returns what was taken from lots and debt together. Lots are locked first, so two workers
    cannot take the same points.
    """
    check_debit(points)
    if already_done(lot.shop_id, key):
        return 0
    query = Lot.select().where((Lot.id == lot.id) & (Lot.remaining > 0))
    if spill:
        query = (Lot.select().where((Lot.customer == lot.customer_id) & (Lot.point_type == lot.point_type)
                                    & (Lot.remaining > 0))
                 .order_by((Lot.id != lot.id), Lot.expires_at.is_null(), Lot.expires_at, Lot.id))
    now = clock.now()
    left, n = take(locking(query), points, kind, key, event_id, actor, reason, now)
    if left and allow_debt:
        debt = debt_lot(lot, now)
        Lot.update(remaining=Lot.remaining - left).where(Lot.id == debt.id).execute()
        entry(debt, -left, kind, key if n == 0 else f"{key}/{n}", event_id, actor,
              reasons.in_debt(reason), now)
        left = 0
    bus.publish(facts.PointsMoved(facts.POINTS_TAKEN, lot.shop_id, kind, key=key, customer_id=lot.customer_id,
                                  point_type=lot.point_type, points=points - left, reason=reason))
    return points - left


@dataclass(frozen=True)
class Take:
    """Points taken from one lot alone, no more than it has left (a refund its order's lot covers)."""

    lot: Lot
    points: int
    key: str
    event_id: int | None = None
    reason: reasons.Reason | str = ""


def take_many(shop_id: int, takes: list[Take], *, kind: str) -> None:
    """Debit each take from its own lot, all in a few statements (a batch's refunds).

    The caller holds the lots locked; a lot left with fewer points than its takes, or a key used
    already (the unique index), raises and nothing is moved. One ``points.taken`` fact for all.
    """
    for item in takes:
        check_debit(item.points)
    if not takes:
        return
    per_lot: dict[int, int] = {}
    per_balance: dict[tuple[int, int, str], int] = {}
    for item in takes:
        per_lot[item.lot.id] = per_lot.get(item.lot.id, 0) + item.points
        slot = (shop_id, item.lot.customer_id, item.lot.point_type)
        per_balance[slot] = per_balance.get(slot, 0) - item.points
    taken = Case(Lot.id, list(per_lot.items()), 0)
    changed = Lot.update(remaining=Lot.remaining - taken).where(
        ids_in(Lot.id, list(per_lot)) & (Lot.remaining >= taken)).execute()
    if changed != len(per_lot):
        raise LedgerError("a lot has fewer points left than is taken from it")
    now = clock.now()
    insert_rows(LedgerEntry, [
        {"shop": shop_id, "customer": item.lot.customer_id, "lot": item.lot.id,
         "point_type": item.lot.point_type, "delta": -item.points, "kind": kind, "event": item.event_id,
         "actor": None, **reasons.columns(item.reason), "idempotency_key": item.key, "created_at": now}
        for item in takes
    ])
    add_to_balances(per_balance)
    bus.publish(facts.PointsMoved(facts.POINTS_TAKEN, shop_id, kind, points=sum(per_lot.values()),
                                  takes=tuple(takes)))


def spend(customer: Customer, point_type: str, points: int, *, key: str, kind: str = "spend",
          actor: str | None = None, reason: reasons.Reason | str = "") -> dict[int, int] | None:
    """Spend exactly ``points`` of a type, soonest-to-expire lots first, never pending ones.

    All or nothing: raises LedgerError when fewer points are spendable. Returns {lot id: points
    taken}, or None when the key was already used (the spend happened before). A redemption's
    hold is a spend of kind "hold" that ``restore`` can give back to the same lots.
    """
    check_debit(points)
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
    take(lots, points, kind, key, None, actor, reason, now)
    bus.publish(facts.PointsMoved(facts.POINTS_SPENT, customer.shop_id, kind, key=key,
                                  customer_id=customer.id, point_type=point_type, points=points,
                                  lots=taken, reason=reason))
    return taken


def restore(shop_id: int, taken: dict[int, int], *, kind: str, key: str, reason: reasons.Reason | str = "",
            actor: str | None = None) -> bool:
    """Give points back to the lots they were taken from (a released hold); False on a replay."""
    if already_done(shop_id, key):
        return False
    now, amounts = clock.now(), {int(lot_id): int(points) for lot_id, points in taken.items()}  # JSON keys
    for n, lot in enumerate(locking(Lot.select().where(Lot.id.in_(list(amounts))).order_by(Lot.id))):
        points = amounts[lot.id]
        Lot.update(remaining=Lot.remaining + points).where(Lot.id == lot.id).execute()
        entry(lot, points, kind, key if n == 0 else f"{key}/{n}", None, actor, reason, now)
    bus.publish(facts.PointsMoved(facts.POINTS_RESTORED, shop_id, kind, key=key,
                                  points=sum(amounts.values()), lots=amounts))
    return True


def charge(customer_id: int, shop_id: int, point_type: str, points: int, *, key: str, kind: str,
           reason: reasons.Reason | str = "", allow_debt: bool = False,
           event_id: int | None = None) -> dict[int, int] | None:
    """Take up to ``points`` of the customer's spendable points, soonest to expire first; with
    ``allow_debt`` the rest becomes a debt. Returns {lot id: points taken} (the debt lot too), or
    None when the key was already used. A late-paid redemption is charged this way."""
    check_debit(points)
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
    _, n = take(lots, points, kind, key, event_id, None, reason, now)
    if left and allow_debt:
        debt = debt_lot(Lot(shop=shop_id, customer=customer_id, point_type=point_type), now)
        Lot.update(remaining=Lot.remaining - left).where(Lot.id == debt.id).execute()
        entry(debt, -left, kind, key if n == 0 else f"{key}/{n}", event_id, None,
              reasons.in_debt(reason), now)
        taken[debt.id] = left
    bus.publish(facts.PointsMoved(facts.POINTS_SPENT, shop_id, kind, key=key, customer_id=customer_id,
                                  point_type=point_type, points=sum(taken.values()), lots=taken,
                                  reason=reason))
    return taken


def expire(lot: Lot, *, now: datetime) -> int:
    """Remove what is left of one lot past its expiry, waiting for a spend that holds it; returns
    the points."""
    return _expire(Lot.id == lot.id, now, locking).get(lot.id, 0)


def expire_customers(customer_ids: list[int], *, now: datetime) -> dict[int, int]:
    """Remove what is left of every lot of these customers past its expiry, skipping a lot a
    spend holds (SKIP LOCKED: the next run takes it); returns {lot id: points removed}.

    A shopper's lots burn together, so the ``points.expired`` fact tells of all of them at once.
    """
    if not customer_ids:
        return {}
    still_open = Lot.remaining != 0  # found through the partial index lot_open_customer_id
    return _expire(ids_in(Lot.customer, customer_ids) & still_open, now, claiming)


def _expire(which, now: datetime, lock) -> dict[int, int]:
    """The lots ``which`` selects, locked and read again, so a concurrent spend and the expiry
    never take the same points; a lot not yet due, already empty, already expired (its key
    ``expire:<lot>`` is used) or holding a debt is left alone. One "expire" entry per lot, one
    balance change per customer and point type, one ``points.expired`` fact per shop; a few
    statements for all of them.
    """
    expired_before = LedgerEntry.select(SQL("1")).where(  # its key used: restored after its expiry
        (LedgerEntry.shop == Lot.shop)
        & (LedgerEntry.idempotency_key == Value("expire:").concat(Lot.id.cast("TEXT"))))
    lots = database.execute(lock(  # the rows as the driver gives them: peewee's conversions cost more
        Lot.select(Lot.id, Lot.shop, Lot.customer, Lot.point_type, Lot.remaining, Lot.expires_at)
        .where(which & (Lot.remaining > 0) & (Lot.source != DEBT)
               & Lot.expires_at.is_null(False) & (Lot.expires_at <= now) & ~fn.EXISTS(expired_before))
        .order_by(Lot.id))).fetchall()
    if not lots:
        return {}
    ids = [lot_id for lot_id, *_ in lots]
    _expire_entries(ids, now)
    Lot.update(remaining=0).where(ids_in(Lot.id, ids)).execute()
    per_balance: dict[tuple[int, int, str], int] = {}
    for _, shop_id, customer_id, point_type, points, _ in lots:
        slot = (shop_id, customer_id, point_type)
        per_balance[slot] = per_balance.get(slot, 0) - points
    add_to_balances(per_balance)
    per_shop: dict[int, list[dict]] = {}
    for lot_id, shop_id, customer_id, point_type, points, expires_at in lots:
        per_shop.setdefault(shop_id, []).append(
            {"lot": lot_id, "customer": customer_id, "point_type": point_type, "points": points,
             "expires_at": Lot.expires_at.python_value(expires_at)})  # SQLite's is text
    for shop_id, expired in per_shop.items():
        bus.publish(facts.LotsExpired(shop_id, now, expired))
    return {lot_id: points for lot_id, _, _, _, points, _ in lots}


def _expire_entries(lot_ids: list[int], now: datetime) -> None:
    """The "expire" entries of locked lots, written by the database from the lots themselves
    (INSERT ... SELECT: nothing per lot in Python); the reason is the text reasons.dumps makes of
    reasons.expired(expires_at)."""
    if isinstance(database.obj, SqliteDatabase):  # datetimes are stored as text there
        minute = fn.substr(Lot.expires_at, 1, 16)
    else:
        minute = fn.to_char(Lot.expires_at, "YYYY-MM-DD HH24:MI")
    reason = Value('{"code":"expire","at":"').concat(minute).concat('"}')
    LedgerEntry.insert_from(
        Lot.select(Lot.shop, Lot.customer, Lot.id, Lot.point_type, Lot.remaining * -1,
                   Value(EntryKind.EXPIRE), reason, Value(EntryKind.EXPIRE),
                   Value("expire:").concat(Lot.id.cast("TEXT")),
                   Value(now, converter=LedgerEntry.created_at.db_value))
        .where(ids_in(Lot.id, lot_ids)),
        fields=[LedgerEntry.shop, LedgerEntry.customer, LedgerEntry.lot, LedgerEntry.point_type,
                LedgerEntry.delta, LedgerEntry.kind, LedgerEntry.reason, LedgerEntry.reason_code,
                LedgerEntry.idempotency_key, LedgerEntry.created_at]).as_rowcount().execute()
