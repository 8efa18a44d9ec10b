"""Turn one canonical event into ledger movements under the shop's program. No HTTP, no queue.

Each handler returns the event's new status: ``applied``, or ``waiting`` when it needs an order
that has not been applied yet (a refund that overtook its order). Replays are harmless: every
movement carries an idempotency key derived from the business fact, not from the delivery.
What else reacts (referrals, redemption, tiers, games) is not called from here: the appliers
publish facts (plugin.core.facts) on the bus inside the transaction, and plugin.pipeline.bootstrap
wires who handles them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from peewee import Case, Value

from plugin import customers, ledger, privacy
from plugin.core import bus, clock, facts, reasons
from plugin.core.db import ids_in, insert_rows, locking
from plugin.core.errors import Unread
from plugin.core.kinds import EntryKind, EventKind
from plugin.core.models import Customer, Event, Lot, Order, Shop
from plugin.core.status import EventStatus
from plugin.earn import reviews
from plugin.ledger import reversal
from plugin.pipeline.snapshots import order_snapshot
from plugin.program import earning, money, timing, versions
from plugin.program.catalog import onto_orders, product_deleted, product_updated
from plugin.program.multipliers import multiplied, multipliers
from plugin.program.order_points import allowances, earned

REFUND_PLACES = Decimal("0.0001")  # a pro rata share, as exact as the amounts are stored


def order_paid(event: Event) -> str:
    orders_paid(event.shop_id, [event])
    return EventStatus.APPLIED


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
    onto_orders(shop_id, events)  # tags, type and sale prices the webhooks do not carry
    version, program = versions.current(shop_id)
    buyers = customers.ensure_many(shop_id, {
        e.payload["customer"]["id"]: e.payload["customer"] for e in events if e.payload.get("customer")})
    ids = [c.id for c in buyers.values()]
    returning = {cid for (cid,) in Order.select(Order.customer).where(
        Order.customer.in_(ids)).distinct().tuples()} if ids else set()
    allowance = allowances(program, ids)
    factors = multipliers(program, ids)
    now = clock.now()
    grants, rows = [], []
    for event in events:
        data = event.payload
        customer = buyers[data["customer"]["id"]] if data.get("customer") else None
        first = customer is not None and customer.id not in returning
        factor = factors.get(customer.id) if customer else None
        result = earned(
            program, data, at=_when(data, now), customer_id=customer.platform_id if customer else None,
            first_order=first, allowance=allowance.get(customer.id) if customer else None, factor=factor)
        key = f"order:{data['order_id']}:earn"
        if customer and result.points:
            returning.add(customer.id)
            if customer.id in allowance:
                allowance[customer.id] -= result.points
            grants.append(ledger.Grant(
                customer.id, result.points, source=f"order:{data['order_id']}", key=key,
                rule={"earned": result.as_dict(), "currency": data["currency"],
                      **({"tier_multiplier": str(factor)} if factor is not None else {})},
                point_type=result.point_type, reason=result.reason, event_id=event.id,
                program_version=version,
                expires_at=timing.expires_at(program, result.point_type, now),
                pending_until=timing.pending_until(program["earning"]["pending_days"], now)))
        elif customer:
            returning.add(customer.id)
        rows.append({"shop": shop_id, "platform_id": data["order_id"],
                     "customer": customer.id if customer else None, "currency": data["currency"],
                     "eligible": result.eligible, "order": data, "refunded_lines": {},
                     "first_order": first, "program_version": version,
                     "earned": result.points if customer else 0, "lot": key})
    lots = ledger.grant_many(shop_id, grants, kind=EntryKind.EARN)
    for row in rows:
        row["lot"] = lots.get(row["lot"])
        row["earned"] = row["earned"] if row["lot"] else 0
    insert_rows(Order, rows)
    # Refunds and cancellations that overtook these orders can be applied now.
    Event.update(status=EventStatus.PENDING).where(
        (Event.shop == shop_id) & (Event.status == EventStatus.WAITING)
        & Event.subject.in_([row["platform_id"] for row in rows])
    ).execute()
    bus.publish(facts.OrdersApplied(shop_id, version, program, now, rows,
                                    {e.payload["order_id"]: e.id for e in events}, list(buyers.values())))


def _when(order: dict, default: datetime) -> datetime:
    """When the order was placed (campaign windows), as naive UTC; the clock when unknown."""
    placed = order.get("placed_at")
    if not placed:
        return default
    return earning.naive(datetime.fromisoformat(placed))


def order_refunded(event: Event) -> str:
    data = event.payload
    order = _order(event.shop_id, data["order_id"])
    if order is None:
        return EventStatus.WAITING
    _add_refund(order, data)
    Order.update(refunded_lines=order.refunded_lines, refunded=order.refunded).where(
        Order.id == order.id).execute()
    _settle(order, event, key=f"refund:{data['refund_id']}", reason=_refund_reason(order, data))
    bus.publish(facts.OrderRefunded(event.shop_id, order.platform_id, str(data["refund_id"]), event.id))
    return EventStatus.APPLIED


def orders_refunded(shop_id: int, events: list[Event]) -> list[Event]:
    """Refunds, many at once; returns those left to ``order_refunded``, one by one.

    The orders and their lots are read (locked) once, and what each refund takes back comes out of
    its own order's lot in a few statements for all. A refund whose order is not here yet, or whose
    lot cannot cover it alone (points spent, a policy that takes none) is left, with every other
    refund of its customer, so each customer's lots are still taken from in arrival order.
    """
    orders = {order.platform_id: order for order in locking(Order.select().where(
        (Order.shop == shop_id) & Order.platform_id.in_([e.payload["order_id"] for e in events])))}
    lot_ids = [order.lot_id for order in orders.values() if order.lot_id]
    lots = {lot.id: lot for lot in locking(Lot.select().where(ids_in(Lot.id, lot_ids)))} if lot_ids else {}
    buyers = dict(Customer.select(Customer.id, Customer.platform_id).where(ids_in(
        Customer.id, {o.customer_id for o in orders.values() if o.lot_id})).tuples()) if lot_ids else {}
    policy = versions.current(shop_id)[1]["reversal_policy"]
    now = clock.now()
    done, apart = [], set()
    for event in events:
        data, order = event.payload, orders.get(event.payload["order_id"])
        if order is None:
            continue
        _add_refund(order, data)
        lot, take = lots.get(order.lot_id), None
        excess = _excess(order, lot, None if order.cancelled else buyers[order.customer_id]) if lot else 0
        if excess > 0:
            if excess > lot.remaining or (policy == "pending_only" and not (
                    lot.pending_until and lot.pending_until > now)):
                apart.add(order.customer_id)
                continue
            lot.remaining -= excess
            order.reversed += excess
            take = ledger.Take(lot, excess, f"refund:{data['refund_id']}", event.id,
                               _refund_reason(order, data))
        done.append((event, order, take))
    done = [(event, order, take) for event, order, take in done if order.customer_id not in apart]
    changed = {order.id: order for _, order, _ in done}
    if changed:
        Order.update(
            refunded_lines=Case(Order.id, [(i, Order.refunded_lines.db_value(o.refunded_lines))
                                           for i, o in changed.items()]),
            refunded=Case(Order.id, [(i, Value(o.refunded, converter=Order.refunded.db_value))
                                     for i, o in changed.items()]),
            reversed=Case(Order.id, [(i, o.reversed) for i, o in changed.items()]),
        ).where(ids_in(Order.id, list(changed))).execute()
        ledger.take_many(shop_id, [take for _, _, take in done if take], kind=EntryKind.REVERSE)
    for event, order, _ in done:
        refund_id = str(event.payload["refund_id"])
        bus.publish(facts.OrderRefunded(shop_id, order.platform_id, refund_id, event.id))
    applied = {event.id for event, _, _ in done}
    return [event for event in events if event.id not in applied]


def _add_refund(order: Order, data: dict) -> None:
    """Add a refund's lines to what the order has had refunded (a line at most what it cost)."""
    lines = {line["line_id"]: line for line in order.order["lines"]}
    refunded = dict(order.refunded_lines)
    for line in data["lines"]:
        if line["line_id"] in lines:
            ordered = lines[line["line_id"]]
            total = Decimal(refunded.get(line["line_id"], "0")) + _refund_amount(line, ordered)
            refunded[line["line_id"]] = str(min(total, Decimal(ordered["amount"])))
    order.refunded_lines = refunded
    order.refunded = sum((Decimal(v) for v in refunded.values()), Decimal(0))


