"""Order snapshots -> the canonical events they imply (platform-neutral; InSales first).

Some platforms have no refund or cancel topic: each delivery is the whole order as it stands
(``order.snapshot``: the canonical order, its ``state`` and whether it was ``paid``). What the
plugin saw of an order is what it derived from earlier snapshots, stored in the inbox with the
order as subject: the first paid snapshot's lines are the baseline (so a snapshot that already
shows a return just earns on what is left), a later smaller quantity or a vanished line derives a
refund for what is not refunded yet, a cancelled order derives a cancellation. Derived events are
inserted as pending events of the same shop, keyed by the fact (a replay inserts nothing), and
the worker's loop applies them with the existing handlers, in order, after this batch.

Some platforms refund money without naming lines (Ecwid's ``refundedAmount``, a WooCommerce refund
without items): a snapshot may then say how much was ``refunded`` in all and of what ``total``
(shipping and tax included, as the platform counts). A first paid snapshot that already shows it
earns on what is left (its lines scaled by the share not refunded: ``absorbed``); a later, larger
amount derives a refund of the difference, spread over the baseline lines pro rata, keyed by the
cumulative amount. A snapshot the platform's prepare has not completed yet (``unread``) fails as
Unread and is read again later (plugin.pipeline.fetching).
"""

from __future__ import annotations

import json
from decimal import Decimal

from plugin.core import clock
from plugin.core.db import locking
from plugin.core.errors import Unread
from plugin.core.kinds import EventKind, OrderState
from plugin.core.models import Event
from plugin.core.status import EventStatus

DERIVED = "derived/"  # the topic prefix of derived events: derived/order.paid, ...
CENT = Decimal("0.0001")
_KINDS = (EventKind.ORDER_PAID, EventKind.ORDER_REFUNDED, EventKind.ORDER_CANCELLED)


def order_snapshot(event: Event) -> str:
    """Derive what this version of the order adds to what was derived before; note what it did."""
    data = event.payload
    if data.get("unread"):
        raise Unread(data["unread"])
    order = data["order"]
    seen = _derived(event.shop_id, order["order_id"])
    paid = next((e.payload for e in seen if e.kind == EventKind.ORDER_PAID), None)
    notes = []
    if paid is None:
        if data["state"] == OrderState.PAID or (data["state"] == OrderState.CANCELLED and data.get("paid")):
            paid = _paid(order, _refunded(data))
            _insert(event, EventKind.ORDER_PAID, f"{EventKind.ORDER_PAID}:{order['order_id']}", paid)
            notes.append("paid")
        else:
            event.error = f"order {data['state']}: nothing to derive"
            return EventStatus.APPLIED
    else:
        notes += _refunds(event, paid, order, seen)
        notes += _amount_refund(event, paid, _refunded(data), seen)
    if data["state"] == OrderState.CANCELLED and not any(e.kind == EventKind.ORDER_CANCELLED for e in seen):
        _insert(event, EventKind.ORDER_CANCELLED, f"{EventKind.ORDER_CANCELLED}:{order['order_id']}",
                {"order_id": order["order_id"]})
        notes.append("cancelled")
    event.error = None if notes else f"order {data['state']}: nothing new to derive"
    return EventStatus.APPLIED


def _derived(shop_id: int, order_id: str) -> list[Event]:
    """What was derived for the order, oldest first. Its order.paid row is locked first, so two
    workers comparing two snapshots of one paid order take turns (each sees the other's refunds)."""
    locking(Event.select(Event.id).where(
        (Event.shop == shop_id) & (Event.business_key == f"{EventKind.ORDER_PAID}:{order_id}"))).first()
    return list(Event.select(Event.kind, Event.payload).where(
        (Event.shop == shop_id) & (Event.subject == order_id) & Event.kind.in_(_KINDS)
        & Event.topic.startswith(DERIVED)).order_by(Event.id))


def _refunded(data: dict) -> tuple[Decimal, Decimal] | None:
    """(money refunded beyond the lines, the order total it is a share of), when the snapshot
    says both and there is something refunded (capped at the total)."""
    if data.get("refunded") is None or not data.get("total"):
        return None
    total = Decimal(data["total"])
    refunded = min(Decimal(data["refunded"]), total)
    return (refunded, total) if total > 0 and refunded > 0 else None


