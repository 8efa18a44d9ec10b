"""Turn one canonical event into ledger movements. Plain Python: no HTTP, no queue.

Each handler returns the event's new status: ``applied``, or ``waiting`` when it needs an order
that has not been applied yet (a refund that overtook its order). Replays are harmless: every
movement carries an idempotency key derived from the business fact, not from the delivery.
"""

from __future__ import annotations

from collections.abc import Callable

from plugin import clock, customers, ledger, program
from plugin.db import locking
from plugin.models import Event, Order, Shop

APPLIED, WAITING = "applied", "waiting"


def order_paid(event: Event) -> str:
    orders_paid(event.shop_id, [event])
    return APPLIED


def orders_paid(shop_id: int, events: list[Event]) -> None:
    """Earn for paid orders, many at once: a batch of them costs a handful of statements.

    Paid orders depend on nothing else in a batch (customers are created on sight), so the
    worker applies them together; refunds and cancellations follow one by one.
    """
    known = {pid for (pid,) in Order.select(Order.platform_id).where(
        (Order.shop == shop_id) & Order.platform_id.in_([e.payload["order_id"] for e in events])
    ).tuples()}
    events = [e for e in events if e.payload["order_id"] not in known]
    if not events:
        return
    buyers = customers.ensure_many(shop_id, {
        e.payload["customer"]["id"]: e.payload["customer"] for e in events if e.payload.get("customer")})
    rule, grants, rows = program.EARN_RULE, [], []
    for event in events:
        data = event.payload
        customer = buyers[data["customer"]["id"]] if data.get("customer") else None
        eligible = program.eligible_amount(data["lines"])
        points = program.points_for(eligible, rule) if customer else 0
        key = f"order:{data['order_id']}:earn"
        if points:
            grants.append(ledger.Grant(
                customer_id=customer.id, points=points, source=f"order:{data['order_id']}",
                rule={**rule, "eligible": str(eligible), "currency": data["currency"]}, key=key,
                event_id=event.id, reason=f"{rule['percent']}% of {eligible} {data['currency']}",
            ))
        rows.append({"shop": shop_id, "platform_id": data["order_id"],
                     "customer": customer.id if customer else None, "currency": data["currency"],
                     "eligible": eligible, "earned": points, "lot": key})
    lots = ledger.grant_many(shop_id, grants, kind="earn")
    for row in rows:
        row["lot"] = lots.get(row["lot"])
        row["earned"] = row["earned"] if row["lot"] else 0
    Order.insert_many(rows).execute()
    # Refunds and cancellations that overtook these orders can be applied now.
    Event.update(status="pending").where(
        (Event.shop == shop_id) & (Event.status == WAITING)
        & Event.subject.in_([row["platform_id"] for row in rows])
    ).execute()


def order_refunded(event: Event) -> str:
    data = event.payload
    order = _order(event.shop_id, data["order_id"])
    if order is None:
        return WAITING
    refunded = min(order.eligible, order.refunded + program.eligible_amount(data["lines"]))
    Order.update(refunded=refunded).where(Order.id == order.id).execute()
    order.refunded = refunded
    _settle(order, event, key=f"refund:{data['refund_id']}",
            reason=f"refund {data['refund_id']}: {program.money(refunded)} of "
                   f"{program.money(order.eligible)} {order.currency} refunded")
    return APPLIED


def order_cancelled(event: Event) -> str:
    order = _order(event.shop_id, event.payload["order_id"])
    if order is None:
        return WAITING
    Order.update(cancelled=True).where(Order.id == order.id).execute()
    order.cancelled = True
    _settle(order, event, key=f"cancel:{order.platform_id}", reason="order cancelled")
    return APPLIED


def customer_created(event: Event) -> str:
    profile = event.payload["customer"]
    customer = customers.ensure(event.shop_id, profile["id"], profile)
    rule = program.SIGNUP_RULE
    ledger.grant(customer, rule["points"], kind="bonus", source=f"signup:{customer.platform_id}",
                 rule=rule, key=f"signup:{customer.platform_id}", event_id=event.id,
                 reason="sign-up bonus")
    return APPLIED


def shop_uninstalled(event: Event) -> str:
    Shop.update(active=False, uninstalled_at=clock.now(), access_token=None,
                refresh_token=None).where(Shop.id == event.shop_id).execute()
    return APPLIED


def _order(shop_id: int, platform_id: str) -> Order | None:
    """The order row, locked, so a refund and a cancellation of one order apply one at a time."""
    query = Order.select().where((Order.shop == shop_id) & (Order.platform_id == platform_id))
    return locking(query).first()


def _settle(order: Order, event: Event, *, key: str, reason: str) -> None:
    """Take back what the order earned beyond what its unrefunded amount still earns.

    The target is computed from the lot's own rule snapshot, so a refund months later reverses
    at the rate the order earned at, and several partial refunds add up with no rounding drift.
    """
    if order.lot_id is None:
        return
    lot = order.lot
    keep = 0 if order.cancelled else program.points_for(order.eligible - order.refunded, lot.rule)
    excess = order.earned - order.reversed - keep
    if excess <= 0:
        return
    taken = ledger.take_back(lot, excess, kind="reverse", key=key, event_id=event.id,
                             reason=reason)
    # What could not be taken was already spent; the shortfall stays on the order's record.
    Order.update(reversed=Order.reversed + excess).where(Order.id == order.id).execute()
    if taken < excess:
        event.error = f"{excess - taken} points already spent; balance clamped at zero"


HANDLERS: dict[str, Callable[[Event], str]] = {
    "order.paid": order_paid,
    "order.refunded": order_refunded,
    "order.cancelled": order_cancelled,
    "customer.created": customer_created,
    "shop.uninstalled": shop_uninstalled,
}

