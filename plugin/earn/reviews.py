"""Review points: once per product per customer, while the review is published, within a monthly cap.

The first grant for a customer's review of a product is the lot ``review:<customer>:<product>``,
so a second review of that product never earns. Unpublishing takes the outstanding points back
from the newest lot (``plugin.ledger.reversal``, no spill, the program's reversal policy); publishing
again grants only what was taken back, as a new lot ``review:<customer>:<product>#<n>``. However
often a review flips, and whatever was spent meanwhile, it nets one grant and the ledger stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from plugin import customers, ledger
from plugin.core import clock, reasons
from plugin.core.kinds import EntryKind, EventKind
from plugin.core.models import Customer, Event, LedgerEntry, Lot
from plugin.core.status import EventStatus
from plugin.earn import games
from plugin.ledger import reversal
from plugin.program import timing, versions

KIND = EntryKind.REVIEW  # the ledger kind of a review grant; the monthly cap counts these
WITHDRAWN = ":unpublished"  # suffix of the idempotency key that takes one lot back


@dataclass(frozen=True)
class _State:
    """What a customer's review of one product has earned so far."""

    lots: list[Lot]  # oldest first; all of them belong to the one review that earned
    net: int  # granted less taken back
    withdrawn: bool  # the newest lot was taken back (the review is unpublished)

    @property
    def review_id(self) -> str | None:
        return self.lots[0].rule["review"]["review_id"] if self.lots else None


def _base_key(customer: Customer, product_id: str) -> str:
    return f"review:{customer.platform_id}:{product_id}"


def _state(customer: Customer, product_id: str) -> _State:
    base = _base_key(customer, product_id)
    lots = [lot for lot in Lot.select().where(
        (Lot.customer == customer.id) & ((Lot.key == base) | Lot.key.startswith(base + "#"))
    ).order_by(Lot.id) if lot.key == base or lot.key.startswith(base + "#")]  # ILIKE: recheck case
    if not lots:
        return _State([], 0, False)
    keys = [lot.key + WITHDRAWN for lot in lots]
    taken = dict(LedgerEntry.select(LedgerEntry.idempotency_key, LedgerEntry.delta).where(
        (LedgerEntry.shop == customer.shop_id)
        & LedgerEntry.idempotency_key.in_(keys + [key + "/1" for key in keys])).tuples())
    net = sum(lot.original for lot in lots) + sum(taken.values())
    return _State(lots, net, keys[-1] in taken)


def _over_cap(customer: Customer, cap: int | None, source: str) -> bool:
    """True when ``cap`` other reviews already earned this calendar month, UTC (re-grants of the
    same review after it was unpublished do not take another place)."""
    if cap is None:
        return False
    since = clock.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    earned = (LedgerEntry.select(fn.COUNT(fn.DISTINCT(Lot.source)))
              .join(Lot, on=(LedgerEntry.lot == Lot.id))
              .where((LedgerEntry.customer == customer.id) & (LedgerEntry.kind == KIND)
                     & (LedgerEntry.created_at >= since) & (Lot.source != source))
              .scalar())
    return (earned or 0) >= cap


def review_published(event: Event) -> str:
    data = event.payload
    review_id, product_id = data["review_id"], data["product_id"]
    customer = customers.ensure(event.shop_id, data["customer"]["id"], data["customer"])
    version, program = versions.current(event.shop_id)
    rule = program.get("reviews")
    if not rule or not rule["points"]:
        event.error = reasons.dumps(reasons.event_note("no_review_points"))
        return EventStatus.APPLIED
    state = _state(customer, product_id)
    if state.review_id not in (None, review_id):
        event.error = reasons.dumps(reasons.event_note("review_repeated", review=str(state.review_id),
                                                       product=str(product_id)))
        return EventStatus.APPLIED
    if state.lots and not state.withdrawn:
        return EventStatus.APPLIED  # published already: the same fact again
    owed = rule["points"] - state.net
    if owed <= 0:
        return EventStatus.APPLIED  # what was not taken back when it was unpublished still stands
    source = f"review:{review_id}"
    if _over_cap(customer, rule["monthly_cap"], source):
        event.error = reasons.dumps(reasons.event_note("review_cap", cap=rule["monthly_cap"]))
        return EventStatus.APPLIED
    base = _base_key(customer, product_id)
    now = clock.now()
    ledger.grant(customer, owed, kind=KIND, source=source,
                 key=f"{base}#{len(state.lots) + 1}" if state.lots else base,
                 rule={"review": {"review_id": review_id, "product_id": product_id,
                                  "points": rule["points"]}},
                 point_type=rule["point_type"], event_id=event.id, program_version=version,
                 reason=reasons.review("published", review_id, product_id),
                 expires_at=timing.expires_at(program, rule["point_type"], now))
    games.on_event(EventKind.REVIEW_PUBLISHED, customer, program=program, version=version)
    return EventStatus.APPLIED


def review_unpublished(event: Event) -> str:
    data = event.payload
    customer = customers.find(event.shop_id, data["customer"]["id"])
    if customer is None:
        return EventStatus.APPLIED  # never earned anything
    state = _state(customer, data["product_id"])
    if state.review_id != data["review_id"] or state.withdrawn or state.net <= 0:
        return EventStatus.APPLIED  # this review earned nothing, or was taken back already
    latest = state.lots[-1]
    reversal.take_back(latest, state.net, event, key=latest.key + WITHDRAWN, spill=False,
                       reason=reasons.review("unpublished", data["review_id"], data["product_id"]))
    return EventStatus.APPLIED
