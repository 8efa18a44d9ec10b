"""A paid order used a code whose points had been given back: charge them again ("late commit").

The shopper cancelled, the hold timed out or was released for a cancelled order, and the code was
still used (the platform let it through before it was withdrawn). The hold's points are taken
again from the customer's spendable points; what is not there follows the shop's reversal policy
(``negative``: the rest becomes a debt; ``clamp`` and ``pending_only``: what there is), and the
money the customer's points did not cover is recorded on the order (``uncovered_discount``).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from peewee import fn

from plugin import clock, ledger
from plugin.db import locking
from plugin.models import Event, Hold, Lot, Order
from plugin.program import versions

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
OUR_PREFIX = "LOY-"  # every code the plugin issues starts so (plugin.redemption.new_code)
KIND = "late_commit"


def charge(shop_id: int, code: str, order_id: str, *, event_id: int | None = None) -> int:
    """Charge the points of the hold behind ``code`` for this order; returns the points taken.

    Runs under the hold's row lock, after the conditional commit found it no longer held. The
    idempotency key names the hold and the order, so a replayed order charges once.
    """
    hold = locking(Hold.select().where((Hold.shop == shop_id) & (Hold.code == code))).first()
    if hold is None:
        if code.startswith(OUR_PREFIX):
            _note(shop_id, order_id, event_id, None,
                  f"discount code {code} looks like ours but no redemption issued it: not charged")
        return 0
    if hold.order_id == order_id and hold.status == "committed":
        return 0  # this very order committed it already
    policy = versions.current(shop_id)[1]["reversal_policy"]
    taken = ledger.charge(hold.customer_id, shop_id, hold.point_type, hold.points,
                          key=f"{KIND}:{hold.id}:{order_id}", kind=KIND, event_id=event_id,
                          reason=f"discount {code} used by order {order_id} after its points were "
                                 "given back", allow_debt=policy == "negative")
    if taken is None:
        return 0
    debt = sum(points for lot_id, points in taken.items() if _is_debt(lot_id))
    covered = sum(taken.values()) - debt
    if hold.status != "committed":  # a second order on a used code keeps the first order's hold
        Hold.update(status="committed", order_id=order_id, lots={str(k): v for k, v in taken.items()},
                    closed_at=clock.now()).where(Hold.id == hold.id).execute()
    uncovered = uncovered_money(hold.amount, hold.points, covered)
    note = (f"discount {code} was used after its points were given back: {covered} of "
            f"{hold.points} points charged again")
    if debt:
        note += f", {debt} as a negative balance"
    if uncovered:
        note += f"; {uncovered} {hold.currency or ''} not covered by points".replace("  ", " ")
    _note(shop_id, order_id, event_id, uncovered or None, note)
    return covered


def uncovered_money(amount: Decimal, points: int, covered: int) -> Decimal:
    """The part of ``amount`` the ``covered`` points of ``points`` did not pay for, in cents; the
    covered part and this add up to the amount exactly."""
    return amount.quantize(CENT) - (amount * covered / points).quantize(CENT)


def _is_debt(lot_id: int) -> bool:
    return Lot.select().where((Lot.id == lot_id) & (Lot.source == ledger.DEBT)).exists()


def _note(shop_id: int, order_id: str, event_id: int | None, uncovered: Decimal | None, note: str) -> None:
    """The uncovered money on the order, and what happened as the event's note."""
    log.warning("shop %s order %s: %s", shop_id, order_id, note)
    if uncovered:
        Order.update(uncovered_discount=fn.COALESCE(Order.uncovered_discount, 0) + uncovered).where(
            (Order.shop == shop_id) & (Order.platform_id == order_id)).execute()
    if event_id is not None:
        Event.update(error=note).where(Event.id == event_id).execute()
