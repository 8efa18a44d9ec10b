"""Who is using the dashboard: a signed session cookie for one shop, with a CSRF token for forms.

A session opens from a Shopify admin load (signed query and/or App Bridge session token) or
from the shop's API key typed into the sign-in form (custom stores). It names one shop and the
staff member (the actor recorded on what they change); every page reads ``g.shop`` from it and
scopes its queries by it. The cookie carries only the session's random id; the session itself is
a DashboardSession row, so it ends for every copy of the cookie after MAX_AGE, on sign-out, when
the shop is uninstalled (or installed again), or (API key sessions) when the shop's key is rotated.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import g, redirect, render_template, request, session, url_for

from plugin.core import clock, csvfile
from plugin.core.crypto import same
from plugin.core.errors import LoyaltyError, Unauthorized
from plugin.core.models import DashboardSession, Shop
from plugin.core.status import SessionVia
from plugin.customers import shops
from plugin.dashboard.i18n import language
from plugin.dashboard.shopify_auth import NotVerified, session_token_shop, signed_query_shop
from plugin.http.bodies import refuse_nul
from plugin.http.oauth import NotConfigured
from plugin.http.routes import Routes
from plugin.http.runtime import runtime

routes = Routes()

log = logging.getLogger(__name__)

SESSION_KEY = "dashboard"
CSRF_KEY = "dashboard_csrf"
CSRF_FIELD = "csrf_token"
MAX_AGE = timedelta(hours=12)
MAX_NAME = 100
PUBLIC_ENDPOINTS = {"dashboard.entry", "dashboard.sign_in_form", "dashboard.sign_in", "dashboard.static"}
#: Forms that carry a CSV file (or its text): their body may be as large as an export, so the
#: limit is raised before the CSRF check reads the form.
FILE_ENDPOINTS = {"dashboard.bulk_preview", "dashboard.bulk_apply", "dashboard.import_start"}


class CsrfRejected(LoyaltyError):
    status, code = 403, "csrf_rejected"


@dataclass(frozen=True)
class Staff:
    shop: Shop
    actor: str
    via: str  # "shopify" (an admin load) or "api_key" (the sign-in form)


def csrf_token() -> str:
    """The session's CSRF token, made on first use (the sign-in form needs one before a session)."""
    if not session.get(CSRF_KEY):
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return session[CSRF_KEY]


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _cookie_hash() -> str | None:
    data = session.get(SESSION_KEY)
    session_id = data.get("id") if isinstance(data, dict) else None
    return _hash(session_id) if isinstance(session_id, str) and session_id else None


def open_session(shop: Shop, actor: str, via: str) -> None:
    """Sign in for ``shop`` (ending the session this cookie had) with a fresh CSRF token."""
    now, session_id = clock.now(), secrets.token_urlsafe(32)
    end_session()
    DashboardSession.delete().where((DashboardSession.shop == shop.id)
                                    & (DashboardSession.expires_at <= now)).execute()
    DashboardSession.create(shop=shop.id, id_hash=_hash(session_id), actor=actor[:255], via=via,
                            key_version=shop.key_version, installed_at=shop.installed_at,
                            created_at=now, expires_at=now + MAX_AGE)
    session[SESSION_KEY] = {"id": session_id}
    session[CSRF_KEY] = secrets.token_urlsafe(32)


def end_session() -> None:
    """Delete this cookie's session row, so no copy of the cookie signs in again."""
    id_hash = _cookie_hash()
    if id_hash is not None:
        DashboardSession.delete().where(DashboardSession.id_hash == id_hash).execute()
    session.pop(SESSION_KEY, None)


def current_staff() -> Staff | None:
    id_hash = _cookie_hash()
    if id_hash is None:
        return None
    row = (DashboardSession.select(DashboardSession, Shop).join(Shop)
           .where((DashboardSession.id_hash == id_hash) & Shop.active).first())
    if row is None or row.expires_at <= clock.now():
        return None
    shop = row.shop
    if row.installed_at != shop.installed_at:  # uninstalled and installed again since
        return None
    if row.via == SessionVia.API_KEY and row.key_version != shop.key_version:
        return None
    return Staff(shop=shop, actor=row.actor, via=row.via)


@routes.before_request
def authenticate():
    """Language first (every page, sign-in included, is translated), then CSRF, then the shop."""
    g.lang = language(remember=True)
    if request.method == "POST":
        if request.endpoint in FILE_ENDPOINTS:
            request.max_content_length = request.max_form_memory_size = csvfile.MAX_FILE_BYTES
        refuse_nul(value for _, value in request.form.items(multi=True))
        expected, given = session.get(CSRF_KEY), request.form.get(CSRF_FIELD, "")
        if not expected or not same(expected, given):
            raise CsrfRejected("the form is stale or was not sent by this dashboard; reload the page")
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    staff = current_staff()
    if staff is None:
        if request.method == "GET":
            return redirect(url_for("dashboard.sign_in_form"))
        raise Unauthorized("sign in to the dashboard first")
    g.staff, g.shop = staff, staff.shop
    return None


@routes.get("")
def entry():
    """The app URL: a Shopify admin load signs in; otherwise the overview or the sign-in form."""
    if "hmac" in request.args or "id_token" in request.args:
        return _shopify_load()
    return redirect(url_for("dashboard.overview" if current_staff() else "dashboard.sign_in_form"))


def _shopify_load():
    settings = runtime().settings
    if not (settings.shopify_api_key and settings.shopify_api_secret):
        raise NotConfigured("this app is not configured for Shopify: "
                            "set SHOPIFY_API_KEY and SHOPIFY_API_SECRET")
    args = request.args
    params = {key: args.getlist(key) if key.endswith("[]") else args[key] for key in args}
    user = None
    try:
        domain = signed_query_shop(params, settings.shopify_api_secret) if "hmac" in params else None
        if params.get("id_token"):
            token_domain, user = session_token_shop(params["id_token"], settings.shopify_api_key,
                                                    settings.shopify_api_secret)
            if domain is not None and token_domain != domain:
                raise NotVerified("the session token is for another shop than the query")
            domain = token_domain
    except NotVerified as exc:
        log.info("refused a Shopify admin load: %s", exc)
        raise Unauthorized(f"open this page from your Shopify admin ({exc})") from None
    shop = shops.by_domain("shopify", domain)
    if shop is None or not shop.active:
        g.frame_shop = domain
        return render_template("dashboard/not_installed.html", domain=domain,
                               install_url=url_for("install.install", shop=domain)), 404
    open_session(shop, f"Shopify staff {user}" if user else "Shopify staff", via=SessionVia.SHOPIFY)
    return redirect(url_for("dashboard.overview"))


@routes.get("/sign-in")
def sign_in_form():
    return render_template("dashboard/sign_in.html", name="", error=None)


@routes.post("/sign-in")
def sign_in():
    """The shop's API key and the staff member's name (recorded as the actor of their changes)."""
    name = " ".join(request.form.get("name", "").split())[:MAX_NAME]
    shop = shops.by_api_key(runtime().vault, request.form.get("api_key", "").strip())
    error = "sign_in.bad_key" if shop is None else "sign_in.need_name" if not name else None
    if error:
        return render_template("dashboard/sign_in.html", name=name, error=error), 401 if shop is None else 422
    open_session(shop, name, via=SessionVia.API_KEY)
    return redirect(url_for("dashboard.overview"))


@routes.post("/sign-out")
def sign_out():
    end_session()
    session[CSRF_KEY] = secrets.token_urlsafe(32)
    return redirect(url_for("dashboard.sign_in_form"))
