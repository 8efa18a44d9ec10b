"""The widget API the shopper's browser calls: who the shopper is, then their account.

Every request is identified before its view runs (``g.shopper``): a signed app proxy query, a
customer token with the shop named in X-Loyalty-Shop, or an anonymous visitor of a named shop.
CORS answers only the shop's own storefront origin and the app's own origin (the demo).
"""

from __future__ import annotations

from contextlib import ExitStack

from flask import Response, current_app, g, jsonify, request, url_for

from plugin import ledger
from plugin.core import clock, i18n, reasons
from plugin.core.models import Shop
from plugin.http.routes import Routes
from plugin.http.runtime import runtime
from plugin.program import versions
from plugin.tiers import standing
from widgets import identity
from widgets.schemas import program_summary, utc_iso

routes = Routes()  # on the blueprint widgets.init_app makes, with every widget module's routes
URL_PREFIX = "/widget/v1"

ALLOW_HEADERS = ", ".join(("Authorization", "Content-Type", "Idempotency-Key",
                           identity.TOKEN_HEADER, identity.SHOP_HEADER))
ALLOW_METHODS = "GET, POST, DELETE, OPTIONS"
RECENT_ENTRIES = 10
PUBLIC = {"widget_api.strings"}  # the same for everyone: no shopper to identify


@routes.before_request
def identify_shopper() -> Response | None:
    """Answer a CORS preflight; otherwise decide who is asking (raises NotTrusted -> 401)."""
    if request.method == "OPTIONS":
        return current_app.response_class(status=204)
    if request.endpoint in PUBLIC:
        return None
    g.program_reads = ExitStack()  # the shop's program version read once for the whole request
    g.program_reads.enter_context(versions.read_once())
    settings = runtime().settings
    g.shopper = identity.identify(runtime().vault, settings.shopify_api_secret,
                                  request.args.to_dict(flat=False), request.headers)
    return None


@routes.teardown_request
def forget_program(exc: BaseException | None) -> None:
    reads = g.pop("program_reads", None)
    if reads is not None:
        reads.close()


@routes.after_request
def cors(response: Response) -> Response:
    """Allow-Origin only for the shop's own origins; other origins get no CORS header at all."""
    response.vary.add("Origin")
    response.headers.setdefault("Cache-Control", "private, no-store")
    origin = request.headers.get("Origin")
    if not origin:
        return response
    shopper = g.get("shopper")
    shop = shopper.shop if shopper else None
    if shop is None and request.method != "OPTIONS":
        shop = identity.shop_named(identity.named_domain(request.args, request.headers))
    if not identity.allowed_origin(origin, shop, runtime().settings.public_url):
        return response
    if shop is None and request.method != "OPTIONS":  # a request for no known shop: nothing to share
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def rules_url(shop: Shop) -> str:
    """The shop's public rules page; the widget adds ?lang= for the shopper's language."""
    return runtime().settings.public_url + url_for("rules.rules", domain=shop.domain)


def account_of(shop: Shop, customer_id: str, program: dict, rules: str | None = None,
               lang: str = i18n.DEFAULT) -> dict:
    """Balance, spendable and pending points per type, points expiring soon and recent history;
    a shopper the plugin has never seen has zeros (and no row is created for a read). Each history
    line's reason is in ``lang``, with its code and parameters."""
    customer, tier = standing.find_with_progress(shop.id, customer_id, program)  # one statement
    types = list(program["point_types"])
    balance = {name: 0 for name in types}
    spendable = dict(balance)
    expiring, recent = [], []
    if customer is not None:
        # One read of the open lots gives balance, spendable, pending and expiring together
        # (the audit keeps the balance equal to the lots), instead of three aggregate queries.
        now, days = clock.now(), program["expiry_warning_days"]
        lots = ledger.lots_held(customer.id)
        for lot in lots:
            balance[lot.point_type] = balance.get(lot.point_type, 0) + lot.remaining
        spendable.update(ledger.spendable_among(lots, now))
        expiring = ledger.expiring_among(lots, now, days) if days else []
        recent = [{"delta": e.delta, "point_type": e.point_type, "kind": e.kind,
                   "created_at": utc_iso(e.created_at),
                   "reason": reasons.render(e.reason, lang), "reason_code": e.reason["code"],
                   "reason_params": reasons.params(e.reason)}
                  for e in ledger.entries(customer, limit=RECENT_ENTRIES)]
    pending = {name: balance[name] - spendable.get(name, 0) for name in balance}
    return {
        "signed_in": True,
        "customer": customer_id,
        "balance": balance, "spendable": spendable, "pending": pending,
        "total": {"balance": sum(balance.values()), "spendable": sum(spendable.values()),
                  "pending": sum(pending.values())},
        "expiring_soon": [{"point_type": lot.point_type, "points": lot.remaining,
                           "expires_at": utc_iso(lot.expires_at)} for lot in expiring],
        "recent": recent,
        "program": program_summary(program, shop.currency, rules),
        "tier": tier,
    }


@routes.get("/account")
def account():
    shopper: identity.Shopper = g.shopper
    _, program = versions.current(shopper.shop.id)
    if not shopper.signed_in:
        return jsonify({"signed_in": False,
                        "program": program_summary(program, shopper.shop.currency, rules_url(shopper.shop))})
    lang = i18n.chosen(request.args.get("lang") or request.accept_languages.best_match(i18n.LANGUAGES))
    return jsonify(account_of(shopper.shop, shopper.customer_id, program, rules_url(shopper.shop), lang))
