"""The steps every receiver shares after its own signature check: parse, store once, ring."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import jsonify

from plugin import queue
from plugin.errors import LoyaltyError
from plugin.models import Shop
from webhooks import inbox
from webhooks.mapped import Mapped


class MalformedBody(LoyaltyError):
    status, code = 400, "malformed_json"


def parse(raw: bytes) -> dict:
    """The body as a JSON object (floats as Decimal, never float; stored as text: UTF-8 only)."""
    try:
        body = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody(f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedBody("body must be a JSON object")
    return body


def accept(shop: Shop, platform: str, topic: str, delivery_id: str, raw: bytes, mapped: Mapped):
    """Store the delivery in the inbox once, ring the shop's doorbell, and answer 200."""
    event = inbox.store(shop, platform, topic[:128] or "(none)", delivery_id, raw.decode("utf-8"), mapped)
    if event is None:
        return jsonify(status="duplicate"), 200
    if event.status != "pending":
        return jsonify(status=event.status, event_id=event.id), 200
    queue.ring(shop.id)
    return jsonify(status="accepted", event_id=event.id), 200
