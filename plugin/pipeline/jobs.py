"""RQ job functions: importable, primitive arguments, a database session around the body.

They raise on infrastructure failure so RQ's retry and failed registry see it; a single event
that cannot be applied is marked failed with its reason and the rest of its batch still lands.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from peewee import fn

from plugin.core import clock
from plugin.core.db import by_id, claiming, database, ids_in, lock_shop, session, write_transaction
from plugin.core.kinds import EventKind
from plugin.core.models import Customer, Event, Order
from plugin.core.status import EventStatus
from plugin.pipeline import apply, bootstrap, fetching, queue
from plugin.pipeline.queue import INFRASTRUCTURE
from plugin.program import catalog
from webhooks import stored

log = logging.getLogger(__name__)

#: Events a batch claims and applies in one transaction: 500 apply a quarter more a second than 200
#: (tests/bench/bench_apply.py: 893 against 714 events/s); a batch is about 60 statements either way.
BATCH_SIZE = 500
#: A job applies at most this many batches (10,000 events) before handing over to a fresh job, so
#: one busy shop cannot hold a worker forever.
MAX_BATCHES_PER_JOB = 20
#: Pending events older than this are picked up by the sweep (their doorbell was lost, or the
#: job that had them died with its worker); a live job applies an event within milliseconds.
SWEEP_AGE = timedelta(seconds=5)


def apply_pending(shop_id: int, batch_size: int = BATCH_SIZE) -> int:
    """Apply the shop's pending events in arrival order, one transaction per batch."""
    queue.clear_doorbell(shop_id)
    applied = 0
    with session():
        for _ in range(MAX_BATCHES_PER_JOB):
            count = apply_batch(shop_id, batch_size)
            applied += count
            if count == 0:
                return applied
    queue.ring(shop_id, apply_pending, force=True)  # more remain: let another job (or worker) carry on
    return applied


def apply_batch(shop_id: int, batch_size: int) -> int:
    """Claim up to ``batch_size`` pending events and apply them in one transaction."""
    bootstrap.wire()  # the reactions to what the batch applies (once per process)
    with write_transaction():  # first mapped: the catalog lookup reads the orders' product ids
        lock_shop(shop_id)
        mapped = {event.id: event.payload for event in _map(list(claiming(Event.select().where(
            (Event.shop == shop_id) & (Event.status == EventStatus.PENDING) & Event.payload.is_null())
            .order_by(Event.id).limit(batch_size))))}
    catalog.prepare(shop_id, batch_size, mapped)  # Admin API lookups, outside the transaction
    for event_id in fetching.prepare(shop_id, batch_size):  # what the platform must be asked (Ecwid...)
        mapped.pop(event_id, None)
    with write_transaction():
        lock_shop(shop_id)  # one batch of the shop at a time, whichever worker runs it
        events = _claim(shop_id, batch_size, mapped)
        ready = _map(events)
        applied = _apply_together(shop_id, [e for e in ready if e.kind == EventKind.ORDER_PAID],
                                  apply.orders_paid)
        applied += _apply_together(shop_id, _signups_apart(shop_id, ready, set(applied)),
                                   apply.customers_created)
        applied += _apply_together(shop_id, _refunds_apart(ready, set(applied)), apply.orders_refunded)
        done = set(applied)
        applied += [event.id for event in ready if event.id not in done
                    and _apply_one(event) == EventStatus.APPLIED and event.error is None]
        if applied:  # one statement for the common case; the rest were recorded as they happened
            Event.update(status=EventStatus.APPLIED, attempts=Event.attempts + 1,
                         applied_at=clock.now()).where(ids_in(Event.id, applied)).execute()
    return len(events)


def _claim(shop_id: int, batch_size: int, mapped: dict[int, dict]) -> list[Event]:
    """The shop's next pending events, locked, in arrival order; the payloads just mapped are not
    read (nor decoded) again, and the raw bodies only of events not mapped yet."""
    light = [field for field in Event._meta.sorted_fields if field.name not in ("payload", "raw_body")]
    events = list(claiming(Event.select(*light).where(
        (Event.shop == shop_id) & (Event.status == EventStatus.PENDING))
        .order_by(Event.id).limit(batch_size)))
    unread = [event.id for event in events if event.id not in mapped]
    stored = {event_id: (payload, raw_body) for event_id, payload, raw_body in Event.select(
        Event.id, Event.payload, Event.raw_body).where(ids_in(Event.id, unread)).tuples()} if unread else {}
    for event in events:
        if event.id in mapped:
            event.payload = mapped[event.id]
        else:
            event.payload, event.raw_body = stored[event.id]
    return events


def _map(events: list[Event]) -> list[Event]:
    """Map each event stored raw to its canonical payload and fill ``Event.payload`` (privacy
    exports and redaction read it later); one that does not fit is marked invalid with the field
    path and reason. The events that can be applied are returned."""
    ready, payloads = [], []
    for event in events:
        if event.payload is not None:  # mapped already (an owner's retry, an earlier version)
            ready.append(event)
            continue
        try:
            mapped = stored.mapped(event.platform, event.topic, event.raw_body)
        except INFRASTRUCTURE:
            raise
        except Exception as exc:  # noqa: BLE001 - a mapper bug: recorded on the event, not swallowed
            log.warning("event %s of shop %s cannot be mapped: %s", event.id, event.shop_id, exc)
            _record(event, EventStatus.FAILED, f"{type(exc).__name__}: {exc}")
            continue
        if mapped.status != EventStatus.PENDING:  # invalid, or ignored on a closer look
            _record(event, mapped.status, mapped.note)
            continue
        event.payload = mapped.payload
        ready.append(event)
        payloads.append((event.id, Event.payload.db_value(mapped.payload)))
    if payloads:  # one statement for the batch
        Event.update(payload=by_id(Event, dict(payloads))).where(
            ids_in(Event.id, [event_id for event_id, _ in payloads])).execute()
    return ready


