"""Redeeming points for a discount: reserve -> commit -> release. Plain Python, no HTTP.

A redemption holds the points at once (a "hold" spend, soonest-to-expire lots first, never more
than is spendable: the lots are locked), creates a single-use discount code, and waits. The paid
order that used the code commits the hold; a timeout, the shopper, or the order's cancellation
releases it: its platform code is killed first (the hold is ``releasing`` until then), then the
points go back to the very lots they came from. A paid order that used a code whose points were
given back charges them again (plugin.spend.late_commit): a discount is never given without its points.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from plugin import ledger
from plugin.core import bus, clock, facts, reasons
from plugin.core.db import locking, session, write_transaction
from plugin.core.errors import LoyaltyError
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, Hold, Order
from plugin.core.status import HoldStatus
from plugin.platforms import PlatformError, hold_codes
from plugin.program import caps, versions
from plugin.spend import late_commit

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CENT = Decimal("0.01")


class RedemptionError(LoyaltyError):
    status, code = 422, "cannot_redeem"


class NotEnoughPoints(LoyaltyError):
    status, code = 409, "not_enough_points"


def new_code() -> str:
    return "LOY-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def quote(shop_id: int, customer: Customer | None, lines: list[dict]) -> dict:
    """What points may pay for this cart, per type, given caps, exclusions and the balance."""
    _, program = versions.current(shop_id)
    available = ledger.spendable(customer) if customer else {}
    value = str(program["redemption"]["point_value"])
    return {**caps.payable(program, lines, available), "point_value": value}


@dataclass(frozen=True)
class Discount:
    """What a redemption costs and gives: points of a type for an amount off, valid for a while."""

    points: int
    point_type: str
    amount: Decimal
    valid_for: timedelta | None = None  # None: the program's hold_minutes
    for_this_cart: bool = True  # a coupon is for a later order: the cart's caps do not apply
    reward: str | None = None


def points_off(program: dict, points: int, point_type: str) -> Discount:
    """Points straight off the order at the program's point value."""
    amount = Decimal(points) * program["redemption"]["point_value"]
    return Discount(points, point_type, amount.quantize(CENT))


def redeem(customer: Customer, *, points: int | None = None, point_type: str = "regular",
           discount: Discount | None = None, lines: list[dict], key: str, currency: str | None,
           on_created: Callable[[Hold], str | None] | None = None) -> Hold:
    """Hold points for a discount on this cart; a retry with the same key returns the same hold.

    Give ``points`` (points off at the point value) or a ``discount`` (a catalog reward).
    ``on_created`` makes the code on the store platform (after the hold is safely written) and
    returns the platform's id for it; if it fails, the hold is released and the error raised.
    """
    existing = Hold.get_or_none((Hold.shop == customer.shop_id) & (Hold.idempotency_key == key))
    if existing is not None:
        return existing
    _, program = versions.current(customer.shop_id)
    if (discount.point_type if discount else point_type) not in program["point_types"]:
        raise RedemptionError(f"unknown point type {point_type!r}", fields={"point_type": ["unknown"]})
    discount = discount or points_off(program, points, point_type)
    point_type, points = discount.point_type, discount.points
    with write_transaction():
        allowed = caps.payable(program, lines, ledger.spendable(customer))["by_type"].get(point_type, 0)
        worth = allowed * program["redemption"]["point_value"]
        if discount.for_this_cart and discount.amount > worth:
            raise RedemptionError(f"points may pay at most {worth.quantize(CENT)} of this cart",
                                  fields={"points": [f"at most {allowed}"]})
        try:
            taken = ledger.spend(customer, point_type, points, key=f"hold:{key}", kind=EntryKind.HOLD,
                                 reason=reasons.held())
        except ledger.LedgerError as exc:
            raise NotEnoughPoints(str(exc)) from None
        now = clock.now()
        hold = Hold.create(
            shop=customer.shop_id, customer=customer.id, point_type=point_type, points=points,
            lots={str(k): v for k, v in (taken or {}).items()}, code=new_code(),
            amount=discount.amount, currency=currency, reward=discount.reward,
            cart={"lines": lines}, idempotency_key=key, created_at=now,
            expires_at=now + (discount.valid_for or timedelta(minutes=program["redemption"]["hold_minutes"])),
        )
        bus.publish(facts.HoldMoved(facts.HOLD_PLACED, hold))
    if on_created is not None:
        try:
            node = on_created(hold)
        except Exception:
            release(hold.id, reason=reasons.hold_released("code_failed"))
            raise
        if node:
            Hold.update(platform_discount_id=node).where(Hold.id == hold.id).execute()
            hold.platform_discount_id = node
    return hold


