"""A delivery's life: due, attempted, sent or retried with backoff until it gives up.

The backoff spreads the attempts over more than a day (Standard Webhooks' own schedule is about
that long), so a mail server or a receiving endpoint down for hours loses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from plugin.core import clock
from plugin.core.db import claiming, write_transaction
from plugin.core.models import Delivery
from plugin.core.status import DeliveryStatus

#: Wait before attempt n + 1 after n failures: 31 h 42 min from the first attempt to the last.
BACKOFF = tuple(timedelta(seconds=s) for s in (
    30, 120, 600, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 8 * 3600, 8 * 3600))
ATTEMPTS = len(BACKOFF) + 1


#: A claimed delivery is someone's for this long; a sender that died gives it back when it ends.
LEASE = timedelta(minutes=2)


def due(channel: str, now: datetime, limit: int = 200) -> list[Delivery]:
    """Claim the channel's pending deliveries whose time has come, oldest message first: their next
    attempt moves a lease ahead in a short transaction of its own, so two senders never take the
    same one and no transaction stays open while a mail server or an endpoint answers."""
    with write_transaction():
        rows = list(claiming(Delivery.select().where(
            (Delivery.channel == channel) & (Delivery.status == DeliveryStatus.PENDING)
            & (Delivery.next_attempt_at <= now)).order_by(Delivery.message, Delivery.id).limit(limit)))
        if rows:
            claimed = [d.id for d in rows]
            Delivery.update(next_attempt_at=now + LEASE).where(Delivery.id.in_(claimed)).execute()
    return rows


def succeeded(delivery: Delivery, now: datetime | None = None, *, code: int | None = None) -> None:
    now = now or clock.now()
    Delivery.update(status=DeliveryStatus.SENT, attempts=Delivery.attempts + 1, last_attempt_at=now,
                    sent_at=now, response_code=code, error=None).where(Delivery.id == delivery.id).execute()


def failed(delivery: Delivery, error: str, now: datetime | None = None, *, code: int | None = None,
           permanent: bool = False) -> bool:
    """Record a failed attempt; schedule the next one, or give up when the attempts ran out or the
    failure is permanent. Returns True when the delivery will be tried again."""
    now = now or clock.now()
    attempts = delivery.attempts + 1
    again = not permanent and attempts < ATTEMPTS
    Delivery.update(
        status=DeliveryStatus.PENDING if again else DeliveryStatus.FAILED, attempts=attempts,
        last_attempt_at=now, response_code=code, error=error[:2000],
        next_attempt_at=now + BACKOFF[attempts - 1] if again else delivery.next_attempt_at,
    ).where(Delivery.id == delivery.id).execute()
    return again


def replay(query) -> int:
    """Send the deliveries selected again, from now, with a full round of retries (the owner's replay,
    or a paused subscription resumed): same message id, so a receiver recognises what it has seen."""
    return Delivery.update(status=DeliveryStatus.PENDING, next_attempt_at=clock.now(), error=None,
                           attempts=0).where(
        Delivery.id.in_(query.select(Delivery.id))).execute()
