"""Shopify on the platform contract: a single-use discount per hold over the Admin GraphQL API,
webhook subscriptions at install, past orders for the simulator (shopify.history); Shopify retries
its webhooks, so nothing to reconcile."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from plugin.core.models import Hold, Shop
from plugin.platforms import PlatformError
from plugin.platforms.contract import Access, Platform
from plugin.platforms.shopify import discounts, history, tokens
from plugin.platforms.shopify.client import ShopifyClient
from webhooks.shopify.topics import INBOUND

#: Shopify's answer when the code is already gone: it is as dead as we want it.
GONE = ("does not exist", "not found")


class Shopify(Platform):
    name = "shopify"
    store_signs_tokens = False  # the app proxy names the shopper
    lists_orders = True

    def _client(self, shop: Shop, access: Access) -> ShopifyClient:
        return ShopifyClient(shop.domain, tokens.access_token(shop, access.vault, access.settings))

    def install(self, shop: Shop, access: Access) -> None:
        self._client(shop, access).subscribe_webhooks(
            access.settings.public_url, [(topic, INBOUND.path) for topic in INBOUND.subscribed])

    def make_code(self, shop: Shop, hold: Hold, customer_id: str, access: Access) -> str | None:
        if not shop.access_token:  # registered by hand, never installed: the plugin's own code
            return None
        return discounts.create_discount(self._client(shop, access), discounts.discount_input(
            hold.code, str(hold.amount), customer_id, hold.created_at.isoformat() + "Z",
            hold.expires_at.isoformat() + "Z"))

    def kill_code(self, shop: Shop, hold: Hold, access: Access) -> None:
        if not hold.platform_discount_id or not shop.access_token:
            return
        try:
            discounts.delete_discount(self._client(shop, access), hold.platform_discount_id)
        except PlatformError as exc:
            if not any(word in str(exc.message).lower() for word in GONE):
                raise

    def past_orders(self, shop: Shop, first: date, last: date, access: Access) -> Iterator[list]:
        return history.past_orders(self._client(shop, access), first, last)