def release(hold_id: int, *, reason: reasons.Reason | str, kill: Callable[[Hold], None] | None = None,
            closing: tuple[str, ...] = (HoldStatus.HELD,), defer: bool = False) -> bool:
    """Give a hold's points back (timeout, the shopper cancelled, the order was cancelled), once
    its code can no longer be used: a platform code is killed first (``kill``), and while that
    fails the hold stays ``releasing`` with its points held. True when the points came back.

    ``closing`` are the statuses this caller may release from; ``defer`` (inside a worker's
    transaction: no network) leaves the platform call to ``retry_releasing``.
    """
    with write_transaction():
        hold = locking(Hold.select().where(Hold.id == hold_id)).first()
        if hold is None or hold.status not in (*closing, HoldStatus.RELEASING):
            return False
        if not hold_codes.has_platform_code(hold):
            _give_back(hold, reason)
            return True
        if hold.status != HoldStatus.RELEASING:
            Hold.update(status=HoldStatus.RELEASING).where(Hold.id == hold.id).execute()
    if defer:
        return False
    try:
        (kill or hold_codes.killer())(hold)
    except PlatformError as exc:
        log.warning("hold %s stays releasing: its code could not be withdrawn: %s", hold_id, exc.message)
        return False
    with write_transaction():  # a paid order may have committed it meanwhile: then it stays spent
        hold = locking(Hold.select().where(Hold.id == hold_id)).first()
        if hold.status != HoldStatus.RELEASING:
            return False
        _give_back(hold, reason)
    return True


def _give_back(hold: Hold, reason: reasons.Reason | str) -> None:
    """Return the points to the lots they came from; one key per hold and order it was paid by."""
    key = f"release:{hold.id}" + (f":{hold.order_id}" if hold.order_id else "")
    ledger.restore(hold.shop_id, hold.lots, kind=EntryKind.RELEASE, key=key, reason=reason)
    Hold.update(status=HoldStatus.RELEASED, closed_at=clock.now()).where(Hold.id == hold.id).execute()
    bus.publish(facts.HoldMoved(facts.HOLD_RELEASED, hold))


def commit(shop_id: int, codes: list[str], order_id: str, *, event_id: int | None = None,
           amounts: dict[str, str] | None = None) -> int:
    """The paid order used these codes: their holds become spent for good.

    A hold still ``held`` or ``releasing`` (its points are still taken) is committed by a
    conditional update, so a release racing it either finished first or sees it committed.
    A code whose points were given back (or one of ours the hold table does not know) is
    charged again: see plugin.spend.late_commit (``amounts``: code -> money the platform took off).
    """
    wanted = [code.strip().upper() for code in codes if code]
    committed = 0
    for code in dict.fromkeys(wanted):
        done = (Hold.update(status=HoldStatus.COMMITTED, order_id=order_id, closed_at=clock.now())
                .where((Hold.shop == shop_id) & (Hold.code == code)
                       & Hold.status.in_((HoldStatus.HELD, HoldStatus.RELEASING)))
                .execute())
        if done:
            committed += done
            hold = Hold.get((Hold.shop == shop_id) & (Hold.code == code))
            bus.publish(facts.HoldMoved(facts.HOLD_COMMITTED, hold))
        else:
            amount = (amounts or {}).get(code)
            late_commit.charge(shop_id, code, order_id, event_id=event_id,
                               amount=Decimal(amount) if amount else None)
    return committed


def release_for_order(shop_id: int, order_id: str) -> int:
    """A cancelled order gives back the points its discount used (a platform code is withdrawn
    first, by ``retry_releasing``: this runs inside the worker's transaction)."""
    order = Order.get_or_none((Order.shop == shop_id) & (Order.platform_id == order_id))
    if order is not None:
        late_commit.give_back(shop_id, order_id, order.order.get("discount_codes") or [])
    holds = [h.id for h in Hold.select(Hold.id).where(
        (Hold.shop == shop_id) & (Hold.order_id == order_id) & (Hold.status == HoldStatus.COMMITTED))]
    return sum(release(hold_id, reason=reasons.hold_released("order_cancelled", order=order_id),
                       closing=(HoldStatus.COMMITTED,), defer=True)
               for hold_id in holds)


def cancel(hold: Hold, kill: Callable[[Hold], None] | None = None) -> bool:
    """The shopper changed their mind: withdraw the platform's code first, then free the points.
    False when the code could not be withdrawn yet (the hold is ``releasing``)."""
    if hold.status not in (HoldStatus.HELD, HoldStatus.RELEASING):
        raise RedemptionError(f"this discount is already {hold.status}")
    return release(hold.id, reason=reasons.hold_released("shopper_cancelled"), kill=kill)


def release_expired(batch_size: int = 200) -> int:
    """RQ cron job: release holds whose time ran out (the cart was abandoned). The platform's code
    was made to end with the hold, but it is withdrawn all the same before the points go back."""
    return _release_all((Hold.status == HoldStatus.HELD) & (Hold.expires_at <= clock.now()),
                        reasons.hold_released("expired"), batch_size)


def retry_releasing(batch_size: int = 200) -> int:
    """RQ cron job: withdraw the codes of holds left ``releasing`` and give their points back."""
    return _release_all(Hold.status == HoldStatus.RELEASING, reasons.hold_released("withdrawn"), batch_size)


def _release_all(where, reason: reasons.Reason, batch_size: int) -> int:
    """Release every hold matching ``where``, a batch at a time; one that stays ``releasing`` is
    left for the next run (the batch after it starts past it)."""
    released, after, kill = 0, 0, hold_codes.killer()
    with session():
        while True:
            due = [h.id for h in Hold.select(Hold.id).where(where & (Hold.id > after))
                   .order_by(Hold.id).limit(batch_size)]
            if not due:
                return released
            released += sum(release(hold_id, reason=reason, kill=kill) for hold_id in due)
            after = due[-1]
