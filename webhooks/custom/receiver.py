"""The custom store receiver: ``POST /webhooks/custom/<shop domain>``, signed with Standard Webhooks.

Raw bytes -> verify (webhooks.receiving.standard_verified, as the review receiver does) ->
validate the whole body against our published schema (a 422 naming the field: the sender is a
developer at a keyboard, and this is our own documented shape), and an order's currency against the
shop's (its amounts are read as the shop's money) -> inbox -> ring -> 200. The keys
come from the tolerant readers (webhooks.custom.topics); the worker maps the stored body.
"""

from __future__ import annotations

from marshmallow import ValidationError

from plugin.core.errors import Unauthorized
from plugin.core.models import Shop
from plugin.customers import shops
from webhooks import receiving, stored
from webhooks.custom import payloads
from webhooks.custom.topics import PATH, PLATFORM
from webhooks.readers import parse
from webhooks.receiving import Answer, Delivery
from webhooks.reviews import payloads as review_payloads

ROUTE = PATH


def shop_for(domain: str | None) -> Shop:
    """The installed custom shop of this host name, else 401 (nothing says whether it exists)."""
    domain = (domain or "").strip().lower()
    shop = shops.for_receiver(PLATFORM, domain) if domain else None
    if shop is None:
        raise Unauthorized(f"unknown shop {domain!r}" if domain else "missing shop domain")
    return shop


def receive(delivery: Delivery) -> Answer:
    raw = delivery.raw
    shop = shop_for(delivery.args["domain"])
    delivery_id = receiving.standard_verified(shop, delivery)
    body = parse(raw)
    loaded = payloads.load(body)  # the published schema: a 422 naming the fields
    currency = loaded["data"].get("currency") if loaded["type"] == payloads.PAID else None
    if currency and shop.currency and currency != shop.currency:  # amounts are the shop's money
        raise ValidationError({"data": {"currency": [f"must be the shop's currency, {shop.currency}"]}})
    topic = body["type"]
    mapped = review_payloads.keyed(shop.id, stored.keys(PLATFORM, topic, body), delivery_id)
    return receiving.accept(shop, PLATFORM, topic, delivery_id, raw, mapped)
