"""Shopify's offline tokens: stored encrypted, renewed before they lapse (on use, and by a cron job).

The OAuth views that obtain them live in plugin.http.oauth; nothing here knows HTTP."""

from __future__ import annotations

import logging
from datetime import timedelta

from plugin.config import Settings, load_settings
from plugin.core import clock, db
from plugin.core.crypto import Vault
from plugin.core.models import Shop
from plugin.platforms import PlatformError
from plugin.platforms.shopify.client import ShopifyClient, Token

log = logging.getLogger(__name__)

RENEW_AHEAD = timedelta(hours=24)  # the periodic job renews tokens that lapse within this
USE_MARGIN = timedelta(minutes=5)  # access_token() renews a token that lapses within this


def save(shop_id: int, token: Token, vault: Vault, **fields) -> None:
    """Both tokens encrypted; Shopify rotates the refresh token on every use, so both are replaced."""
    Shop.update(
        access_token=vault.encrypt(token.access_token), token_expires_at=token.expires_at,
        refresh_token=vault.encrypt(token.refresh_token),
        refresh_token_expires_at=token.refresh_token_expires_at, scopes=token.scope, **fields,
    ).where(Shop.id == shop_id).execute()


def _lapsing(shop: Shop, within: timedelta) -> bool:
    return bool(shop.refresh_token and shop.token_expires_at
                and shop.token_expires_at <= clock.now() + within)


def _renew(shop_id: int, vault: Vault, settings: Settings, within: timedelta) -> tuple[Shop, bool]:
    """Refresh under a row lock, so two processes never spend the same refresh token."""
    with db.database.atomic():
        shop = db.locking(Shop.select().where(Shop.id == shop_id)).get()
        if not _lapsing(shop, within):
            return shop, False
        token = ShopifyClient(shop.domain).refresh(settings.shopify_api_key,
                                                   settings.shopify_api_secret,
                                                   vault.decrypt(shop.refresh_token))
        save(shop_id, token, vault)
    return Shop.get_by_id(shop_id), True


def access_token(shop: Shop, vault: Vault, settings: Settings) -> str:
    """The shop's Admin API token for a call about to be made, renewed first if it is lapsing."""
    if _lapsing(shop, USE_MARGIN):
        shop, _ = _renew(shop.id, vault, settings, USE_MARGIN)
    token = vault.decrypt(shop.access_token)
    if token is None:
        raise PlatformError(f"{shop.domain} has no access token; install the app again")
    return token


def refresh_expiring_tokens() -> int:
    """RQ cron job: renew Shopify tokens that lapse within a day; returns how many were renewed."""
    settings = load_settings()
    vault = Vault(settings.secret_key)
    renewed = 0
    with db.session():
        now = clock.now()
        due = [row.id for row in Shop.select(Shop.id).where(
            (Shop.platform == "shopify") & Shop.active & Shop.refresh_token.is_null(False)
            & (Shop.token_expires_at <= now + RENEW_AHEAD)
            & (Shop.refresh_token_expires_at.is_null() | (Shop.refresh_token_expires_at > now))
        ).order_by(Shop.id)]
        for shop_id in due:
            try:
                renewed += _renew(shop_id, vault, settings, RENEW_AHEAD)[1]
            except PlatformError as exc:  # this shop needs a reinstall; the others still renew
                log.warning("token refresh failed for shop %s: %s", shop_id, exc.message)
    return renewed
