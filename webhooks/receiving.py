"""The steps every receiver shares after its own signature check: store once, ring, answer
(parsing and the storable text are webhooks.readers', which the worker shares)."""

from __future__ import annotations

from flask import jsonify

from plugin.core.models import Shop
from plugin.core.status import EventStatus
from plugin.pipeline import jobs, queue
from webhooks import inbox
from webhooks.mapped import Mapped
from webhooks.readers import UNSTORABLE, storable


def accept(shop: Shop, platform: str, topic: str, delivery_id: str, raw: bytes, mapped: Mapped):
    """Store the delivery in the inbox once, ring the shop's doorbell, and answer 200."""
    topic = UNSTORABLE.sub("\ufffd", topic)[:128] or "(none)"  # a body's topic may be anything
    event = inbox.store(shop, platform, topic, delivery_id, storable(raw), mapped)
    if event is None:
        return jsonify(status="duplicate"), 200
    if event.status == EventStatus.INVALID:  # signed, so 2xx: the owner sees it and can retry it after a fix
        return jsonify(status=event.status, event_id=event.id, error=mapped.note), 200
    if event.status != EventStatus.PENDING:
        return jsonify(status=event.status, event_id=event.id), 200
    queue.ring(shop.id, jobs.apply_pending)
    return jsonify(status="accepted", event_id=event.id), 200
