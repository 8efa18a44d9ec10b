"""InSales' app flows: the install and uninstall requests, the owner's autologin from the InSales
admin into the dashboard, and the external discount InSales asks for at checkout.

InSales signs none of these: the install is trusted as InSales sends it (its token only makes the
password), the uninstall carries the shop's password, autologin is checked with MD5 digests over
the password, and the discount address carries a per-shop secret path segment."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, redirect, request, session, url_for

from plugin.config import Settings
from plugin.core import clock
from plugin.core.crypto import same
from plugin.core.db import database
from plugin.core.errors import LoyaltyError, Unauthorized
from plugin.core.jsonbody import MalformedJson, loads_object
from plugin.core.models import Shop
from plugin.core.status import SessionVia
from plugin.customers import shops
from plugin.dashboard.auth import open_session
from plugin.http.oauth import NotConfigured
from plugin.http.runtime import runtime
from plugin.pipeline import jobs, platform_jobs, queue
from plugin.platforms.insales import discount, md5_hex, password
from webhooks import inbox

bp = Blueprint("insales", __name__, url_prefix="/insales")

PLATFORM = "insales"
LOGIN_KEY = "insales_login"
LOGIN_MAX_AGE = timedelta(minutes=10)
MAX_TOKEN = 256
MAX_ID_DIGITS = 19  # an InSales id fits a signed 64-bit integer
CONFIRMED = ("email_confirmed", "email_\u0441onfirmed")  # the docs spell it with a Cyrillic "с"


def _settings() -> Settings:
    settings = runtime().settings
    if not (settings.insales_app_id and settings.insales_secret):
        raise NotConfigured("this app is not configured for InSales: set INSALES_APP_ID and INSALES_SECRET")
    return settings


def _domain(value: str | None) -> str:
    try:
        return shops.normalise_domain(PLATFORM, value or "")
    except shops.ShopError as exc:
        raise LoyaltyError(str(exc)) from None


def _arg(name: str, *, digits: bool = False) -> str:
    value = (request.args.get(name) or "").strip()
    if not value or len(value) > (MAX_ID_DIGITS if digits else MAX_TOKEN) or (
            digits and not (value.isascii() and value.isdigit())):
        raise LoyaltyError(f"{name}: missing or malformed", fields={name: ["missing or malformed"]})
    return value


@bp.get("/install")
def install():
    """Register the shop and keep its password (encrypted); the API work runs after the answer.
    InSales does not sign this request, so a shop installed already keeps its working password
    until the job has seen InSales accept the new one."""
    settings = _settings()
    domain, token = _domain(request.args.get("shop")), _arg("token")
    insales_id = _arg("insales_id", digits=True)
    secret = runtime().vault.encrypt(password(token, settings.insales_secret))
    with database.atomic():
        existing = shops.by_domain(PLATFORM, domain)
        working = existing is not None and existing.active and existing.access_token is not None
        shop, _ = shops.register(PLATFORM, domain, own_webhook_secret=False)
        if not working:
            Shop.update(access_token=secret, platform_shop_id=insales_id, reconciled_to=None,
                        install_pending=True).where(Shop.id == shop.id).execute()
    shops.forget_cached()
    response = jsonify(status="installed", shop=domain)
    # after the 200 has gone: InSales refuses API calls until the install URL has answered
    response.call_on_close(lambda: platform_jobs.install_soon(shop.id, secret if working else None))
    return response


@bp.get("/uninstall")
def uninstall():
    """InSales sends the shop's password as ``token``; the shop stops like after any uninstall."""
    _settings()
    domain, token = _domain(request.args.get("shop")), _arg("token")
    shop = shops.by_domain(PLATFORM, domain)
    if shop is not None and not shop.active:
        return jsonify(status="uninstalled", shop=domain)
    stored = runtime().vault.decrypt(shop.access_token) if shop is not None else None
    if not stored or not same(stored, token):
        raise Unauthorized("the uninstall token is not this shop's password")
    raw = json.dumps({"shop": domain, "insales_id": request.args.get("insales_id")})
    inbox.uninstalled(shop, PLATFORM, "app/uninstalled", "insales-uninstall", raw)
    queue.ring(shop.id, jobs.apply_pending)
    shops.forget_cached()
    return jsonify(status="uninstalled", shop=domain)


