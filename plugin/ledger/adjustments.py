"""Manual adjustments: a staff member adds or takes points, with a reason, once per key.

Points move only through plugin.ledger. A positive adjustment is a grant: a new lot of the point
type, expiring as the program says for that type. A negative one takes from the customer's open
lots of the type, soonest to expire first (pending points included: a mistaken grant can be taken
back before it clears), and never below zero: asking for more than the customer holds is refused
and nothing moves. Every entry is of kind "adjust" and carries the staff member (``actor``) and the
reason. The caller's key is stored as ``adjust:<key>`` (unique per shop): the same key again
returns the first entry; with another customer, amount, point type or reason it is a conflict.
"""

from __future__ import annotations

import re

import peewee
from peewee import fn

from plugin import ledger
from plugin.core import clock, reasons
from plugin.core.db import locking, write_transaction
from plugin.core.errors import Invalid, LoyaltyError
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, LedgerEntry, Lot
from plugin.program import timing, versions

KIND = EntryKind.ADJUST
KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
KEY_RULE = "8 to 128 letters, digits, '_', '.', ':' or '-'"
MAX_POINTS = 10**9
MAX_REASON = 500


class Conflict(LoyaltyError):
    status, code = 409, "conflict"


class ShortOfPoints(Invalid):
    """A negative adjustment larger than what the customer holds of the type."""


def problems(points, point_type: str, reason: str, actor: str, program: dict) -> dict[str, list[str]]:
    """What is wrong with an adjustment, by field (empty when it can be written)."""
    found: dict[str, list[str]] = {}
    if not isinstance(points, int) or isinstance(points, bool) or points == 0 or abs(points) > MAX_POINTS:
        found["points"] = [f"a whole number of points other than 0, at most {MAX_POINTS} either way"]
    if point_type not in program["point_types"]:
        found["point_type"] = [f"not a point type of the program: {point_type!r}"]
    if not (reason or "").strip():
        found["reason"] = ["a reason is required"]
    elif len(reason) > MAX_REASON:
        found["reason"] = [f"at most {MAX_REASON} characters"]
    if not (actor or "").strip() or len(actor) > 255:
        found["actor"] = ["the staff member who adjusts is required (at most 255 characters)"]
    return found


def adjust(customer: Customer, points: int, point_type: str, reason: str, actor: str,
           key: str) -> LedgerEntry:
    """Add (points > 0) or take (points < 0) points; returns the adjustment's first ledger entry
    (taking from several lots writes one entry per lot, keyed ``adjust:<key>/1``...)."""
    current = versions.current(customer.shop_id)
    found = problems(points, point_type, reason, actor, current[1])
    if not KEY.match(key or ""):
        found["key"] = [KEY_RULE]
    if found:
        raise Invalid(f"invalid fields: {', '.join(sorted(found))}", fields=found)
    base, reason, actor = f"{KIND}:{key}", reason.strip(), actor.strip()
    try:
        with write_transaction():
            done = replay(customer, base, points, point_type, reason)
            if done is None:
                move(customer, points, point_type, key=base, source=KIND, reason=reason, actor=actor,
                     current=current)
    except peewee.IntegrityError:  # a concurrent request with the same key wrote first
        done = replay(customer, base, points, point_type, reason)
        if done is None:
            raise
    return done or LedgerEntry.get((LedgerEntry.shop == customer.shop_id)
                                   & (LedgerEntry.idempotency_key == base))


def move(customer: Customer, points: int, point_type: str, *, key: str, source: str, reason: str,
         actor: str, current: tuple[int | None, dict]) -> None:
    """Write one adjustment under a full ledger key, inside the caller's transaction."""
    version, program = current
    if points > 0:
        ledger.grant(customer, points, kind=KIND, source=source, key=key, point_type=point_type,
                     rule={"adjusted_by": actor}, reason=reasons.manual(reason), actor=actor,
                     program_version=version,
                     expires_at=timing.expires_at(program, point_type, clock.now()))
        return
    lots = open_lots(customer.id, point_type)
    held = sum(lot.remaining for lot in lots)
    if held < -points:
        message = f"only {held} {point_type} points can be taken, not {-points}"
        raise ShortOfPoints(message, fields={"points": [message]})
    ledger.debit(lots[0], -points, kind=KIND, key=key, spill=True, actor=actor, reason=reasons.manual(reason))


def open_lots(customer_id: int, point_type: str) -> list[Lot]:
    """The customer's lots of the type that hold points, locked, in the order a debit takes them."""
    return list(locking(Lot.select().where(
        (Lot.customer == customer_id) & (Lot.point_type == point_type) & (Lot.remaining > 0))
        .order_by(Lot.expires_at.is_null(), Lot.expires_at, Lot.id)))


def entries(first: LedgerEntry) -> list[LedgerEntry]:
    """Every entry written under the first one's key: itself and its ``<key>/<n>`` followers."""
    prefix = first.idempotency_key + "/"
    return [first] + list(LedgerEntry.select().where(
        (LedgerEntry.customer == first.customer_id) & (LedgerEntry.id > first.id)
        & (fn.SUBSTR(LedgerEntry.idempotency_key, 1, len(prefix)) == prefix)).order_by(LedgerEntry.id))


def replay(customer: Customer, base: str, points: int, point_type: str, reason: str) -> LedgerEntry | None:
    """The first entry of an adjustment already written under ``base``, if it was this very one."""
    first = LedgerEntry.get_or_none((LedgerEntry.shop == customer.shop_id)
                                    & (LedgerEntry.idempotency_key == base))
    if first is None:
        return None
    total = sum(entry.delta for entry in entries(first))
    if (first.kind, first.customer_id, first.point_type, first.reason, total) != (
            KIND, customer.id, point_type, reasons.manual(reason), points):
        raise Conflict("this idempotency key was already used for another adjustment",
                       fields={"key": ["already used with another customer, amount, point type or reason"]})
    return first
