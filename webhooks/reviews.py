"""The generic review receiver: ``POST /webhooks/reviews/<shop domain>``, signed with Standard Webhooks.

Raw bytes -> verify (``standardwebhooks``: ``webhook-id``, ``webhook-timestamp`` within its five
minutes' tolerance, ``webhook-signature``) -> map -> inbox -> ring -> 200. The delivery id is
``webhook-id``. The secret is the shop's own webhook secret (``Vault.webhook_secret``) in the
Standard Webhooks form, ``whsec_`` + base64 of its UTF-8 bytes (``standard_secret``): the store
configures that string in its Standard Webhooks library, which signs with exactly those bytes.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal

from flask import Blueprint, jsonify, request
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from plugin import queue, shops
from plugin.errors import Unauthorized
from plugin.models import Shop
from plugin.runtime import runtime
from webhooks import inbox, review_payloads
from webhooks.shopify import MalformedBody
from webhooks.topics import Mapped, unknown

PLATFORM = "reviews"
PATH = "/webhooks/reviews/<domain>"
ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "webhook-id", "webhook-timestamp", "webhook-signature"
KINDS = (review_payloads.PUBLISHED, review_payloads.UNPUBLISHED)

bp = Blueprint("review_webhooks", __name__)


def standard_secret(secret: str) -> str:
    """The shop's webhook secret as Standard Webhooks spells a secret: whsec_<base64 of the key>."""
    return "whsec_" + base64.b64encode(secret.encode()).decode()


def shop_for(domain: str | None) -> Shop:
    """The installed shop of a domain (a Shopify domain or a custom store's host), else 401."""
    domain = (domain or "").strip().lower()
    platform = "shopify" if shops.SHOPIFY_DOMAIN.match(domain) else "custom"
    shop = shops.for_receiver(platform, domain) if domain else None
    if shop is None:
        raise Unauthorized(f"unknown shop {domain!r}" if domain else "missing shop domain")
    return shop


def parse(raw: bytes) -> dict:
    """The body as a JSON object (floats as Decimal), else 400."""
    try:
        body = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody(f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedBody("body must be a JSON object")
    return body


def accept(shop: Shop, platform: str, topic: str, delivery_id: str, raw: bytes, mapped: Mapped):
    """Store the review event once (business key per review_payloads.keyed), ring, answer 200."""
    mapped = review_payloads.keyed(shop.id, mapped, delivery_id)
    event = inbox.store(shop, platform, topic[:128] or "(none)", delivery_id, raw.decode("utf-8"), mapped)
    if event is None:
        return jsonify(status="duplicate"), 200
    if event.status != "pending":
        return jsonify(status=event.status, event_id=event.id), 200
    queue.ring(shop.id)
    return jsonify(status="accepted", event_id=event.id), 200


@bp.post(PATH)
def receive(domain: str):
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413 before anything is read
    shop = shop_for(domain)
    headers = {name: request.headers.get(name, "") for name in
               (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedBody("body is not UTF-8") from None
    try:  # a malformed signature list raises ValueError inside the library
        Webhook(standard_secret(runtime().vault.webhook_secret(shop.id))).verify(
            text, headers, json_parse=False)
    except (WebhookVerificationError, ValueError) as exc:
        raise Unauthorized(f"webhook signature does not verify: {exc}") from None
    body = parse(raw)
    kind = body.get("type")
    if isinstance(kind, str) and kind not in KINDS:
        mapped = unknown(kind)  # acknowledged and recorded, never applied
    else:
        mapped = review_payloads.generic(body)  # ValidationError -> 422 naming fields
    return accept(shop, PLATFORM, kind if isinstance(kind, str) else "", headers[ID_HEADER][:255],
                  raw, mapped)
