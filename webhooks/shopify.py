"""The Shopify webhook receiver: raw bytes -> verify -> record -> ring -> 200, nothing more."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from flask import Blueprint, jsonify, request

from plugin import queue, shops
from plugin.errors import LoyaltyError, Unauthorized
from plugin.runtime import runtime
from webhooks import inbox, signatures
from webhooks.topics import REGISTRY, unknown

PLATFORM = "shopify"
PATH = "/webhooks/shopify"

bp = Blueprint("shopify_webhooks", __name__)


class MalformedBody(LoyaltyError):
    status, code = 400, "malformed_json"


def header(name: str) -> str | None:
    """Shopify sends X-Shopify-<Name>; newer deliveries may spell it Shopify-<Name>."""
    return request.headers.get(f"X-Shopify-{name}") or request.headers.get(f"Shopify-{name}")


def delivery_id(raw: bytes, topic: str) -> str:
    """Event id (same across retries and subscriptions), else webhook id, else the body's hash."""
    given = header("Event-Id") or header("Webhook-Id")
    return given[:255] if given else "sha256:" + hashlib.sha256(topic.encode() + raw).hexdigest()


@bp.post(PATH)
def receive():
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413 before anything is read
    domain = (header("Shop-Domain") or "").strip().lower()
    topic = (header("Topic") or "").strip()
    shop = shops.for_receiver(PLATFORM, domain) if domain else None
    if shop is None:
        raise Unauthorized(f"unknown shop {domain!r}" if domain else "missing shop domain header")
    vault, settings = runtime().vault, runtime().settings
    secret = vault.webhook_secret(shop.id) if shop.own_webhook_secret else settings.shopify_api_secret
    if not secret or not signatures.shopify_valid(secret, raw, header("Hmac-Sha256")):
        raise Unauthorized("webhook signature does not match")
    try:
        body = json.loads(raw.decode("utf-8"), parse_float=Decimal)  # stored as text: UTF-8 only
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody(f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedBody("body must be a JSON object")
    mapper = REGISTRY[PLATFORM].get(topic)
    mapped = mapper(body) if mapper else unknown(topic)  # ValidationError -> 422 naming fields
    event = inbox.store(shop, PLATFORM, topic or "(none)", delivery_id(raw, topic),
                        raw.decode("utf-8"), mapped)
    if event is None:
        return jsonify(status="duplicate"), 200
    if event.status != "pending":
        return jsonify(status=event.status, event_id=event.id), 200
    queue.ring(shop.id)
    return jsonify(status="accepted", event_id=event.id), 200
