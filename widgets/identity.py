"""Who the shopper is: a signed Shopify app proxy request, a customer token, or nobody.

Plain functions over a query and headers (the blueprint extracts them from the request), so the
rules are tested without HTTP. Every way a credential can fail is the same 401 with the same
message: a caller learns nothing about the customer, the shop or which check failed. The one
exception is a token correctly signed by the shop that lives too long: its 401 says so.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from plugin import customers
from plugin.core import clock
from plugin.core.crypto import Vault, hmac_sha256, same
from plugin.core.errors import LoyaltyError, NotFound, Unauthorized
from plugin.core.models import Customer, Shop
from plugin.customers import shops
from plugin.program import versions

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-Loyalty-Token"
SHOP_HEADER = "X-Loyalty-Shop"
PROXY_TOLERANCE = timedelta(hours=24)  # Shopify's own advice for app proxy timestamps
MAX_TOKEN_CHARS = 2048
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{43}")
MAX_CUSTOMER_ID = 64  # Customer.platform_id


class NotTrusted(Unauthorized):
    """A credential was presented and does not hold; the message never says why."""

    headers = {"WWW-Authenticate": 'Bearer realm="loyalty-widget"'}

    def __init__(self) -> None:
        super().__init__("the sign-in is not valid; sign in again")


class TokenTooLong(Unauthorized):
    """A token signed by the shop that lives longer than the shop allows (or never expires).

    Only a holder of the shop's widget secret can make one, so saying why tells a forger nothing
    and tells the store's developer what to fix."""

    headers = NotTrusted.headers

    def __init__(self, days: int) -> None:
        super().__init__(f"the customer token must expire ('exp') within {days} days of being "
                         f"issued ('iat'); this shop allows no longer: sign a shorter one")


class ShopRequired(LoyaltyError):
    code = "shop_required"


@dataclass(frozen=True)
class Shopper:
    """The shop a widget request is for and, when signed in, the shopper's platform customer id."""

    shop: Shop
    customer_id: str | None
    via: str  # "app_proxy", "token" or "anonymous"

    @property
    def signed_in(self) -> bool:
        return self.customer_id is not None

    def customer(self) -> Customer | None:
        """The signed-in shopper's customer row (None: anonymous, or a shopper never seen yet)."""
        return customers.find(self.shop.id, self.customer_id) if self.signed_in else None


# --- Shopify app proxy -------------------------------------------------------------------------

def proxy_message(params: Mapping[str, str | list[str]]) -> str:
    """Shopify's app proxy string: sorted 'key=value' pairs with no separator, lists comma-joined."""
    pairs = []
    for key, value in params.items():
        if key == "signature":
            continue
        values = [value] if isinstance(value, str) else list(value)
        pairs.append(f"{key}={','.join(values)}")
    return "".join(sorted(pairs))


def proxy_signature(secret: str, params: Mapping[str, str | list[str]]) -> str:
    """The hex HMAC-SHA256 Shopify puts in the ``signature`` parameter (tests and demos sign with it)."""
    return hmac_sha256(secret, proxy_message(params).encode()).hex()


def proxy_signature_valid(secret: str, params: Mapping[str, str | list[str]], given: str | None) -> bool:
    """Constant-time check of the ``signature`` parameter over the rest of the query."""
    if not secret or not given:
        return False
    return same(proxy_signature(secret, params), given.strip().lower())


def _single(params: Mapping[str, str | list[str]], key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, list):
        return value[0] if len(value) == 1 else None
    return value


def from_app_proxy(app_secret: str | None, params: Mapping[str, str | list[str]], *,
                   now: datetime | None = None) -> Shopper:
    """The shopper of a signed app proxy request: fresh timestamp, active shop, customer or anonymous."""
    if not proxy_signature_valid(app_secret or "", params, _single(params, "signature")):
        raise NotTrusted()
    try:
        stamp = datetime.fromtimestamp(int(_single(params, "timestamp") or ""), UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        raise NotTrusted() from None
    if abs((now or clock.now()) - stamp) > PROXY_TOLERANCE:
        log.info("app proxy request with a stale timestamp")
        raise NotTrusted()
    shop = shops.for_receiver("shopify", _single(params, "shop") or "")
    if shop is None or not shop.active:
        raise NotTrusted()
    customer = _single(params, "logged_in_customer_id") or None
    if customer is not None and len(customer) > MAX_CUSTOMER_ID:
        raise NotTrusted()
    return Shopper(shop, customer, "app_proxy")


# --- customer tokens ---------------------------------------------------------------------------

def widget_secret(vault: Vault, shop: Shop) -> str:
    """The shop's widget signing secret, derived (never stored); rotating key_version revokes tokens."""
    return vault.derive("widget", shop.id, shop.key_version)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def max_lifetime_days(shop: Shop) -> int:
    """The longest a customer token of this shop may live (the program's customer_token_max_days)."""
    return versions.current(shop.id)[1]["customer_token_max_days"]


def issue_token(vault: Vault, shop: Shop, customer_id: str, ttl: int | timedelta) -> str:
    """A customer token the store's backend puts in the widget's ``data-`` attribute.

    ``base64url(json payload).base64url(hmac-sha256 of the first part)``, payload
    ``{"shop": domain, "customer": platform id, "iat": unix seconds, "exp": unix seconds}``; a
    ``ttl`` beyond the shop's maximum lifetime raises ValueError (such a token would be refused).
    """
    seconds = int(ttl.total_seconds()) if isinstance(ttl, timedelta) else int(ttl)
    days = max_lifetime_days(shop)
    if seconds > days * 86400:
        raise ValueError(f"a customer token of this shop lives at most {days} days")
    issued = _unix(clock.now())
    payload = {"shop": shop.domain, "customer": str(customer_id), "iat": issued, "exp": issued + seconds}
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(hmac_sha256(widget_secret(vault, shop), body.encode()))}"


