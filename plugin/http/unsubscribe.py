"""The shopper's unsubscribe link (plugin.notify.email.unsubscribe): GET shows a page in their
language with one button; POST unsubscribes. A mail client's one-click POST (RFC 8058, body
``List-Unsubscribe=One-Click``) lands on the same POST. No login and no CSRF token: the signed link
is the authority, and it can do nothing but this one unsubscription."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, render_template
from flask import request as http_request

from plugin.core import i18n
from plugin.core.db import write_transaction
from plugin.core.models import Shop
from plugin.notify import render
from plugin.notify import settings as notify_settings
from plugin.notify.email import unsubscribe
from plugin.notify.types import ALL

bp = Blueprint("unsubscribe", __name__, template_folder="templates")


@bp.get("/unsubscribe/<token>")
def ask(token: str):
    return _page(token, done=False)


@bp.post("/unsubscribe/<token>")
def confirm(token: str):
    return _page(token, done=True)


def _page(token: str, *, done: bool):
    request = unsubscribe.read(token)
    customer = unsubscribe.customer_of(request) if request else None
    if customer is None:
        return _render(i18n.DEFAULT, i18n.translate(i18n.DEFAULT, "notify.unsubscribe.invalid")), 404
    shop = Shop.get_by_id(request.shop_id)
    lang = render.language(notify_settings.load(shop), customer)
    name = shop.name or shop.domain
    if done:
        if http_request.form.get("scope") == ALL:  # the page's second button: every kind of e-mail
            request = dataclasses.replace(request, type=ALL)
        with write_transaction():
            unsubscribe.unsubscribe(request)
        key = "notify.unsubscribe.done_all" if request.type == ALL else "notify.unsubscribe.done"
        return _render(lang, i18n.translate(lang, key, shop=name))
    kind = i18n.translate(lang, "notify.type." + request.type) if request.type != ALL else name
    return _render(lang, i18n.translate(lang, "notify.unsubscribe.question", shop=name, kind=kind),
                   i18n.translate(lang, "notify.unsubscribe.confirm"),
                   None if request.type == ALL else i18n.translate(lang, "notify.unsubscribe.all", shop=name))


def _render(lang: str, text: str, button: str | None = None, everything: str | None = None) -> str:
    return render_template("notify/unsubscribe.html", lang=lang, text=text, button=button,
                           everything=everything, title=i18n.translate(lang, "notify.unsubscribe.title"))
