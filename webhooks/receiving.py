"""The steps every receiver shares after its own signature check: parse, store once, ring."""

from __future__ import annotations

from decimal import Decimal

from flask import jsonify

from plugin import jsonbody, queue
from plugin.errors import LoyaltyError
from plugin.models import Shop
from webhooks import inbox
from webhooks.mapped import Mapped


class MalformedBody(LoyaltyError):
    status, code = 400, "malformed_json"


def parse(raw: bytes) -> dict:
    """The body as a JSON object (floats as Decimal, never float; stored as text: UTF-8 only),
    nested at most jsonbody.MAX_DEPTH deep: else a 400, before any signature check that needs it."""
    return jsonbody.loads_object(raw, parse_float=Decimal)


def accept(shop: Shop, platform: str, topic: str, delivery_id: str, raw: bytes, mapped: Mapped):
    """Store the delivery in the inbox once, ring the shop's doorbell, and answer 200."""
    event = inbox.store(shop, platform, topic[:128] or "(none)", delivery_id, raw.decode("utf-8"), mapped)
    if event is None:
        return jsonify(status="duplicate"), 200
    if event.status != "pending":
        return jsonify(status=event.status, event_id=event.id), 200
    queue.ring(shop.id)
    return jsonify(status="accepted", event_id=event.id), 200
