"""Points given by one shopper to another, lot by lot: nothing is created or destroyed."""

from __future__ import annotations

from plugin.core import bus, clock, facts, reasons
from plugin.core.db import locking
from plugin.core.kinds import EntryKind
from plugin.core.models import Balance, Customer, LedgerEntry, Lot
from plugin.ledger.book import Grant, LedgerError, ShortOfPoints, already_done, check_debit, pay_debts

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
    check_debit(points)
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
                     **reasons.columns(reasons.transfer_out())})
        rows.append({"customer": recipient.id, "lot": created[new_key], "delta": taken,
                     "idempotency_key": new_key, **reasons.columns(reasons.transfer_in())})
    LedgerEntry.insert_many([{**row, "shop": shop_id, "point_type": point_type, "kind": TRANSFER,
                              "created_at": now} for row in rows]).execute()
    for customer_id, delta in sorted(((sender.id, -points), (recipient.id, points))):  # id order: no deadlock
        (Balance.insert(shop=shop_id, customer=customer_id, point_type=point_type, points=delta)
         .on_conflict(conflict_target=[Balance.customer, Balance.point_type],
                      update={Balance.points: Balance.points + delta})
         .execute())
    pay_debts(shop_id, [Grant(recipient.id, taken, base, {}, new_key, point_type)
                        for _, taken, new_key in moves], created, now)
    bus.publish(facts.PointsMoved(facts.POINTS_TRANSFERRED, shop_id, TRANSFER, key=base,
                                  customer_id=sender.id, point_type=point_type, points=points,
                                  lots={created[new_key]: taken for _, taken, new_key in moves}))
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

