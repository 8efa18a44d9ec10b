"""The public program rules page, /rules/<shop domain>?lang=ru|en: no sign-in, linked from the widget.

Only the domain names a shop here, never its numeric id: the page must not let anyone list
which stores run this app.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from plugin.core import clock
from plugin.core.errors import NotFound
from plugin.core.models import ProgramVersion, Shop
from plugin.dashboard.i18n import language
from plugin.dashboard.layout import helpers
from plugin.dashboard.rules_text import describe
from plugin.program import versions

bp = Blueprint("rules", __name__)

CACHE_SECONDS = 60  # a program change shows within a minute


@bp.get("/rules/<domain>")
def rules(domain: str):
    shop = (Shop.select().where((Shop.domain == domain.strip().lower()) & Shop.active)
            .order_by(Shop.id).first())
    if shop is None:
        raise NotFound(f"no shop {domain!r} runs a loyalty program here")
    lang = language(remember=False)
    number, program = versions.current(shop.id)
    since = None if number is None else ProgramVersion.get(
        (ProgramVersion.shop == shop.id) & (ProgramVersion.number == number)).created_at
    html = render_template("dashboard/rules.html", shop=shop, since=since,
                           sections=describe(program, lang, shop.currency, clock.now()), **helpers(lang))
    return html, 200, {"Cache-Control": f"public, max-age={CACHE_SECONDS}",
                       "Vary": "Accept-Language", "Content-Language": lang}