def _apply_together(shop_id: int, events: list[Event], apply_all) -> list[int]:
    """Events of one kind in one go (``apply_all(shop_id, events)``, which may return those it
    left); those left, or all if it fails, go one by one, each recording why it failed."""
    if len(events) < 2:
        return []
    try:
        with database.atomic():
            left = {event.id for event in apply_all(shop_id, events) or ()}
    except INFRASTRUCTURE:
        raise
    except Exception as exc:  # noqa: BLE001 - each is retried alone, which records its own error
        log.info("shop %s: %s %s events applied one by one: %s", shop_id, len(events), events[0].kind, exc)
        return []
    return [event.id for event in events if event.id not in left]


def _signups_apart(shop_id: int, events: list[Event], applied: set[int]) -> list[Event]:
    """The batch's sign-ups that may be applied together, ahead of the events left to apply one by
    one: each customer signs up once in the batch, and no paid order, refund or cancellation left
    is theirs (an event of any other kind left: none, to be safe)."""
    signups = [e for e in events if e.id not in applied and e.kind == EventKind.CUSTOMER_CREATED]
    if len(signups) < 2:
        return []
    touched, subjects = Counter(_customer_named(event) for event in signups), []
    for event in events:
        if event.id in applied or event.kind == EventKind.CUSTOMER_CREATED:
            continue
        if event.kind == EventKind.ORDER_PAID:
            touched[_customer_named(event)] += 1
        elif event.kind in (EventKind.ORDER_REFUNDED, EventKind.ORDER_CANCELLED):
            subjects.append(event.subject)
        else:
            return []
    if subjects:
        touched.update(platform_id for (platform_id,) in Customer.select(Customer.platform_id)
                       .join(Order, on=(Order.customer == Customer.id))
                       .where((Order.shop == shop_id) & Order.platform_id.in_(subjects)).tuples())
    return [event for event in signups
            if _customer_named(event) is not None and touched[_customer_named(event)] == 1]


def _refunds_apart(events: list[Event], applied: set[int]) -> list[Event]:
    """The batch's refunds, to be applied together once paid orders and sign-ups are: only when
    nothing else is left to apply one by one (a cancellation, a snapshot...), to be safe."""
    left = [event for event in events if event.id not in applied]
    if any(event.kind not in (EventKind.ORDER_REFUNDED, EventKind.CUSTOMER_CREATED) for event in left):
        return []
    return [event for event in left if event.kind == EventKind.ORDER_REFUNDED]


def _customer_named(event: Event) -> str | None:
    """The platform id of the customer a sign-up or an order names (None: none, or unreadable)."""
    try:
        return event.payload["customer"]["id"]
    except (KeyError, TypeError):
        return None


def _apply_one(event: Event) -> str:
    """Apply one event in a savepoint; a failure rolls back only this event and records why."""
    handler = apply.HANDLERS.get(event.kind)
    try:
        with database.atomic():
            if handler is None:
                raise LookupError(f"no handler for event kind {event.kind!r}")
            status = handler(event)
    except INFRASTRUCTURE:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded on the event, not swallowed
        log.warning("event %s of shop %s failed: %s", event.id, event.shop_id, exc)
        _record(event, EventStatus.FAILED, f"{type(exc).__name__}: {exc}")
        return EventStatus.FAILED
    # Waiting is written now, not at the end of the batch: its order, later in this same batch,
    # may release it. An applied event with a note (a clamped reversal) keeps the note.
    if status == EventStatus.WAITING or event.error is not None:
        _record(event, status, event.error)
    return status


def _record(event: Event, status: str, error: str | None) -> None:
    event.error = error
    Event.update(
        status=status, error=error, attempts=Event.attempts + 1,
        applied_at=clock.now() if status == EventStatus.APPLIED else None,
    ).where(Event.id == event.id).execute()


def sweep() -> int:
    """Ring for every shop with events that were stored but never applied (a lost doorbell, a job
    killed with its worker); a shop whose job is still waiting in the queue is left alone.

    It also releases events still waiting for an order that has since been applied: two workers
    can apply a refund and its order at the same moment, each unable to see the other's row.
    """
    with session():
        released = Order.select(Order.id).where(
            (Order.shop == Event.shop) & (Order.platform_id == Event.subject))
        Event.update(status=EventStatus.PENDING).where(
            (Event.status == EventStatus.WAITING) & fn.EXISTS(released)).execute()
        shop_ids = [row.shop_id for row in Event.select(Event.shop).distinct().where(
            (Event.status == EventStatus.PENDING) & (Event.received_at < clock.now() - SWEEP_AGE)
        )]
    for shop_id in shop_ids:
        queue.ring_unless_waiting(shop_id, apply_pending)
    return len(shop_ids)
