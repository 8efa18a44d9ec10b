"""The manual adjustment form of the customer page (plugin.ledger.adjustments does the work).

Each render of the form carries a fresh idempotency key, so a double submit applies once; the
staff member of the session is the actor. Errors come back next to their field, nothing written.
"""

from __future__ import annotations

import re
import secrets

from flask import g, redirect, request, url_for

from plugin.core.errors import LoyaltyError
from plugin.core.i18n import translate
from plugin.core.models import Customer, LedgerEntry
from plugin.dashboard.customers_page import customer_page, find
from plugin.http.routes import Routes
from plugin.ledger import adjustments
from plugin.program import versions

routes = Routes()

POINTS = re.compile(r"^[+-]?[0-9]{1,10}$")
FIELDS = ("points", "point_type", "reason")


def fresh_key() -> str:
    return "dash-" + secrets.token_urlsafe(18)


@routes.context_processor
def adjust_context() -> dict:
    return {"adjust_form": adjust_form}


def adjust_form(customer: Customer, posted: dict | None = None) -> dict:
    """What the form shows: the program's point types, a new key, what was posted and its errors,
    and the adjustment just written (``?adjusted=<entry id>`` after a redirect)."""
    program = versions.current(customer.shop_id)[1]
    posted = posted or {}
    return {"point_types": list(program["point_types"]), "key": fresh_key(),
            "given": posted.get("values") or {"point_type": program["earning"]["point_type"]},
            "errors": posted.get("errors") or {}, "done": _written(customer, request.args.get("adjusted"))}


def _written(customer: Customer, entry_id: str | None) -> list[LedgerEntry]:
    if not entry_id or not entry_id.isdigit() or len(entry_id) > 18:
        return []
    first = LedgerEntry.get_or_none((LedgerEntry.id == int(entry_id)) & (LedgerEntry.shop == customer.shop_id)
                                    & (LedgerEntry.customer == customer.id)
                                    & (LedgerEntry.kind == adjustments.KIND))
    return adjustments.entries(first) if first and first.idempotency_key else []


@routes.post("/customers/<platform_id>/adjust")
def adjust(platform_id: str):
    customer = find(platform_id)
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    points = int(values["points"]) if POINTS.match(values["points"]) else None
    try:
        first = adjustments.adjust(customer, points, values["point_type"], values["reason"], g.staff.actor,
                                   request.form.get("key", ""))
    except LoyaltyError as exc:
        if exc.status >= 500:
            raise
        errors = field_errors(exc, values["reason"])
        return customer_page(customer, adjust={"values": values, "errors": errors}), exc.status
    return redirect(url_for("dashboard.customer", platform_id=customer.platform_id, adjusted=first.id,
                            _anchor="adjust"), 303)


def field_errors(exc: LoyaltyError, reason: str) -> dict[str, str]:
    """The domain's field problems in the page's language; "_" for what belongs to no field."""
    lang, out = g.lang, {}
    for name in exc.fields or {"_": [exc.message]}:
        if name == "points":
            out[name] = (translate(lang, "adjust.short") if isinstance(exc, adjustments.ShortOfPoints)
                         else translate(lang, "adjust.bad_points", most=adjustments.MAX_POINTS))
        elif name == "point_type":
            out[name] = translate(lang, "adjust.bad_type")
        elif name == "reason":
            out[name] = (translate(lang, "adjust.long_reason", most=adjustments.MAX_REASON)
                         if reason else translate(lang, "adjust.need_reason"))
        elif name == "key":
            out["_"] = translate(lang, "adjust.conflict")
        else:
            out["_"] = exc.message
    return out
