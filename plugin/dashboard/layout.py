"""What every dashboard page shares: the navigation, template helpers, headers and error pages."""

from __future__ import annotations

from functools import partial

from flask import g, render_template, request, url_for

from plugin.core import reasons
from plugin.core.errors import LoyaltyError
from plugin.core.i18n import DEFAULT, LANGUAGES, day, moment, money, number, percent, term, translate
from plugin.core.status import SessionVia
from plugin.customers import display_name
from plugin.dashboard.auth import CSRF_FIELD, csrf_token
from plugin.dashboard.problems import problem
from plugin.http.routes import Routes
from plugin.program import point_type_name, versions

routes = Routes()

#: (label key, endpoint) in menu order. The manual adjustments page (plugin/ledger/adjustments.py) goes
#: after "customers" and the analytics page (plugin/reports/analytics.py) after "overview": each appends
#: its entry here with ``NAV.insert`` when its routes are added.
NAV: list[tuple[str, str]] = [
    ("nav.overview", "dashboard.overview"),
    ("nav.customers", "dashboard.customers"),
    ("nav.program", "dashboard.program_editor"),
    ("nav.codes", "dashboard.codes"),
    ("nav.events", "dashboard.events"),
]
SHOPIFY_ADMIN = "https://admin.shopify.com"


def lang_url(lang: str) -> str:
    """This page in another language (the query kept)."""
    args = {**request.args.to_dict(), "lang": lang}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def helpers(lang: str) -> dict:
    """Translation and formatting bound to one language (the rules page uses them too)."""
    return {"lang": lang, "languages": LANGUAGES, "t": partial(translate, lang),
            "term": partial(term, lang),
            "num": partial(number, lang=lang), "money": partial(money, lang=lang),
            "percent": partial(percent, lang=lang),
            "day": partial(day, lang=lang), "moment": partial(moment, lang=lang), "lang_url": lang_url,
            "why": partial(reasons.render, lang=lang),
            "problem": partial(problem, lang)}


def point_type(name: str) -> str:
    """A point type of the signed-in shop's program, in the page's language."""
    program = versions.current(g.shop.id)[1] if g.get("shop") else {}
    return point_type_name(program, name, g.get("lang", DEFAULT), term)


@routes.context_processor
def page_context() -> dict:
    return {**helpers(g.get("lang", DEFAULT)), "nav": NAV, "staff": g.get("staff"),
            "csrf_field": CSRF_FIELD, "csrf_token": csrf_token, "ptype": point_type, "who": display_name}


@routes.after_request
def headers(response):
    """Never cached; framed only by the Shopify admin of the signed-in Shopify shop."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    staff = g.get("staff")
    shop = g.get("frame_shop") or (staff.shop.domain if staff and staff.via == SessionVia.SHOPIFY else None)
    ancestors = f"https://{shop} {SHOPIFY_ADMIN}" if shop else "'none'"
    response.headers["Content-Security-Policy"] = (
        f"frame-ancestors {ancestors}; script-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'")
    return response


@routes.errorhandler(LoyaltyError)
def error_page(error: LoyaltyError):
    """Errors of dashboard pages are pages too, with the same status the API would give."""
    return render_template("dashboard/error.html", error=error), error.status
