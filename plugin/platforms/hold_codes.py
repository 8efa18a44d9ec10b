"""Killing a redemption hold's discount code on its store platform, before its points go back.

A hold's points are only returned once nobody can use its code any more; a platform we cannot
reach raises PlatformError, the hold stays ``releasing`` and the retry job tries again.
"""

from __future__ import annotations

from collections.abc import Callable

from plugin.core.models import Hold, Shop
from plugin.platforms import registry
from plugin.platforms.contract import Access


def has_platform_code(hold: Hold) -> bool:
    """True when the hold's code lives on a platform (it has an id there); the plugin's own codes
    (custom stores, InSales' external discount) die with the hold itself."""
    return bool(hold.platform_discount_id)


def killer(access: Access | None = None) -> Callable[[Hold], None]:
    """A function that kills a hold's code; access from the environment unless given (jobs)."""

    def kill(hold: Hold) -> None:
        if not has_platform_code(hold):
            return
        shop = Shop.get_by_id(hold.shop_id)
        registry.of(shop).kill_code(shop, hold, access or Access.from_environment())

    return kill
