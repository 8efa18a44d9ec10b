"""The inbox of platform deliveries."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.base import JSONField
from plugin.core.models.base import BaseModel
from plugin.core.models.shops import Shop
from plugin.core.status import EventStatus


class Event(BaseModel):
    """The inbox: every accepted delivery, applied at most once (unique delivery id, business key)."""

    # No index of its own: (shop, delivery_id) leads with the shop, and every index is one more
    # write per delivery on the webhook path.
    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    platform = pw.CharField(max_length=32)
    topic = pw.CharField(max_length=128)
    kind = pw.CharField(max_length=64, null=True)  # EventKind; None = not ours
    delivery_id = pw.CharField(max_length=255)
    business_key = pw.CharField(max_length=255, null=True)
    subject = pw.CharField(max_length=64, null=True)  # the order a refund/cancel waits for
    payload = JSONField(null=True)
    raw_body = pw.TextField()
    status = pw.CharField(max_length=16, default=EventStatus.PENDING)
    error = pw.TextField(null=True)
    attempts = pw.IntegerField(default=0)
    received_at = pw.DateTimeField(default=clock.now)
    applied_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("shop", "delivery_id"), True),
            (("shop", "business_key"), True),
            (("shop", "status", "id"), False),
            (("status", "received_at"), False),  # the sweep, every few seconds
        )


# Only refunds and cancellations name the order they wait for: paid orders stay out of the index.
Event.add_index(Event.shop, Event.subject, where=Event.subject.is_null(False))
