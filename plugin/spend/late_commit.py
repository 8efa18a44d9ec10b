"""A paid order used a code whose points had been given back: charge them again ("late commit").

The shopper cancelled, the hold timed out or was released for a cancelled order, and the code was
still used (the platform let it through before it was withdrawn). The hold's points are taken
again from the customer's spendable points; what is not there follows the shop's reversal policy
(``negative``: the rest becomes a debt; ``clamp`` and ``pending_only``: what there is), and the
money the customer's points did not cover is recorded on the order (``uncovered_discount``).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from decimal import Decimal

from marshmallow import Schema, fields
from peewee import fn

from plugin import ledger
from plugin.core import clock, reasons
from plugin.core.db import locking
from plugin.core.kinds import EntryKind, EventKind
from plugin.core.models import Event, Hold, LedgerEntry, Lot, Order
from plugin.core.status import HoldStatus
from plugin.program import versions

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
OUR_PREFIX = "LOY-"  # every code the plugin issues starts so (plugin.spend.redemption.new_code)
KIND = EntryKind.LATE_COMMIT


def charge(shop_id: int, code: str, order_id: str, *, amount: Decimal | None = None,
           event_id: int | None = None) -> int:
    """Charge the points of the hold behind ``code`` for this order; returns the points taken.

    Runs under the hold's row lock, after the conditional commit found it no longer held. The
    idempotency key names the hold (or the code) and the order, so a replayed order charges once.
    A code of ours that no hold knows is charged to the order's customer at the point value, for
    the ``amount`` the platform says it took off.
    """
    hold = locking(Hold.select().where((Hold.shop == shop_id) & (Hold.code == code))).first()
    if hold is None:
        due = _unknown(shop_id, code, order_id, amount, event_id)
        if due is None:
            return 0
    elif hold.order_id == order_id and hold.status == HoldStatus.COMMITTED:
        return 0  # this very order committed it already
    else:
        due = _Due(hold.customer_id, hold.point_type, hold.points, hold.amount, hold.currency or "",
                   f"{KIND}:{hold.id}:{order_id}")
    policy = versions.current(shop_id)[1]["reversal_policy"]
    taken = ledger.charge(due.customer_id, shop_id, due.point_type, due.points, key=due.key, kind=KIND,
                          event_id=event_id, allow_debt=policy == "negative",
                          reason=reasons.used_unheld(code, order_id))
    if taken is None:
        return 0
    debt = sum(points for lot_id, points in taken.items() if _is_debt(lot_id))
    covered = sum(taken.values()) - debt
    if hold is not None and hold.status != HoldStatus.COMMITTED:  # a second order on a used code: give_back
        Hold.update(status=HoldStatus.COMMITTED, order_id=order_id,
                    lots={str(k): v for k, v in taken.items()},
                    closed_at=clock.now()).where(Hold.id == hold.id).execute()
    uncovered = uncovered_money(due.amount, due.points, covered)
    then = [reasons.event_note("late_debt", debt=debt)] if debt else []
    if uncovered:
        then.append(reasons.event_note("late_uncovered", uncovered=uncovered, currency=due.currency))
    note = {**reasons.event_note("late_charge", discount=code, covered=covered, points=due.points),
            "then": then}
    _note(shop_id, order_id, event_id, uncovered or None, note)
    return covered


@dataclass(frozen=True)
class _Due:
    """What a late commit charges: whose points, how many for how much money, under which key."""

    customer_id: int
    point_type: str
    points: int
    amount: Decimal
    currency: str
    key: str


def _unknown(shop_id: int, code: str, order_id: str, amount: Decimal | None,
             event_id: int | None) -> _Due | None:
    """A code that looks like ours but that no hold issued (a store's own code is none of ours)."""
    if not code.startswith(OUR_PREFIX):
        return None
    order = Order.get_or_none((Order.shop == shop_id) & (Order.platform_id == order_id))
    if order is None or order.customer_id is None or not amount:
        _note(shop_id, order_id, event_id, amount or None,
              reasons.event_note("unknown_code", discount=code))
        return None
    point_value = versions.current(shop_id)[1]["redemption"]["point_value"]
    points = int(math.ceil(amount / point_value))
    return _Due(order.customer_id, ledger.REGULAR, points, amount, order.currency,
                f"{KIND}:{code}:{order_id}")


def give_back(shop_id: int, order_id: str, codes: list[str]) -> int:
    """A cancelled order returns what late commits charged for it on codes whose hold another
    order keeps, or that no hold knows (a hold's own charge goes back with it); returns the points."""
    returned = 0
    for code in dict.fromkeys(code.strip().upper() for code in codes if code):
        hold = Hold.get_or_none((Hold.shop == shop_id) & (Hold.code == code))
        if hold is not None and hold.order_id == order_id:
            continue
        name = hold.id if hold is not None else code
        key = f"{KIND}:{name}:{order_id}"
        taken: dict[int, int] = {}
        for entry in LedgerEntry.select().where((LedgerEntry.shop == shop_id) & (LedgerEntry.kind == KIND) & (
                (LedgerEntry.idempotency_key == key) | LedgerEntry.idempotency_key.startswith(key + "/"))):
            taken[entry.lot_id] = taken.get(entry.lot_id, 0) - entry.delta
        if taken and ledger.restore(shop_id, taken, kind=EntryKind.RELEASE,
                                    key=f"release:{name}:{order_id}",
                                    reason=reasons.hold_released("order_cancelled", order=order_id)):
            returned += sum(taken.values())
    return returned


def uncovered_money(amount: Decimal, points: int, covered: int) -> Decimal:
    """The part of ``amount`` the ``covered`` points of ``points`` did not pay for, in cents; the
    covered part and this add up to the amount exactly."""
    return amount.quantize(CENT) - (amount * covered / points).quantize(CENT)


def _is_debt(lot_id: int) -> bool:
    return Lot.select().where((Lot.id == lot_id) & (Lot.source == ledger.DEBT)).exists()


def _note(shop_id: int, order_id: str, event_id: int | None, uncovered: Decimal | None,
          note: reasons.Reason) -> None:
    """The uncovered money on the order, and what happened as the event's note."""
    log.warning("shop %s order %s: %s", shop_id, order_id, reasons.render(note, "en"))
    if uncovered:
        Order.update(uncovered_discount=fn.COALESCE(Order.uncovered_discount, 0) + uncovered).where(
            (Order.shop == shop_id) & (Order.platform_id == order_id)).execute()
    if event_id is not None:
        Event.update(error=reasons.dumps(note)).where(Event.id == event_id).execute()


class UncoveredOut(Schema):
    order = fields.String(required=True)
    amount = fields.Decimal(as_string=True, places=2, required=True)
    currency = fields.String(required=True)


UNCOVERED = UncoveredOut()


def uncovered_orders(shop_id: int):
    """The shop's orders with a discount not covered by points, newest first."""
    return (Order.select().where((Order.shop == shop_id) & Order.uncovered_discount.is_null(False))
            .order_by(Order.id.desc()))


def annotate(shop_id: int, items: list[dict]) -> None:
    """Put the uncovered discount of each paid-order event's order on its dumped item."""
    paid = [item["id"] for item in items if item.get("kind") == EventKind.ORDER_PAID]
    orders = {}
    for event_id, payload in Event.select(Event.id, Event.payload).where(Event.id.in_(paid)).tuples():
        if isinstance(payload, str):
            payload = json.loads(payload)
        if payload and payload.get("order_id"):
            orders[str(payload["order_id"])] = event_id
    found = {orders[o.platform_id]: o for o in uncovered_orders(shop_id).where(
        Order.platform_id.in_(list(orders)))} if orders else {}
    for item in items:
        order = found.get(item["id"])
        item["uncovered_discount"] = UNCOVERED.dump({
            "order": order.platform_id, "amount": order.uncovered_discount,
            "currency": order.currency}) if order else None
