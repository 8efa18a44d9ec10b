"""What an operator asks of the delivery queues, across every shop: how much waits per channel, how
much is late, how long the oldest has waited, what failed recently, which subscriptions are paused."""

from __future__ import annotations

from datetime import datetime, timedelta

from peewee import fn

from plugin.core import clock
from plugin.core.models import Delivery, OutboxMessage, WebhookSubscription
from plugin.core.status import DeliveryStatus, SubscriptionStatus

RECENT = timedelta(hours=24)


def _age(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(0, int((now.replace(tzinfo=None) - since).total_seconds()))


def queues(now: datetime | None = None) -> dict:
    """Per channel: pending, due now (late ones included), retrying (failed at least once), the age in
    seconds of the oldest pending, and failed/sent in the last 24 h; plus messages not yet fanned out."""
    now = now or clock.now()
    out = {}
    for (channel,) in Delivery.select(Delivery.channel).distinct().tuples():
        mine = Delivery.channel == channel
        pending = mine & (Delivery.status == DeliveryStatus.PENDING)
        recent = mine & (Delivery.last_attempt_at >= now - RECENT)
        out[channel] = {
            "pending": _count(pending),
            "due": _count(pending & (Delivery.next_attempt_at <= now)),
            "retrying": _count(pending & (Delivery.attempts > 0)),
            "oldest_pending_seconds": _age(_oldest(pending), now),
            "failed_24h": _count(recent & (Delivery.status == DeliveryStatus.FAILED)),
            "sent_24h": _count(recent & (Delivery.status == DeliveryStatus.SENT)),
        }
    undispatched = OutboxMessage.dispatched_at.is_null()
    paused = (WebhookSubscription.select().where(WebhookSubscription.status == SubscriptionStatus.PAUSED)
              .order_by(WebhookSubscription.id))
    return {
        "channels": out,
        "undispatched": OutboxMessage.select().where(undispatched).count(),
        "oldest_undispatched_seconds": _age(
            OutboxMessage.select(fn.MIN(OutboxMessage.created_at)).where(undispatched).scalar(), now),
        "paused_subscriptions": [
            {"shop": sub.shop_id, "id": sub.uid, "url": sub.url,
             "failing_since": sub.failing_since and sub.failing_since.isoformat()} for sub in paused],
    }


def _count(where) -> int:
    return Delivery.select().where(where).count()


def _oldest(where) -> datetime | None:
    return Delivery.select(fn.MIN(Delivery.created_at)).where(where).scalar()
