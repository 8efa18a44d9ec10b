"""Retrying an inbox event: a failed one back to pending, an invalid one read again from its raw
body, and the doorbell rung so a worker applies it.

Only a ``failed`` or ``invalid`` event moves (a conditional UPDATE), so two clicks re-queue it
once; a failed event left nothing behind (its savepoint rolled back) and every ledger movement
carries its business idempotency key, so the retry applies the event exactly once. An invalid
event is mapped again from the raw body the platform sent (after a fix of the program, the shop
or the mapper it may fit now); if it still does not, it stays invalid with the new reason.
"""

from __future__ import annotations

import peewee

from plugin.core import reasons
from plugin.core.db import database, write_transaction
from plugin.core.errors import LoyaltyError, NotFound
from plugin.core.models import Event
from plugin.core.status import EventStatus
from plugin.pipeline import jobs, queue
from webhooks import stored
from webhooks.reviews import payloads as review_payloads

RETRYABLE = (EventStatus.FAILED, EventStatus.INVALID)


class NotFailed(LoyaltyError):
    status, code = 409, "not_failed"


def retry(shop_id: int, event_id: int) -> None:
    """Re-queue one failed or invalid event of the shop; NotFound for another shop's, NotFailed
    for any other status."""
    with write_transaction():
        event = Event.get_or_none((Event.id == event_id) & (Event.shop == shop_id))
        if event is None:
            raise NotFound(f"no event {event_id} in this shop")
        if event.status not in RETRYABLE:
            raise NotFailed(f"event {event_id} is {event.status}, not failed or invalid")
        changes = (_remapped(event) if event.status == EventStatus.INVALID
                   else {"status": EventStatus.PENDING, "error": None})
        moved = _move(event, changes)
        if not moved:
            raise NotFailed(f"event {event_id} was retried already")
    if changes["status"] == EventStatus.PENDING:
        queue.ring(shop_id, jobs.apply_pending, force=True)


def _remapped(event: Event) -> dict:
    """The invalid event read again: its keys and payload, or its new reason."""
    keys = stored.read(event.platform, event.topic, event.raw_body.encode("utf-8"))
    if keys.status == EventStatus.PENDING:
        keys = review_payloads.keyed(event.shop_id, keys, event.delivery_id)
        mapped = stored.mapped(event.platform, event.topic, event.raw_body)
    else:
        mapped = keys
    if mapped.status != EventStatus.PENDING:
        return {"status": mapped.status, "error": mapped.note}
    return {"status": EventStatus.PENDING, "error": None, "kind": keys.kind,
            "business_key": keys.business_key, "subject": keys.subject, "payload": mapped.payload}


def _move(event: Event, changes: dict) -> int:
    """Update the event if it is still retryable; an event holding the same business key
    already (its redelivery, stored meanwhile) makes this one a duplicate, recorded as ignored."""
    where = (Event.id == event.id) & (Event.status == event.status)
    try:
        with database.atomic():
            return Event.update(**changes).where(where).execute()
    except peewee.IntegrityError:
        duplicate = reasons.dumps(reasons.event_note("duplicate"))
        return Event.update(status=EventStatus.IGNORED, error=duplicate).where(where).execute()
