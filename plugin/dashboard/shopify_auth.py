"""Recognising the shop of a Shopify admin load: the signed query and the App Bridge session token.

Shopify opens an embedded app at its URL with ``shop``, ``host``, ``timestamp`` and ``hmac`` (the
same hex HMAC-SHA256 as the OAuth redirect) and, with App Bridge, an ``id_token``: a JWT (HS256,
signed with the app secret) whose ``aud`` is the app's API key and ``dest`` the shop's URL.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime

from plugin.core import clock
from plugin.core.crypto import hmac_sha256, same
from plugin.core.jsonbody import MalformedJson, loads_object
from plugin.customers import shops
from plugin.http.oauth import MAX_AGE
from plugin.platforms.shopify.client import oauth_query_valid

LEEWAY_SECONDS = 10  # clock skew allowed on a session token's exp and nbf


class NotVerified(ValueError):
    """The load is not signed by Shopify for this app (the message says why, for the log)."""


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _shop_domain(value: str | None) -> str:
    try:
        return shops.normalise_domain("shopify", value or "")
    except shops.ShopError as exc:
        raise NotVerified(str(exc)) from None


def session_token_shop(token: str, api_key: str, secret: str) -> tuple[str, str | None]:
    """(shop domain, Shopify user id) of a valid session token; NotVerified otherwise."""
    try:
        header_part, payload_part, signature_part = token.split(".")
        header = loads_object(_b64url(header_part))  # bounded depth: read before the signature check
        payload = loads_object(_b64url(payload_part))
        signature = _b64url(signature_part)
    except (ValueError, binascii.Error, MalformedJson):
        raise NotVerified("the session token is not a JWT") from None
    if header.get("alg") != "HS256":
        raise NotVerified("the session token is not an HS256 JWT")
    if not same(hmac_sha256(secret, f"{header_part}.{payload_part}".encode()), signature):
        raise NotVerified("the session token's signature does not match")
    now = clock.now().replace(tzinfo=UTC).timestamp()
    exp, nbf = payload.get("exp"), payload.get("nbf")
    if not isinstance(exp, int | float) or now > exp + LEEWAY_SECONDS:
        raise NotVerified("the session token has expired")
    if isinstance(nbf, int | float) and now < nbf - LEEWAY_SECONDS:
        raise NotVerified("the session token is not valid yet")
    audience = payload.get("aud")
    if audience != api_key and not (isinstance(audience, list) and api_key in audience):
        raise NotVerified("the session token is for another app")
    dest = str(payload.get("dest") or "")
    if not dest.startswith("https://"):
        raise NotVerified("the session token names no shop")
    domain = _shop_domain(dest.removeprefix("https://"))
    issuer = str(payload.get("iss") or "")
    if issuer and not issuer.startswith(f"https://{domain}/"):
        raise NotVerified("the session token's issuer is another shop")
    user = payload.get("sub")
    return domain, str(user) if user is not None else None


def signed_query_shop(params: Mapping[str, str | list[str]], secret: str) -> str:
    """The shop of a query signed by Shopify (hmac over the other parameters, fresh timestamp)."""
    if not oauth_query_valid(secret, params, params.get("hmac")):
        raise NotVerified("the query's hmac does not match")
    try:
        sent = datetime.fromtimestamp(int(params.get("timestamp")), UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        raise NotVerified("the query has no valid timestamp") from None
    if abs(clock.now() - sent) > MAX_AGE:
        raise NotVerified("the query is stale")
    return _shop_domain(params.get("shop"))
