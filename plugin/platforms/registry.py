"""Every store platform the plugin serves, by the name a shop row carries (``Shop.platform``)."""

from __future__ import annotations

from plugin.core.models import Shop
from plugin.platforms.contract import Platform
from plugin.platforms.ecwid.adapter import Ecwid
from plugin.platforms.insales.adapter import InSales
from plugin.platforms.shopify.adapter import Shopify
from plugin.platforms.woocommerce.adapter import WooCommerce

PLATFORMS: dict[str, Platform] = {platform.name: platform for platform in (
    Shopify(), InSales(), Ecwid(), WooCommerce(), Platform())}


def of(shop: Shop) -> Platform:
    """The shop's platform; a platform this build does not know gets the plugin's own codes."""
    return PLATFORMS.get(shop.platform) or PLATFORMS["custom"]
