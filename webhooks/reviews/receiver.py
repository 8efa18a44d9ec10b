"""The generic review receiver: ``POST /webhooks/reviews/<shop domain>``, signed with Standard Webhooks.

Raw bytes -> verify (``standardwebhooks``: ``webhook-id``, ``webhook-timestamp`` within its five
minutes' tolerance, ``webhook-signature``) -> validate -> inbox -> ring -> 200. The body is our own
documented schema, sent by the store's developer, so a body that does not fit is a 422 naming the
field (their code is wrong; an answer now beats an invalid event found later); the worker maps it.
The delivery id is ``webhook-id``. The secret is the shop's own webhook secret
(``Vault.webhook_secret``) in the Standard Webhooks form, ``whsec_`` + base64 of its UTF-8 bytes
(``webhooks.signatures.standard_secret``): the store configures that string in its Standard
Webhooks library, which signs with exactly those bytes.
"""

from __future__ import annotations

from plugin.core.errors import Unauthorized
from plugin.core.models import Shop
from plugin.customers import shops
from webhooks import receiving, stored
from webhooks.mapped import Mapped
from webhooks.readers import parse
from webhooks.receiving import Answer, Delivery
from webhooks.reviews import payloads as review_payloads
from webhooks.reviews.topics import PATH, PLATFORM
from webhooks.signatures import standard_secret

KINDS = (review_payloads.PUBLISHED, review_payloads.UNPUBLISHED)
ROUTE = PATH

__all__ = ["ROUTE", "accept", "receive", "shop_for", "standard_secret"]


def shop_for(domain: str | None) -> Shop:
    """The installed shop of a domain (a Shopify domain or a custom store's host), else 401."""
    domain = (domain or "").strip().lower()
    platform = "shopify" if shops.SHOPIFY_DOMAIN.match(domain) else "custom"
    shop = shops.for_receiver(platform, domain) if domain else None
    if shop is None:
        raise Unauthorized(f"unknown shop {domain!r}" if domain else "missing shop domain")
    return shop


def accept(shop: Shop, platform: str, topic: str, delivery_id: str, raw: bytes, mapped: Mapped) -> Answer:
    """Key the review event (review_payloads.keyed: a republished review is a new fact), store it."""
    return receiving.accept(shop, platform, topic, delivery_id, raw,
                            review_payloads.keyed(shop.id, mapped, delivery_id))


def receive(delivery: Delivery) -> Answer:
    raw = delivery.raw
    shop = shop_for(delivery.args["domain"])
    delivery_id = receiving.standard_verified(shop, delivery)
    body = parse(raw)
    kind = body.get("type")
    if not (isinstance(kind, str) and kind not in KINDS):  # an unknown type is only recorded
        review_payloads.GENERIC.load(body)  # our own small schema: a 422 naming the fields
    topic = kind if isinstance(kind, str) else ""
    return accept(shop, PLATFORM, topic, delivery_id, raw, stored.keys(PLATFORM, topic, body))