def _paid(order: dict, refunded: tuple[Decimal, Decimal] | None) -> dict:
    """The order as it earns: its lines still bought (a line returned to nought earns nothing),
    each scaled by the share of the order not refunded yet when a refund came before the order."""
    lines = [line for line in order["lines"] if line["quantity"] > 0]
    if refunded is None:
        return {**order, "lines": lines}
    amount, total = refunded
    left = (total - amount) / total
    return {**order, "absorbed": str(amount),
            "lines": [{**line, "amount": str((Decimal(line["amount"]) * left).quantize(CENT))}
                      for line in lines]}


def _amount_refund(event: Event, paid: dict, refunded: tuple[Decimal, Decimal] | None,
                   seen: list[Event]) -> list[str]:
    """One refund for the money refunded since the last amount derived, over the baseline lines:
    a line's share is its amount x new money / (total - what the baseline had absorbed)."""
    if refunded is None:
        return []
    amount, total = refunded
    absorbed = Decimal(paid.get("absorbed") or 0)
    before = max([absorbed] + [Decimal(e.payload["refunded_to"]) for e in seen
                               if e.kind == EventKind.ORDER_REFUNDED and e.payload.get("refunded_to")])
    more, base = amount - before, total - absorbed
    if more <= 0 or base <= 0:
        return []
    cumulative = f"{amount.normalize():f}"
    lines = [{"line_id": line["line_id"], "quantity": 0, "gift_card": bool(line.get("gift_card")),
              "amount": str((Decimal(line["amount"]) * more / base).quantize(CENT))}
             for line in paid["lines"]]
    key = f"{EventKind.ORDER_REFUNDED}:{paid['order_id']}:amount:{cumulative}"
    _insert(event, EventKind.ORDER_REFUNDED, key,
            {"refund_id": f"{paid['order_id']}-amount-{cumulative}", "order_id": paid["order_id"],
             "refunded_to": str(amount), "lines": lines})
    return [f"refund of {more} of {total}"]


def _refunds(event: Event, paid: dict, order: dict, seen: list[Event]) -> list[str]:
    """One refund per line whose quantity fell below the baseline beyond what was refunded already,
    keyed by the line's cumulative returned quantity; the amount is the baseline's, pro rata."""
    refunded: dict[str, int] = {}
    for earlier in seen:
        if earlier.kind == EventKind.ORDER_REFUNDED:
            for line in earlier.payload["lines"]:
                refunded[line["line_id"]] = refunded.get(line["line_id"], 0) + line["quantity"]
    now = {line["line_id"]: line["quantity"] for line in order["lines"]}
    notes = []
    for line in paid["lines"]:
        returned = max(0, line["quantity"] - now.get(line["line_id"], 0))
        more = returned - refunded.get(line["line_id"], 0)
        if more <= 0 or not line["quantity"]:
            continue
        refund_id = f"{paid['order_id']}-{line['line_id']}-{returned}"
        amount = (Decimal(line["amount"]) * more / line["quantity"]).quantize(CENT)
        _insert(event, EventKind.ORDER_REFUNDED,
                f"{EventKind.ORDER_REFUNDED}:{paid['order_id']}:{line['line_id']}:{returned}",
                {"refund_id": refund_id, "order_id": paid["order_id"],
                 "lines": [{"line_id": line["line_id"], "quantity": more, "amount": str(amount),
                            "gift_card": bool(line.get("gift_card"))}]})
        notes.append(f"refund of {more} x line {line['line_id']}")
    return notes


def _insert(snapshot: Event, kind: str, key: str, payload: dict) -> None:
    """A derived event, pending, once per business key (a replayed snapshot inserts nothing)."""
    Event.insert(shop=snapshot.shop_id, platform=snapshot.platform, topic=DERIVED + kind, kind=kind,
                 delivery_id=DERIVED + key, business_key=key, subject=payload["order_id"], payload=payload,
                 raw_body=json.dumps(payload, ensure_ascii=False), status=EventStatus.PENDING,
                 error=None, attempts=0, received_at=clock.now()).on_conflict_ignore().execute()
