"""Registering shops and recognising them by domain or API key."""

from __future__ import annotations

import re
import time

import peewee

from plugin.core import clock
from plugin.core.crypto import Vault, same
from plugin.core.db import database
from plugin.core.models import Shop
from plugin.customers.currency import CURRENCY as CURRENCY
from plugin.customers.currency import ShopError
from plugin.customers.currency import normalise_currency as normalise_currency
from plugin.customers.currency import set_currency as set_currency
from plugin.platforms import registry

PLATFORMS = tuple(registry.PLATFORMS)  # the one list: plugin.platforms.registry
SHOPIFY_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
#: An Ecwid store is named by its numeric store id: its shop's domain is that id.
STORE_ID = re.compile(r"^[1-9][0-9]{0,17}$")
PATTERNS = {"shopify": SHOPIFY_DOMAIN, "ecwid": STORE_ID}


def normalise_domain(platform: str, domain: str) -> str:
    """Lower-case host name; Shopify domains must be <name>.myshopify.com (no open redirects), an
    Ecwid shop's is its store id."""
    if platform not in PLATFORMS:
        raise ShopError(f"platform must be one of {', '.join(PLATFORMS)}, got {platform!r}")
    domain = (domain or "").strip().lower()
    pattern = PATTERNS.get(platform, HOSTNAME)
    if not pattern.match(domain):
        raise ShopError(f"not a valid {platform} shop domain: {domain!r}")
    return domain


def by_domain(platform: str, domain: str) -> Shop | None:
    return Shop.get_or_none((Shop.platform == platform) & (Shop.domain == domain))


#: Webhook receivers look a shop up on every delivery; a few seconds of staleness (an uninstall
#: or a changed signing mode seen late) is harmless, a query per webhook is not.
RECEIVER_CACHE_SECONDS = 5.0
_receiver_cache: dict[tuple[str, str | int], tuple[float, Shop]] = {}


def _cached(key: tuple[str, str | int], load) -> Shop | None:
    now = time.monotonic()
    hit = _receiver_cache.get(key)
    if hit and hit[0] > now:
        return hit[1]
    shop = load()
    if shop is not None:
        if len(_receiver_cache) > 10_000:
            _receiver_cache.clear()
        _receiver_cache[key] = (now + RECEIVER_CACHE_SECONDS, shop)
    return shop


def for_receiver(platform: str, domain: str) -> Shop | None:
    """``by_domain`` through a short per-process cache (only shops that exist are cached)."""
    return _cached((platform, domain), lambda: by_domain(platform, domain))


def for_receiver_id(platform: str, shop_id: int) -> Shop | None:
    """The shop of this id and platform, through the same cache (receivers whose address names the
    shop by id: InSales')."""
    return _cached((platform, shop_id),
                   lambda: Shop.get_or_none((Shop.id == shop_id) & (Shop.platform == platform)))


def forget_cached() -> None:
    """Drop the receivers' cached shops (tests, and after changing a shop in this process)."""
    _receiver_cache.clear()


def register(platform: str, domain: str, *, own_webhook_secret: bool = True) -> tuple[Shop, bool]:
    """Create the shop, or return the existing one (reactivated); the flag says if it was new."""
    domain = normalise_domain(platform, domain)
    shop = by_domain(platform, domain)
    if shop is None:
        try:
            with database.atomic():
                return Shop.create(platform=platform, domain=domain,
                                   own_webhook_secret=own_webhook_secret), True
        except peewee.IntegrityError:
            shop = by_domain(platform, domain)
    if not shop.active:
        Shop.update(active=True, installed_at=clock.now(), uninstalled_at=None).where(
            Shop.id == shop.id).execute()
        shop.active = True
    return shop, False


def by_api_key(vault: Vault, api_key: str) -> Shop | None:
    """The active shop whose derived key this is; constant-time, no stored key to leak."""
    match = re.fullmatch(r"lk_(\d{1,18})_[A-Za-z0-9_-]{43}", api_key or "")
    if not match:
        return None
    shop = Shop.get_or_none((Shop.id == int(match.group(1))) & Shop.active)
    if shop is None or not same(vault.api_key(shop.id, shop.key_version), api_key):
        return None
    return shop
