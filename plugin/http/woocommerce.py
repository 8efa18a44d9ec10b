"""WooCommerce's connect flow: the owner names the store, WooCommerce's own screen
(``/wc-auth/v1/authorize``) asks them to grant REST keys, WooCommerce posts the keys to our
callback, and the browser comes back to ``/woocommerce/connected``.

The callback is tied to a connect this app began by ``user_id``, a token the vault signed (the
store's domain and the time, refused after an hour). Anyone can begin a connect for any domain, so
keys are trusted only once the store has accepted them: a shop that works keeps its keys until the
install job has seen the new ones work, and the browser that began the connect is signed in to
the dashboard only when the keys it granted are the shop's working keys.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for

from plugin.core import clock, i18n
from plugin.core.db import database
from plugin.core.errors import LoyaltyError, Unauthorized
from plugin.core.jsonbody import loads_object
from plugin.core.models import PlatformObject, Shop
from plugin.core.status import SessionVia
from plugin.customers import shops
from plugin.dashboard.auth import open_session
from plugin.http.runtime import runtime
from plugin.pipeline import platform_jobs
from plugin.platforms import PlatformError
from plugin.platforms.woocommerce import (
    connect_domain,
    connect_token,
    grant_id,
    key_digest,
    keys_of,
    keys_token,
)

bp = Blueprint("woocommerce", __name__, url_prefix="/woocommerce", template_folder="templates")

PLATFORM = "woocommerce"
APP_NAME = "Loyalty"
SCOPE = "read_write"
CONNECT_KEY = "woocommerce_connect"
GRANT_KIND = "woocommerce.grant"  # PlatformObject: keys granted for one connect (their digest)
MAX_KEY = 255


class BadStore(LoyaltyError):
    status, code = 422, "bad_store"


def _lang() -> str:
    return i18n.chosen(request.args.get("lang") or request.accept_languages.best_match(i18n.LANGUAGES))


def store_domain(url: str) -> str:
    """The store's host from its https address; BadStore names why else (its catalogue key)."""
    text = (url or "").strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise BadStore("woocommerce.connect.bad_url") from None
    if parts.scheme.lower() != "https":
        raise BadStore("woocommerce.connect.needs_https")
    if port not in (None, 443) or parts.path.strip("/") or parts.query or parts.username:
        raise BadStore("woocommerce.connect.root_only")
    try:
        return shops.normalise_domain(PLATFORM, parts.hostname or "")
    except shops.ShopError:
        raise BadStore("woocommerce.connect.bad_url") from None


def _page(lang: str, message: str | None = None, *, form: bool = False, store: str = "",
          error: str | None = None, refresh: bool = False):
    return render_template("woocommerce/connect.html", lang=lang, t=partial(i18n.translate, lang),
                           message=message, form=form, store=store, error=error, refresh=refresh)


@bp.get("/connect")
def connect():
    """The store's address, then WooCommerce's own screen that grants the plugin REST keys."""
    lang, store = _lang(), request.args.get("store")
    if store is None:
        return _page(lang, form=True)
    try:
        domain = store_domain(store)
    except BadStore as exc:
        return _page(lang, form=True, store=store[:255], error=exc.message), 422
    public = runtime().settings.public_url
    token = connect_token(runtime().vault, domain, int(clock.now().timestamp()))
    session[CONNECT_KEY] = token
    query = urlencode({"app_name": APP_NAME, "scope": SCOPE, "user_id": token,
                       "return_url": public + url_for("woocommerce.connected"),
                       "callback_url": public + url_for("woocommerce.callback")})
    return redirect(f"https://{domain}/wc-auth/v1/authorize?{query}")


def _key(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_KEY:
        raise LoyaltyError(f"{name}: missing or malformed", fields={name: ["missing or malformed"]})
    return value.strip()


@bp.post("/callback")
def callback():
    """WooCommerce's POST of the granted keys: registered at once, the API work after the answer."""
    body = loads_object(request.get_data(), nul=True)
    user_id = body.get("user_id")
    token = str(user_id) if isinstance(user_id, str | int) and not isinstance(user_id, bool) else ""
    vault = runtime().vault
    domain = connect_domain(vault, token, int(clock.now().timestamp()))
    if domain is None:
        raise Unauthorized("user_id is not a connect this app began in the last hour")
    if body.get("key_permissions") != SCOPE:
        raise LoyaltyError("key_permissions must be read_write: the plugin creates webhooks and coupons",
                           fields={"key_permissions": ["must be read_write"]})
    consumer_key, consumer_secret = _key(body, "consumer_key"), _key(body, "consumer_secret")
    keys = keys_token(vault, consumer_key, consumer_secret)
    with database.atomic():
        existing = shops.by_domain(PLATFORM, domain)
        working = existing is not None and existing.active and existing.access_token is not None
        shop, _ = shops.register(PLATFORM, domain, own_webhook_secret=False)
        if not working:
            Shop.update(access_token=keys, scopes=SCOPE, install_pending=True).where(
                Shop.id == shop.id).execute()
        PlatformObject.insert(shop=shop.id, kind=GRANT_KIND, platform_id=grant_id(token),
                              data={"key": key_digest(consumer_key)}).on_conflict_ignore().execute()
    shops.forget_cached()
    response = jsonify(status="connected", shop=domain)
    # after the 200 has gone: WooCommerce deletes the keys unless the callback answers 200 in time
    response.call_on_close(lambda: platform_jobs.install_soon(shop.id, keys if working else None))
    return response


def _verified(token: str) -> Shop | None:
    """The shop this browser's connect granted working keys to (installed with them), else None."""
    domain = connect_domain(runtime().vault, token, int(clock.now().timestamp()))
    shop = shops.by_domain(PLATFORM, domain) if domain else None
    if shop is None or not shop.active or shop.install_pending:
        return None
    grant = PlatformObject.get_or_none((PlatformObject.shop == shop.id) & (PlatformObject.kind == GRANT_KIND)
                                       & (PlatformObject.platform_id == grant_id(token)))
    try:
        stored = keys_of(runtime().vault, shop.access_token, shop.domain)[0]
    except PlatformError:
        return None
    return shop if grant is not None and grant.data.get("key") == key_digest(stored) else None


@bp.get("/connected")
def connected():
    """WooCommerce sends the browser back here: the dashboard once the keys work, else why not."""
    lang = _lang()
    if request.args.get("success") != "1":
        return _page(lang, "woocommerce.connected.declined")
    token = session.get(CONNECT_KEY)
    if not isinstance(token, str) or token != request.args.get("user_id"):
        return _page(lang, "woocommerce.connected.other_browser"), 403
    shop = _verified(token)
    if shop is None:
        return _page(lang, "woocommerce.connected.setting_up", refresh=True), 202
    session.pop(CONNECT_KEY, None)
    open_session(shop, "WooCommerce owner", via=SessionVia.WOOCOMMERCE)
    return redirect(url_for("dashboard.overview"))