def read_token(vault: Vault, shop: Shop, token: str | None, *, now: datetime | None = None) -> str:
    """The customer id of a valid, unexpired token of this shop; NotTrusted otherwise."""
    token = (token or "").strip()
    if len(token) > MAX_TOKEN_CHARS or not TOKEN_SHAPE.fullmatch(token):
        raise NotTrusted()
    body, signature = token.split(".")
    expected = _b64(hmac_sha256(widget_secret(vault, shop), body.encode()))
    if not same(expected, signature):
        raise NotTrusted()
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError):
        raise NotTrusted() from None
    if not isinstance(payload, dict):
        raise NotTrusted()
    customer, exp, issued = payload.get("customer"), payload.get("exp"), payload.get("iat")
    if isinstance(customer, int) and not isinstance(customer, bool):
        customer = str(customer)  # a store backend may send its numeric ids as numbers
    moment = _unix(now or clock.now())
    if (payload.get("shop") != shop.domain or not isinstance(customer, str)
            or not 0 < len(customer) <= MAX_CUSTOMER_ID):
        raise NotTrusted()
    days = max_lifetime_days(shop)
    if not _whole(exp) or (issued is not None and not _whole(issued)):
        raise TokenTooLong(days)
    if exp <= moment:
        raise NotTrusted()
    # The lifetime counts from the earlier of "iat" and now: a token stamped in the future (or
    # with no "iat") cannot outlive the maximum from today.
    start = moment if issued is None else min(issued, moment)
    if exp - start > days * 86400:
        raise TokenTooLong(days)
    return customer


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def token_from_headers(headers: Mapping[str, str]) -> str | None:
    """``Authorization: Bearer <token>`` or ``X-Loyalty-Token``; another scheme is a bad credential."""
    authorization = (headers.get("Authorization") or "").strip()
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotTrusted()
        return token.strip()
    token = (headers.get(TOKEN_HEADER) or "").strip()
    return token or None


# --- the whole decision ------------------------------------------------------------------------

def shop_named(domain: str | None) -> Shop | None:
    """The active shop with this domain, whatever its platform (cached for a few seconds)."""
    domain = (domain or "").strip().lower()
    if not domain:
        return None
    for platform in shops.PLATFORMS:
        shop = shops.for_receiver(platform, domain)
        if shop is not None and shop.active:
            return shop
    return None


def named_domain(query: Mapping[str, str | list[str]], headers: Mapping[str, str]) -> str | None:
    """The shop a request names: the X-Loyalty-Shop header, else the ``shop`` query parameter."""
    return (headers.get(SHOP_HEADER) or "").strip() or _single(query, "shop")


def identify(vault: Vault, app_secret: str | None, query: Mapping[str, str | list[str]],
             headers: Mapping[str, str], *, now: datetime | None = None) -> Shopper:
    """App proxy when the query is signed, else a customer token, else an anonymous visitor."""
    if "signature" in query:
        return from_app_proxy(app_secret, query, now=now)
    token = token_from_headers(headers)
    shop = shop_named(named_domain(query, headers))
    if token is not None:
        if shop is None:
            raise NotTrusted()
        return Shopper(shop, read_token(vault, shop, token, now=now), "token")
    if named_domain(query, headers) is None:
        raise ShopRequired(f"name the shop with the {SHOP_HEADER} header")
    if shop is None:
        raise NotFound("no such shop")
    return Shopper(shop, None, "anonymous")


# --- CORS --------------------------------------------------------------------------------------

def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origin(origin: str | None, shop: Shop | None, public_url: str) -> bool:
    """The shop's storefront (https://<domain>) and the app's own origin (the demo storefront).

    Without a known shop (a preflight cannot carry X-Loyalty-Shop's value) any active shop's own
    origin passes the preflight; the real request is then checked against the shop it names.
    """
    origin = (origin or "").strip().lower()
    if not origin or origin == "null":
        return False
    if origin == origin_of(public_url):
        return True
    if not origin.startswith("https://"):
        return False
    host = origin.removeprefix("https://")
    if shop is not None:
        return host == shop.domain
    return shop_named(host) is not None
