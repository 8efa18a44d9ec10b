"""A shop's one currency (ISO 4217), and the error a shop's facts raise; apart from shops, so a
platform adapter can set the currency it reads at install without importing the registry."""

from __future__ import annotations

import re

from plugin.core.models import Order, Shop

CURRENCY = re.compile(r"^[A-Z]{3}$")


class ShopError(ValueError):
    """A shop domain, platform or currency the plugin cannot accept."""


def normalise_currency(code: str | None) -> str:
    """An ISO 4217 code, upper-case (``rub`` -> ``RUB``)."""
    code = (code or "").strip().upper()
    if not CURRENCY.match(code):
        raise ShopError(f"not a currency code (ISO 4217, e.g. RUB, EUR, USD): {code!r}")
    return code


def set_currency(shop: Shop, code: str) -> None:
    """Give the shop its one currency; refused once it has orders in another (never mixed)."""
    code = normalise_currency(code)
    if code == shop.currency:
        return
    if Order.select().where((Order.shop == shop.id) & (Order.currency != code)).exists():
        raise ShopError(f"{shop.domain} already has orders in {shop.currency}; "
                        f"its currency cannot become {code}")
    Shop.update(currency=code).where(Shop.id == shop.id).execute()
    shop.currency = code
