"""The facts the domain publishes on the message bus (plugin.core.bus): every name in one place,
each with the dataclass its handlers receive.

A fact is something that has happened, in the past tense, inside the transaction that made it
happen. Paid orders are published once per batch (``OrdersApplied`` carries all of them), so a
handler works on the whole batch in a few statements, as the applier does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from plugin.core.kinds import EventKind

ORDER_APPLIED = "order.applied"  # paid orders recorded and credited (a batch)
ORDER_REFUNDED = EventKind.ORDER_REFUNDED  # a refund recorded and the points it takes back taken
ORDER_CANCELLED = EventKind.ORDER_CANCELLED  # an order marked cancelled, before its points are taken back
CUSTOMER_CREATED = EventKind.CUSTOMER_CREATED  # a sign-up recorded and its bonus granted
POINTS_EARNED = "points.earned"  # new lots credited (earn, bonus, review, adjust, import...)
POINTS_SPENT = "points.spent"  # spendable points taken for a hold, a reward or a late charge
POINTS_TAKEN = "points.taken"  # points taken back from a lot (a reversal, a manual debit)
POINTS_RESTORED = "points.restored"  # points given back to the lots they were taken from
POINTS_EXPIRED = "points.expired"  # what was left of a lot past its expiry
POINTS_TRANSFERRED = "points.transferred"  # points given by one shopper to another
POINTS_EXPIRING = "points.expiring"  # lots warned of, once each, before they expire
TIERS_EVALUATED = "tiers.evaluated"  # customers measured against the tiers, some moved or warned
HOLD_PLACED = "hold.placed"  # points held for a discount code (a reward, or points off)
HOLD_COMMITTED = "hold.committed"  # a paid order used the hold's code: spent for good
HOLD_RELEASED = "hold.released"  # the hold's points came back (timeout, cancel, cancelled order)

NAMES = (ORDER_APPLIED, ORDER_REFUNDED, ORDER_CANCELLED, CUSTOMER_CREATED, POINTS_EARNED,
         POINTS_SPENT, POINTS_TAKEN, POINTS_RESTORED, POINTS_EXPIRED, POINTS_TRANSFERRED,
         POINTS_EXPIRING, TIERS_EVALUATED, HOLD_PLACED, HOLD_COMMITTED, HOLD_RELEASED)


@dataclass(frozen=True)
class OrdersApplied:
    """A batch of paid orders, recorded (``orders``: the Order rows as inserted) and credited."""

    name: ClassVar[str] = ORDER_APPLIED
    shop_id: int
    version: int | None
    program: dict
    at: datetime
    orders: list[dict]
    events: dict[str, int]  # order id -> the Event that carried it
    customers: list[Any]  # the buyers (Customer rows), each once


@dataclass(frozen=True)
class OrderRefunded:
    name: ClassVar[str] = ORDER_REFUNDED
    shop_id: int
    order_id: str
    refund_id: str
    event_id: int | None = None


@dataclass(frozen=True)
class OrderCancelled:
    name: ClassVar[str] = ORDER_CANCELLED
    shop_id: int
    order_id: str
    event_id: int | None = None


@dataclass(frozen=True)
class CustomerCreated:
    name: ClassVar[str] = CUSTOMER_CREATED
    customer: Any  # the Customer row
    profile: dict
    program: dict
    version: int | None
    event_id: int | None = None


@dataclass(frozen=True)
class PointsMoved:
    """A ledger movement: ``name`` is one of the ``points.*`` names; ``lots`` maps lot ids (or
    grant keys to lot ids, for ``points.earned``) to what moved. ``grants`` are the credits
    written (plugin.ledger.Grant, for ``points.earned``), ``takes`` the debits of a batch
    (plugin.ledger.Take, for ``points.taken``); ``reason`` is a single debit's."""

    name: str
    shop_id: int
    kind: str
    key: str | None = None
    customer_id: int | None = None
    point_type: str | None = None
    points: int = 0
    lots: dict = field(default_factory=dict)
    grants: tuple = ()
    takes: tuple = ()
    reason: Any = None


@dataclass(frozen=True)
class LotsExpired:
    """What was left of lots past their expiry, removed together (an expiry batch of one shop, all
    of a shopper's due lots in one): ``lots`` are ``{"lot", "customer", "point_type", "points",
    "expires_at"}`` in lot order, each lot once ever."""

    name: ClassVar[str] = POINTS_EXPIRED
    shop_id: int
    at: datetime
    lots: list[dict]


@dataclass(frozen=True)
class PointsExpiring:
    """Lots expiring within the shop's warning window, each warned of once: customer id -> lots
    (``{"lot", "points", "point_type", "expires_at"}``) newly warned of in this run."""

    name: ClassVar[str] = POINTS_EXPIRING
    shop_id: int
    at: datetime
    lots: dict[int, list[dict]]


@dataclass(frozen=True)
class TiersEvaluated:
    """Customers measured against the program's tiers: ``values`` (customer id -> the metric),
    ``tiers`` (customer id -> the tier they are on now), ``moved`` ((customer, from, to, reason)),
    ``warned`` ((customer, tier, down to, on): a downgrade announced for a date)."""

    name: ClassVar[str] = TIERS_EVALUATED
    shop_id: int
    program: dict
    at: datetime
    values: dict = field(default_factory=dict)
    tiers: dict = field(default_factory=dict)
    moved: list = field(default_factory=list)
    warned: list = field(default_factory=list)


@dataclass(frozen=True)
class HoldMoved:
    """A redemption hold placed, committed or released (``name``): the Hold row as it is now."""

    name: str
    hold: Any
