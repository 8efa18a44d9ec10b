"""Webhook signature checks over the raw body, in constant time."""

from __future__ import annotations

import base64
import binascii

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


def standard_secret(secret: str) -> str:
    """The shop's webhook secret as Standard Webhooks spells a secret: whsec_<base64 of the key>
    (the store's Standard Webhooks library signs with exactly those bytes)."""
    return "whsec_" + base64.b64encode(secret.encode()).decode()