def _refund_reason(order: Order, data: dict) -> reasons.Reason:
    return reasons.refund(data["refund_id"], money(order.refunded), money(order.eligible), order.currency)


def _refund_amount(refunded: dict, line: dict) -> Decimal:
    """What a refund line gives back: its own ``amount`` (Shopify), or, for a line that names only
    the ``quantity`` returned (a custom store), that share of what the order's line cost."""
    if refunded.get("amount") is not None:
        return Decimal(refunded["amount"])
    quantity = line.get("quantity") or 0
    if not quantity:
        return Decimal(0)
    share = Decimal(line["amount"]) * min(refunded["quantity"], quantity) / quantity
    return share.quantize(REFUND_PLACES)


def order_cancelled(event: Event) -> str:
    order = _order(event.shop_id, event.payload["order_id"])
    if order is None:
        return EventStatus.WAITING
    Order.update(cancelled=True).where(Order.id == order.id).execute()
    order.cancelled = True
    bus.publish(facts.OrderCancelled(event.shop_id, order.platform_id, event.id))  # holds given back first
    _settle(order, event, key=f"cancel:{order.platform_id}", reason=reasons.order_cancelled())
    return EventStatus.APPLIED


def customer_created(event: Event) -> str:
    customers_created(event.shop_id, [event])
    return EventStatus.APPLIED


