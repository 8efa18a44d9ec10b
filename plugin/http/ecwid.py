"""Ecwid's OAuth install: ``/ecwid/install`` sends the owner to Ecwid's authorize page with a
single-use state kept in the session; ``/ecwid/callback`` takes Ecwid's code for the store's token
(stored encrypted), registers or reactivates the store and answers the owner in their language;
the API work (currency and name from the profile) runs as a job after the answer.

A state that comes back must be the one this browser was given (single use). One that does not
come back is accepted: an install from Ecwid's App Market starts at Ecwid and brings only a code,
and Ecwid's docs do not say that it returns ``state`` at all. That costs nothing: the callback
opens no session, and a code installs only its own store, so a forged callback can install no
one's store but the forger's.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from flask import Blueprint, Response, make_response, redirect, render_template, request, session

from plugin.config import Settings
from plugin.core import i18n
from plugin.core.crypto import same
from plugin.core.db import database
from plugin.core.models import Shop
from plugin.customers import shops
from plugin.http.oauth import NotConfigured
from plugin.http.runtime import runtime
from plugin.pipeline import platform_jobs, queue
from plugin.platforms import PlatformError
from plugin.platforms.ecwid import AUTHORIZE_URL, NOT_CONFIGURED, SCOPES
from plugin.platforms.ecwid.client import Refused, exchange_code

log = logging.getLogger(__name__)

bp = Blueprint("ecwid", __name__, url_prefix="/ecwid")

PLATFORM = "ecwid"
CALLBACK_PATH = "/ecwid/callback"
STATE_KEY = "ecwid_oauth_state"
MAX_CODE = 512


def _settings() -> Settings:
    settings = runtime().settings
    if not (settings.ecwid_client_id and settings.ecwid_client_secret):
        raise NotConfigured(NOT_CONFIGURED)
    return settings


def _page(key: str, status: int = 200, **values) -> Response:
    """A page for the store owner, in their browser's language (ru or en) from the catalogue."""
    lang = i18n.chosen(request.accept_languages.best_match(i18n.LANGUAGES))
    title = i18n.translate(lang, f"ecwid.{key}.title")
    return make_response(render_template("notify/unsubscribe.html", lang=lang, title=title,  # the plain page
                                         text=i18n.translate(lang, f"ecwid.{key}.text", **values)), status)


def _install_later(shop_id: int) -> None:
    """After the answer: the profile's currency and name (RQ retries it; in-process, a failure is
    logged and the periodic reconciliation asks again while ``install_pending``)."""
    try:
        queue.enqueue_or_run(platform_jobs.install_shop, shop_id)
    except PlatformError as exc:
        log.warning("Ecwid install work for shop %s failed: %s", shop_id, exc.message)


@bp.get("/install")
def install():
    settings = _settings()
    state = secrets.token_urlsafe(32)
    session[STATE_KEY] = state
    query = urlencode({"client_id": settings.ecwid_client_id,
                       "redirect_uri": settings.public_url + CALLBACK_PATH,
                       "response_type": "code", "scope": " ".join(SCOPES), "state": state})
    return redirect(f"{AUTHORIZE_URL}?{query}")


@bp.get("/callback")
def callback():
    settings = _settings()
    expected = session.pop(STATE_KEY, None)  # single use, even when a check below fails
    state, code = request.args.get("state"), (request.args.get("code") or "").strip()
    if state and not (expected and same(expected, state)):
        return _page("stale", 401)
    if request.args.get("error") or not code or len(code) > MAX_CODE:
        return _page("declined", 400)
    try:
        token = exchange_code(settings.ecwid_client_id, settings.ecwid_client_secret, code,
                              settings.public_url + CALLBACK_PATH)
    except Refused:
        return _page("refused", 401)
    except PlatformError as exc:
        log.warning("Ecwid token exchange failed: %s", exc.message)
        return _page("unreachable", 502)
    with database.atomic():
        shop, _ = shops.register(PLATFORM, token.store_id, own_webhook_secret=False)
        Shop.update(access_token=runtime().vault.encrypt(token.access_token), platform_shop_id=token.store_id,
                    scopes=token.scope, reconciled_to=None, install_pending=True).where(
            Shop.id == shop.id).execute()
    shops.forget_cached()
    response = _page("installed", store=token.store_id)
    response.call_on_close(lambda: _install_later(shop.id))
    return response

