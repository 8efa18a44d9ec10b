"""The Shopify webhook receiver: raw bytes -> verify -> read the keys -> record -> ring -> 200.

The body is mapped later, by the worker (webhooks.stored); a signed body that does not fit is
stored as ``invalid`` and answered 200, since Shopify retries any other answer and in the end
removes the subscription.
"""

from __future__ import annotations

import hashlib

from plugin.core.errors import Unauthorized
from plugin.customers import shops
from webhooks import receiving, signatures, stored
from webhooks.receiving import Answer, Delivery
from webhooks.shopify.topics import PATH, PLATFORM

ROUTE = PATH


def header(delivery: Delivery, name: str) -> str | None:
    """Shopify sends X-Shopify-<Name>; newer deliveries may spell it Shopify-<Name>."""
    environ = delivery.environ
    return environ.get(f"HTTP_X_SHOPIFY_{name}") or environ.get(f"HTTP_SHOPIFY_{name}")


def delivery_id(delivery: Delivery, topic: str) -> str:
    """Event id (same across retries and subscriptions), else webhook id, else the body's hash."""
    given = header(delivery, "EVENT_ID") or header(delivery, "WEBHOOK_ID")
    return given[:255] if given else "sha256:" + hashlib.sha256(topic.encode() + delivery.raw).hexdigest()


def receive(delivery: Delivery) -> Answer:
    raw = delivery.raw
    domain = (header(delivery, "SHOP_DOMAIN") or "").strip().lower()
    topic = (header(delivery, "TOPIC") or "").strip()
    shop = shops.for_receiver(PLATFORM, domain) if domain else None
    if shop is None:
        raise Unauthorized(f"unknown shop {domain!r}" if domain else "missing shop domain header")
    vault, settings = delivery.runtime.vault, delivery.runtime.settings
    secret = vault.webhook_secret(shop.id) if shop.own_webhook_secret else settings.shopify_api_secret
    if not secret or not signatures.shopify_valid(secret, raw, header(delivery, "HMAC_SHA256")):
        raise Unauthorized("webhook signature does not match")
    # Signed: stored whatever it holds (invalid when its keys cannot be read), never a 4xx.
    return receiving.accept(shop, PLATFORM, topic, delivery_id(delivery, topic), raw,
                            stored.read(PLATFORM, topic, raw))