def customers_created(shop_id: int, events: list[Event]) -> None:
    """Sign-ups, many at once (each customer once): found or created together, their bonuses
    granted together, then each sign-up published in arrival order."""
    profiles = {e.payload["customer"]["id"]: e.payload["customer"] for e in events}
    found = customers.ensure_many(shop_id, profiles)
    version, program = versions.current(shop_id)
    rule = program.get("signup")
    if rule and rule["points"]:
        now = clock.now()
        expires_at = timing.expires_at(program, rule["point_type"], now)
        ledger.grant_many(shop_id, [ledger.Grant(
            customer.id, rule["points"], source=f"signup:{customer.platform_id}",
            rule={"signup": rule["points"]}, key=f"signup:{customer.platform_id}",
            point_type=rule["point_type"], event_id=event.id, reason=reasons.signup_bonus(),
            program_version=version, expires_at=expires_at)
            for event in events for customer in (found[event.payload["customer"]["id"]],)
        ], kind=EntryKind.BONUS)
    for event in events:
        profile = event.payload["customer"]
        bus.publish(facts.CustomerCreated(found[profile["id"]], profile, program, version, event.id))


def notice(event: Event) -> str:
    """A notice the batch reaches unread (its platform's prepare failed or is backing off): it
    fails as Unread, and plugin.pipeline.platform_jobs.retry_unread reads it again later."""
    payload = event.payload or {}
    raise Unread(" ".join(str(part) for part in (
        event.platform, payload.get("entity", "notice"), payload.get("id", "")) if part != "")
        + " not read from the platform yet")


def shop_uninstalled(event: Event) -> str:
    Shop.update(active=False, uninstalled_at=clock.now(), access_token=None,
                refresh_token=None).where(Shop.id == event.shop_id).execute()
    return EventStatus.APPLIED


def _order(shop_id: int, platform_id: str) -> Order | None:
    """The order row, locked, so a refund and a cancellation of one order apply one at a time."""
    query = Order.select().where((Order.shop == shop_id) & (Order.platform_id == platform_id))
    return locking(query).first()


def _settle(order: Order, event: Event, *, key: str, reason: reasons.Reason) -> None:
    """Take back what the order earned beyond what its unrefunded part still earns; what cannot
    be taken (already spent) follows the program's reversal policy."""
    if order.lot_id is None:
        return
    lot = order.lot
    buyer = None if order.cancelled else Customer.get_by_id(order.customer_id).platform_id
    excess = _excess(order, lot, buyer)
    if excess <= 0:
        return
    reversal.take_back(lot, excess, event, key=key, reason=reason, spill=True)
    Order.update(reversed=Order.reversed + excess).where(Order.id == order.id).execute()


def _excess(order: Order, lot: Lot, buyer: str | None) -> int:
    """What the order earned beyond what its unrefunded part still earns (all of it, cancelled).

    The order is evaluated again under the program version it earned with (never today's), so a
    refund months later reverses at the original rate, and partial refunds add up exactly.
    """
    keep = 0
    if not order.cancelled:
        program = versions.at(order.shop_id, order.program_version)
        keep = min(order.earned, multiplied(earning.evaluate(
            program, order.order, at=_when(order.order, order.created_at), customer_id=buyer,
            first_order=order.first_order, refunded=order.refunded_lines).points,
            (lot.rule or {}).get("tier_multiplier")))
    return order.earned - order.reversed - keep


HANDLERS: dict[str, Callable[[Event], str]] = {
    EventKind.ORDER_PAID: order_paid,
    EventKind.ORDER_REFUNDED: order_refunded,
    EventKind.ORDER_CANCELLED: order_cancelled,
    EventKind.CUSTOMER_CREATED: customer_created,
    EventKind.ORDER_SNAPSHOT: order_snapshot,
    EventKind.NOTICE: notice,
    EventKind.SHOP_UNINSTALLED: shop_uninstalled,
    EventKind.PRODUCT_UPDATED: product_updated,
    EventKind.PRODUCT_DELETED: product_deleted,
    EventKind.REVIEW_PUBLISHED: reviews.review_published,
    EventKind.REVIEW_UNPUBLISHED: reviews.review_unpublished,
    EventKind.PRIVACY_DATA_REQUEST: privacy.data_request,
    EventKind.PRIVACY_CUSTOMER_REDACT: privacy.customer_redact,
    EventKind.PRIVACY_SHOP_REDACT: privacy.shop_redact,
}
