"""The Judge.me receiver: ``POST /webhooks/judgeme`` (review/created, review/updated).

Signature (Judge.me help centre, "Verifying Webhooks from Judge.me",
help.judge.me/en/articles/8299679): the ``JUDGEME-HMAC-SHA256`` header is the HMAC-SHA256 of the
raw body keyed with the OAuth app's secret, or with the shop's private API token when the webhook
was created with that token. The encoding is a lowercase hex digest: the part of the article we
could read does not spell it out, but open-source receivers check exactly that (e.g. WPLoyalty's
``hash_hmac('sha256', $body, $token)``, and Node receivers' ``digest('hex')``). Here the key is the
shop's own webhook secret (``Vault.webhook_secret``), as for custom stores; a Judge.me OAuth app
of ours would sign with its one app secret instead, as Shopify does.

Shop: Judge.me documents no shop header; its payload names the shop in ``shop_domain`` (with
``platform``), as in its sample ``{"review": {...}, "event": "review/created", "shop_domain":
"x.myshopify.com", "platform": "shopify"}``. The body is parsed only to find whose secret to check
(so a body that is not a JSON object, or names no shop, is a 400 or 401: no shop to store it for).
Delivery id: Judge.me sends none that is documented, so it is the SHA-256 of the body.
"""

from __future__ import annotations

import hashlib

from plugin.core.crypto import hmac_sha256, same
from plugin.core.errors import Unauthorized
from webhooks import stored
from webhooks.judgeme.topics import PATH, PLATFORM
from webhooks.readers import parse
from webhooks.receiving import Answer, Delivery
from webhooks.reviews.receiver import accept, shop_for

SIGNATURE_HEADER = "JUDGEME-HMAC-SHA256"
ROUTE = PATH


def valid(secret: str, raw_body: bytes, header: str | None) -> bool:
    """Judge.me: hex(HMAC-SHA256(raw body, secret)), compared in constant time."""
    if not header or not secret:
        return False
    return same(hmac_sha256(secret, raw_body).hex(), header.strip().lower())


def sign(secret: str, raw_body: bytes) -> str:
    """The header value Judge.me would send (tests and the demo sign with it)."""
    return hmac_sha256(secret, raw_body).hex()


def receive(delivery: Delivery) -> Answer:
    raw = delivery.raw
    body = parse(raw)
    domain = body.get("shop_domain")
    shop = shop_for(domain if isinstance(domain, str) else None)
    if not valid(delivery.runtime.vault.webhook_secret(shop.id), raw, delivery.header(SIGNATURE_HEADER)):
        raise Unauthorized("webhook signature does not match")
    topic = body.get("event") if isinstance(body.get("event"), str) else ""
    # Signed: stored whatever it holds (mapped by the worker; invalid when its keys cannot be read).
    return accept(shop, PLATFORM, topic, "sha256:" + hashlib.sha256(raw).hexdigest(), raw,
                  stored.keys(PLATFORM, topic, body))
