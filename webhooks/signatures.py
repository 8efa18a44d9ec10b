"""Webhook signature checks over the raw body, in constant time."""

from __future__ import annotations

import base64
import binascii

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from plugin.core.crypto import hmac_sha256, same


def shopify_valid(secret: str, raw_body: bytes, header: str | None) -> bool:
    """Shopify: base64(HMAC-SHA256(body, app secret)) in X-Shopify-Hmac-Sha256."""
    if not header:
        return False
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return same(hmac_sha256(secret, raw_body), given)


def shopify_sign(secret: str, raw_body: bytes) -> str:
    """The header value Shopify would send; the demo and the benchmarks sign with it."""
    return base64.b64encode(hmac_sha256(secret, raw_body)).decode()


#: Standard Webhooks' headers (https://www.standardwebhooks.com): the delivery id, the unix
#: send time (five minutes' tolerance either way) and ``v1,<base64 HMAC>`` signatures.
STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def standard_secret(secret: str) -> str:
    """The shop's webhook secret as Standard Webhooks spells a secret: whsec_<base64 of the key>,
    so a store's Standard Webhooks library signs with exactly the secret's UTF-8 bytes."""
    return "whsec_" + base64.b64encode(secret.encode()).decode()


def standard_valid(secret: str, text: str, headers: dict[str, str]) -> str | None:
    """None when ``headers`` sign ``text`` with the shop's secret in time, else why not
    (verified with the ``standardwebhooks`` library; a malformed signature list is a no too)."""
    try:
        Webhook(standard_secret(secret)).verify(text, headers, json_parse=False)
    except (WebhookVerificationError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return None