def _installed_shop(domain: str) -> Shop:
    shop = shops.by_domain(PLATFORM, domain)
    if shop is None or not shop.active or not shop.access_token:
        raise Unauthorized(f"the app is not installed on {domain}")
    return shop


@bp.get("/login")
def login():
    """InSales opens this from its admin; we send the owner back to InSales to vouch for them."""
    settings = _settings()
    shop = _installed_shop(_domain(request.args.get("shop")))
    insales_id = request.args.get("insales_id")
    if insales_id is not None and shop.platform_shop_id and not same(insales_id, shop.platform_shop_id):
        raise Unauthorized("insales_id is not this shop's")
    token = secrets.token_hex(16)
    session[LOGIN_KEY] = {"shop_id": shop.id, "token": token, "at": clock.now().isoformat()}
    query = urlencode({"token": token, "login": settings.public_url + url_for("insales.autologin")})
    return redirect(f"https://{shop.domain}/admin/applications/{settings.insales_app_id}/login?{query}")


def autologin_valid(token: str, shop_password: str, args) -> bool:
    """InSales' answer: ``token3`` in the docs' long form (with email_confirmed) or the insales_api
    gem's form (without), or ``token`` in the short form MD5(token + password)."""
    user = "".join(args.get(name, "") for name in ("user_email", "user_name", "user_id"))
    confirmed = next((args[name] for name in CONFIRMED if name in args), None)
    token3 = args.get("token3")
    if token3:
        forms = [md5_hex(token + user + shop_password)]
        if confirmed is not None:
            forms.append(md5_hex(token + user + confirmed + shop_password))
        return any(same(form, token3) for form in forms)
    short = args.get("token")
    return bool(short) and same(md5_hex(token + shop_password), short)


@bp.get("/autologin")
def autologin():
    """InSales' redirect back: a matching digest opens a dashboard session for the shop."""
    _settings()
    pending = session.pop(LOGIN_KEY, None)  # single use, even when the check fails
    if not isinstance(pending, dict):
        raise Unauthorized("no InSales login in progress; open the app from the InSales admin again")
    started = datetime.fromisoformat(pending.get("at", "1970-01-01T00:00:00"))
    shop = Shop.get_or_none((Shop.id == pending.get("shop_id")) & Shop.active)
    if shop is None or not shop.access_token or clock.now() - started > LOGIN_MAX_AGE:
        raise Unauthorized("the InSales login has expired; open the app from the InSales admin again")
    if not autologin_valid(pending["token"], runtime().vault.decrypt(shop.access_token), request.args):
        raise Unauthorized("InSales' login answer does not match")
    name = " ".join((request.args.get("user_name") or "").split())[:100]
    open_session(shop, f"InSales user {name}".strip(), via=SessionVia.INSALES)
    return redirect(url_for("dashboard.overview"))


def _discount_answer(amount: str, title: str) -> Response:
    """The amount as a JSON number written from the Decimal (no float on the way)."""
    title_json = json.dumps(title, ensure_ascii=False)
    text = f'{{"discount": {amount}, "discount_type": "MONEY", "title": {title_json}}}'
    return Response(text, 200, mimetype="application/json")


@bp.post("/discount/<int:shop_id>/<secret>")
def external_discount(shop_id: int, secret: str):
    """InSales' external discount call: the shopper's held points as money off, or none."""
    if not same(runtime().vault.derive("insales-discount", shop_id), secret):
        raise Unauthorized("not this shop's discount address")
    shop = Shop.get_or_none((Shop.id == shop_id) & (Shop.platform == PLATFORM) & Shop.active)
    if shop is None:
        raise Unauthorized("not this shop's discount address")
    try:
        quoted = discount.quote(shop, loads_object(request.get_data(), parse_float=Decimal, nul=True))
    except MalformedJson as exc:
        return jsonify(errors=[exc.message]), 400
    except discount.BadCart as exc:
        return jsonify(errors=[str(exc)]), 400
    if not quoted.amount:
        return _discount_answer("0", "")
    return _discount_answer(str(quoted.amount), quoted.title)
