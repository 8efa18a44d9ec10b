"""Shopify's OAuth install: the authorize redirect and the verified callback, which stores the
shop's offline tokens (plugin.platforms.shopify.tokens) and subscribes its webhooks."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from flask import Blueprint, jsonify, redirect, request, session

from plugin.config import Settings
from plugin.core import clock, db
from plugin.core.crypto import same
from plugin.core.errors import LoyaltyError, Unauthorized
from plugin.core.models import Shop
from plugin.customers import shops
from plugin.http.manifest import manifest
from plugin.http.runtime import runtime
from plugin.platforms import registry
from plugin.platforms.contract import Access
from plugin.platforms.shopify import tokens
from plugin.platforms.shopify.client import ShopifyClient, oauth_query_valid, shop_currency
from webhooks.shopify.topics import INBOUND

bp = Blueprint("install", __name__)

CALLBACK_PATH = "/auth/callback"
STATE_KEY = "shopify_oauth_state"
MAX_AGE = timedelta(hours=24)  # a signed callback older (or further ahead) than this is refused


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
        tokens.save(shop.id, token, runtime().vault, own_webhook_secret=False, currency=currency)
    shops.forget_cached()  # this process's receivers must see the new signing mode at once
    platform = registry.PLATFORMS["shopify"]  # the webhooks the manifest declares, subscribed now
    platform.install(Shop.get_by_id(shop.id), Access(settings, runtime().vault))
    return jsonify(
        status="installed", shop=domain, webhooks=list(INBOUND.subscribed),
        api_key="never shown in a browser: the operator prints it with `loyalty shops add "
                f"--platform shopify --domain {domain} --app-signed`",
    )
