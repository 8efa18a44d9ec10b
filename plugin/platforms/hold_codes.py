"""Killing a redemption hold's discount code on its store platform, before its points go back.

A hold's points are only returned once nobody can use its code any more; a platform we cannot
reach raises PlatformError, the hold stays ``releasing`` and the retry job tries again.
"""

from __future__ import annotations

from collections.abc import Callable

from plugin.config import Settings, load_settings
from plugin.core.crypto import Vault
from plugin.core.models import Hold, Shop
from plugin.platforms import PlatformError
from plugin.platforms import shopify as shopify_api
from plugin.platforms.shopify import tokens

#: Shopify's answer when the code is already gone: it is as dead as we want it.
GONE = ("does not exist", "not found")


def has_platform_code(hold: Hold) -> bool:
    """True when the hold's code lives on a platform we can reach (a Shopify shop with a token);
    the plugin's own codes (custom stores) die with the hold itself."""
    if not hold.platform_discount_id:
        return False
    shop = Shop.get_by_id(hold.shop_id)
    return shop.platform == "shopify" and bool(shop.access_token)


def killer(settings: Settings | None = None, vault: Vault | None = None) -> Callable[[Hold], None]:
    """A function that deletes a hold's code; settings from the environment unless given (jobs)."""

    def kill(hold: Hold) -> None:
        if not has_platform_code(hold):
            return
        own = settings or load_settings()
        shop = Shop.get_by_id(hold.shop_id)
        token = tokens.access_token(shop, vault or Vault(own.secret_key), own)
        client = shopify_api.ShopifyClient(shop.domain, token)
        try:
            shopify_api.delete_discount(client, hold.platform_discount_id)
        except PlatformError as exc:
            if not any(word in str(exc.message).lower() for word in GONE):
                raise

    return kill
