"""Shopify OAuth install: authorize redirect, verified callback, token storage and renewal."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from flask import Blueprint, jsonify, redirect, request, session

from plugin.config import Settings, load_settings
from plugin.core import clock, db
from plugin.core.crypto import Vault, same
from plugin.core.errors import LoyaltyError, Unauthorized
from plugin.core.models import Shop
from plugin.customers import shops
from plugin.http.manifest import manifest, subscriptions
from plugin.http.runtime import runtime
from plugin.platforms import PlatformError
from plugin.platforms.shopify.client import ShopifyClient, Token, oauth_query_valid, shop_currency

log = logging.getLogger(__name__)

bp = Blueprint("install", __name__)

CALLBACK_PATH = "/auth/callback"
STATE_KEY = "shopify_oauth_state"
MAX_AGE = timedelta(hours=24)  # a signed callback older (or further ahead) than this is refused
RENEW_AHEAD = timedelta(hours=24)  # the periodic job renews tokens that lapse within this
USE_MARGIN = timedelta(minutes=5)  # access_token() renews a token that lapses within this


class NotConfigured(LoyaltyError):
    status, code = 503, "not_configured"


def _settings() -> Settings:
    settings = runtime().settings
    if not (settings.shopify_api_key and settings.shopify_api_secret):
        raise NotConfigured("this app is not configured for Shopify: "
                            "set SHOPIFY_API_KEY and SHOPIFY_API_SECRET")
    return settings


def _domain(value: str | None) -> str:
    try:
        return shops.normalise_domain("shopify", value or "")
    except shops.ShopError as exc:
        raise LoyaltyError(str(exc)) from None


def _fresh(timestamp: str | None) -> bool:
    """A replayed callback (an old code with a valid signature) is refused by its age."""
    try:
        sent = datetime.fromtimestamp(int(timestamp), UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return False
    return abs(clock.now() - sent) <= MAX_AGE


@bp.get("/install")
def install():
    settings = _settings()
    domain = _domain(request.args.get("shop"))
    state = secrets.token_urlsafe(32)
    session[STATE_KEY] = state
    query = urlencode({
        "client_id": settings.shopify_api_key,
        "scope": ",".join(manifest()["scopes"]),
        "redirect_uri": settings.public_url + CALLBACK_PATH,
        "state": state,
        "grant_options[]": "",  # empty: an offline token, for webhooks and jobs
    })
    return redirect(f"https://{domain}/admin/oauth/authorize?{query}")


@bp.get(CALLBACK_PATH)
def callback():
    settings = _settings()
    expected = session.pop(STATE_KEY, None)  # single use, even when a check below fails
    args = request.args
    params = {key: args.getlist(key) if key.endswith("[]") else args[key] for key in args}
    if not oauth_query_valid(settings.shopify_api_secret, params, params.get("hmac")):
        raise Unauthorized("the install callback's hmac does not match")
    if not _fresh(params.get("timestamp")):
        raise Unauthorized("the install callback is stale; start the install again")
    if not expected or not same(expected, params.get("state") or ""):
        raise Unauthorized("the install callback's state does not match; start the install again")
    domain = _domain(params.get("shop"))
    if not params.get("code"):
        raise LoyaltyError("the install callback has no code")
    token = ShopifyClient(domain).exchange_code(settings.shopify_api_key,
                                                settings.shopify_api_secret, params["code"])
    # Points, caps and analytics are in the shop's currency: read it now, never assume one.
    currency = shop_currency(ShopifyClient(domain, token.access_token))
    with db.database.atomic():
        shop, _ = shops.register("shopify", domain, own_webhook_secret=False)
        # Shopify signs this shop's webhooks with the app secret from now on.
        _save(shop.id, token, runtime().vault, own_webhook_secret=False, currency=currency)
    shops.forget_cached()  # this process's receivers must see the new signing mode at once
    topics = ShopifyClient(domain, token.access_token).subscribe_webhooks(
        settings.public_url, subscriptions("shopify"))
    return jsonify(
        status="installed", shop=domain, webhooks=topics,
        api_key="never shown in a browser: the operator prints it with `loyalty shops add "
                f"--platform shopify --domain {domain} --app-signed`",
    )


def _save(shop_id: int, token: Token, vault: Vault, **fields) -> None:
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
        _save(shop_id, token, vault)
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
