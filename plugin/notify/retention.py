"""How long messages are kept: every outbox message, with its deliveries, for 90 days, long enough to
read the log and replay a subscription's month; then a daily job deletes them, oldest first, in
batches. A message with a delivery still pending is kept until that delivery ends."""

from __future__ import annotations

from datetime import timedelta

from plugin.core import clock
from plugin.core.db import session, write_transaction
from plugin.core.models import Delivery, OutboxMessage
from plugin.core.status import DeliveryStatus

KEEP = timedelta(days=90)
BATCH = 1000


def purge_old(keep: timedelta = KEEP, batch_size: int = BATCH) -> int:
    """Delete the messages older than ``keep`` whose deliveries have all ended; returns how many."""
    deleted = 0
    with session():
        cutoff = clock.now() - keep
        while True:
            with write_transaction():
                pending = Delivery.select(Delivery.message).where(Delivery.status == DeliveryStatus.PENDING)
                ids = [mid for (mid,) in OutboxMessage.select(OutboxMessage.id).where(
                    (OutboxMessage.created_at < cutoff) & OutboxMessage.dispatched_at.is_null(False)
                    & OutboxMessage.id.not_in(pending)).order_by(OutboxMessage.id).limit(batch_size).tuples()]
                if ids:
                    Delivery.delete().where(Delivery.message.in_(ids)).execute()
                    OutboxMessage.delete().where(OutboxMessage.id.in_(ids)).execute()
            deleted += len(ids)
            if len(ids) < batch_size:
                return deleted
