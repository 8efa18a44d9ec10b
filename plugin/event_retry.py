"""Retrying a failed inbox event: back to pending, and the doorbell rung so a worker applies it.

Only a ``failed`` event moves (a conditional UPDATE), so two clicks re-queue it once; a failed
event left nothing behind (its savepoint rolled back) and every ledger movement carries its
business idempotency key, so the retry applies the event exactly once.
"""

from __future__ import annotations

from plugin import queue
from plugin.db import write_transaction
from plugin.errors import LoyaltyError, NotFound
from plugin.models import Event


class NotFailed(LoyaltyError):
    status, code = 409, "not_failed"


def retry(shop_id: int, event_id: int) -> None:
    """Re-queue one failed event of the shop; NotFound for another shop's, NotFailed otherwise."""
    with write_transaction():
        moved = (Event.update(status="pending", error=None)
                 .where((Event.id == event_id) & (Event.shop == shop_id) & (Event.status == "failed"))
                 .execute())
        if not moved:
            event = Event.get_or_none((Event.id == event_id) & (Event.shop == shop_id))
            if event is None:
                raise NotFound(f"no event {event_id} in this shop")
            raise NotFailed(f"event {event_id} is {event.status}, not failed")
    queue.ring(shop_id, force=True)
