"""The steps every receiver shares after its own signature check: parse, store once, ring."""

from __future__ import annotations

from decimal import Decimal

from flask import jsonify

from plugin.core import jsonbody
from plugin.core.models import Shop
from plugin.core.status import EventStatus
from plugin.pipeline import queue
from webhooks import inbox
from webhooks.mapped import Mapped
from webhooks.readers import UNSTORABLE


def parse(raw: bytes) -> dict:
    """The body as a JSON object (floats as Decimal, never float; stored as text: UTF-8 only),
    nested at most jsonbody.MAX_DEPTH deep: else a 400, before any signature check that needs it."""
    return jsonbody.loads_object(raw, parse_float=Decimal, surrogates=True)


def storable(raw: bytes) -> str:
    """The raw body as text a database stores: exact for any UTF-8 body (JSON spells NUL and
    surrogates as ASCII escapes); bytes that are not UTF-8, or a literal NUL, which only a body
    that is not JSON holds (so it stays invalid), become U+FFFD."""
    return UNSTORABLE.sub("\ufffd", raw.decode("utf-8", "replace"))


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
    queue.ring(shop.id)
    return jsonify(status="accepted", event_id=event.id), 200
