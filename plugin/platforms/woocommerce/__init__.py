"""WooCommerce: the store's REST keys (granted by ``/wc-auth/v1/authorize``, kept encrypted), the
REST API client and the adapter on the platform contract (webhooks created at install and deleted
at disconnect, refunds' and products' facts read once before a batch, a single-use coupon per hold).

It imports core/, customers/, program/ and the platform contract; no Flask."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets

from plugin.core.crypto import Vault, same
from plugin.platforms import PlatformError


def keys_token(vault: Vault, consumer_key: str, consumer_secret: str) -> str:
    """The REST keys as ``Shop.access_token`` keeps them: one encrypted JSON object."""
    return vault.encrypt(json.dumps({"key": consumer_key, "secret": consumer_secret}))


def keys_of(vault: Vault, token: str | None, domain: str) -> tuple[str, str]:
    """(consumer key, consumer secret) from ``Shop.access_token``; PlatformError when there are none."""
    try:
        keys = json.loads(vault.decrypt(token) or "null")
    except ValueError:
        keys = None
    if not isinstance(keys, dict) or not keys.get("key") or not keys.get("secret"):
        raise PlatformError(f"no WooCommerce REST keys for {domain}; connect the store again")
    return keys["key"], keys["secret"]


#: A connect token is refused after this many seconds (the owner approves the keys within it).
CONNECT_MAX_AGE = 3600
_CONNECT = "woocommerce-connect"


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def connect_token(vault: Vault, domain: str, now: int) -> str:
    """``user_id`` of the authorize URL: the store's domain and the time, signed with the vault, so
    the keys WooCommerce posts back are tied to a connect this app began (a nonce keeps two apart)."""
    nonce = secrets.token_urlsafe(12)
    mac = vault.derive(f"{_CONNECT}:{domain}:{now}:{nonce}", 0)
    return f"{_b64(domain)}.{now}.{nonce}.{mac}"


def connect_domain(vault: Vault, token: object, now: int) -> str | None:
    """The domain a connect token names, when the vault signed it less than an hour ago; else None."""
    parts = token.split(".") if isinstance(token, str) and len(token) <= 512 else []
    if len(parts) != 4 or not parts[1].isascii() or not parts[1].isdigit():
        return None
    try:
        domain = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
    if not same(vault.derive(f"{_CONNECT}:{domain}:{parts[1]}:{parts[2]}", 0), parts[3]):
        return None
    return domain if 0 <= now - int(parts[1]) <= CONNECT_MAX_AGE else None


def grant_id(token: str) -> str:
    """The PlatformObject id a connect's granted keys are remembered under (the token's signature)."""
    return token.rsplit(".", 1)[-1][:64]


def key_digest(consumer_key: str) -> str:
    return hashlib.sha256(consumer_key.encode()).hexdigest()
