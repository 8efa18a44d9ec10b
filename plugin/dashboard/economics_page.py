"""Economics: what a program would have cost over the shop's past orders (one program, or two side by
side with each difference marked better or worse), and what the points on the books are worth now,
with the IFRS 15 deferred-revenue table and its CSV.

The form is a GET, so a result is a link; it loads into the admin API's body
(plugin.admin.economics_api), so the page and the API simulate alike and refuse alike.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import g, render_template, request
from marshmallow import ValidationError

from plugin.admin.economics_api import (
    DEFAULT_SOURCE,
    PERIOD,
    SIMULATION,
    deferred,
    deferred_csv,
    period,
    simulation,
)
from plugin.core.errors import Invalid, flatten
from plugin.core.i18n import has, money, number, percent, translate
from plugin.dashboard.analytics_page import GRID_HEIGHT, GRID_WIDTH
from plugin.dashboard.layout import NAV
from plugin.http.routes import Routes
from plugin.program import drafts
from plugin.reports import charts
from plugin.reports.economics import choices, live, runs

routes = Routes()

CHOSEN = ("program", "compare_with", "from", "to", "source")
KNOBS = ("redemption_rate", "months_to_redeem", "uplift", "margin")
#: Figures where less is better for the shop, and where more is; the rest only differ.
LOWER_IS_BETTER = {"cost", "cost_share_of_revenue", "cost_share_of_margin", "liability", "deferred_revenue"}
HIGHER_IS_BETTER = {"revenue", "gross_margin"}
SHARES = {"cost_share_of_revenue", "cost_share_of_margin"}
POINTS = ("points_issued", "points_redeemed", "points_expired")
COMPARED = ("points_issued", "points_reversed", "points_redeemed", "points_expired", "points_outstanding",
            "points_breakage", "revenue", "gross_margin", "cost", "cost_share_of_revenue",
            "cost_share_of_margin", "liability", "deferred_revenue", "recognised_revenue")
MONTH_COLUMNS = ("orders", "revenue", "gross_margin", "points_issued", "points_redeemed", "points_expired",
                 "points_outstanding", "points_breakage", "cost", "cost_share_of_revenue",
                 "cost_share_of_margin", "liability", "deferred_revenue")

NAV.insert(NAV.index(("nav.analytics", "dashboard.analytics")) + 1, ("nav.economics", "dashboard.economics"))


def form_body(args, compare: str) -> dict:
    """The query as the API's body, empty fields left to their defaults; before the form is sent, the
    published program against ``compare`` (the draft, when it can be run)."""
    if "program" not in args:
        return {"compare_with": compare} if compare else {}
    body = {name: args[name] for name in CHOSEN if args.get(name)}
    knobs = {name: args[name] for name in KNOBS if args.get(name, "").strip()}
    if knobs.get("months_to_redeem", "").isdigit():  # anything else is left for the schema to refuse
        knobs["months_to_redeem"] = int(knobs["months_to_redeem"])
    if args.get("observed"):
        knobs["observed"] = True
    if args.get("margins", "").strip():
        knobs["margins"] = margins_of(args["margins"])
    return {**body, "scenario": knobs}


def margins_of(text: str) -> dict[str, str]:
    """'shoes=40, bags: 55' -> {"shoes": "40", "bags": "55"}; a part without a name is the key '' (a 422)."""
    out = {}
    for part in text.replace("\n", ",").split(","):
        if part.strip():
            name, _, value = part.replace(":", "=").partition("=")
            out[name.strip()] = value.strip() or "?"
    return out


def runnable_draft(shop_id: int) -> str:
    """'draft' when the shop has a draft that simulates, else '': the first view compares with it."""
    try:
        choices.choose(shop_id, choices.DRAFT, "compare_with")
    except ValidationError:
        return ""
    return choices.DRAFT


def field_of(name: str) -> str:
    """The form field of an error's path: 'scenario.margins.shoes' -> 'margins', 'program.x' -> 'program'."""
    parts = name.split(".")
    return parts[1] if parts[0] == "scenario" and len(parts) > 1 else parts[0]


def trend(key: str, value) -> dict:
    """How a difference (b minus a) reads: its class, arrow and word; a sign is in the number."""
    if value is None or Decimal(str(value)) == 0:
        return {"cls": "same", "arrow": "=", "word": "econ.same"}
    up = Decimal(str(value)) > 0
    arrow = "▲" if up else "▼"
    if key in LOWER_IS_BETTER or key in HIGHER_IS_BETTER:
        better = up == (key in HIGHER_IS_BETTER)
        return {"cls": "better" if better else "worse", "arrow": arrow,
                "word": "econ.better" if better else "econ.worse"}
    return {"cls": "changed", "arrow": arrow, "word": "econ.changed"}


def difference(lang: str, key: str, value, currency: str) -> str:
    """A difference with its sign: points, money, or percentage points for a share."""
    if value is None:
        return "—"
    sign = "+" if Decimal(str(value)) > 0 else ""
    if key in SHARES:
        return translate(lang, "econ.pp", value=sign + percent(value, lang).removesuffix("%"))
    if key.startswith("points"):
        return sign + number(value, lang)
    return sign + money(value, currency, lang)


def rule_label(lang: str, row: dict) -> str:
    """The rule's name in ``lang``: the simulator's own label when it gives one, else the catalogue's."""
    if isinstance(row.get("label"), dict) and row["label"].get(lang):
        return row["label"][lang]
    key = f"econ.rule.{row['rule']}"
    if has(lang, key):
        return translate(lang, key, name=row["name"])
    return f"{row['rule']} {row['name']}".strip()


def _month(text: str) -> date:
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def build_charts(lang: str, result: dict) -> dict[str, str]:
    """Points per month, cost and liability per month (both programs when compared), and the rules' shares."""
    def t(key: str, **values) -> str:
        return translate(lang, key, **values)

    size = {"width": GRID_WIDTH, "height": GRID_HEIGHT}
    results = [("A", result)] + ([("B", result["comparison"])] if "comparison" in result else [])
    points = {t(f"econ.{key}"): [(_month(m["month"]), m[key]) for m in result["months"]] for key in POINTS}
    money = {}
    for name, res in results:
        for key in ("cost", "liability"):
            label = t(f"econ.{key}") + (f" ({name})" if len(results) > 1 else "")
            money[label] = [(_month(m["month"]), Decimal(m[key])) for m in res["months"]]
    out = {"points": charts.line_chart(points, title=t("econ.chart_points"), integer=True, **size),
           "money": charts.line_chart(money, title=t("econ.chart_money"), **size)}
    for name, res in results:
        bars = [(rule_label(lang, row), (Decimal(row["share"]) * 100).quantize(Decimal("0.1")))
                for row in res["rules"] if row["share"] is not None]
        out[f"rules{name}"] = charts.bar_chart(bars, title=t("econ.chart_rules", program=name), integer=False,
                                               **size)
    return out


@routes.get("/economics", endpoint="economics")
def economics_page():
    shop_id = g.shop.id
    has_draft = drafts.get(shop_id) is not None
    compare = runnable_draft(shop_id) if has_draft and "program" not in request.args else ""
    errors: set[str] = set()
    result = None
    try:
        result = simulation(shop_id, SIMULATION.load(form_body(request.args, compare)))
    except ValidationError as exc:
        errors = {field_of(name) for name in flatten(exc.messages)}
    try:
        start, end = period(PERIOD.load({k: request.args[k] for k in ("from", "to") if request.args.get(k)}))
    except ValidationError:
        start, end = period({})
    shown = {"program": request.args.get("program", choices.PUBLISHED),
             "compare_with": request.args.get("compare_with", compare),
             "source": request.args.get("source", DEFAULT_SOURCE),
             "from": request.args.get("from", start.isoformat()),
             "to": request.args.get("to", end.isoformat()),
             "margins": request.args.get("margins", ""), "observed": bool(request.args.get("observed")),
             **{name: request.args.get(name, "") for name in KNOBS}}
    return render_template(
        "dashboard/economics.html", section="economics", result=result, shown=shown,
        errors=errors,
        versions=choices.versions_of(shop_id), has_draft=has_draft, sources=runs.SOURCES,
        observed=live.observed_rate(shop_id), live=live.liability_now(shop_id),
        deferred=deferred(g.shop, start, end), start=start, end=end, compared=COMPARED,
        month_columns=MONTH_COLUMNS, shares=SHARES,
        trend=trend, difference=difference, rule_label=rule_label,
        charts=build_charts(g.lang, result) if result else {},
    ), 200 if result else 422


@routes.get("/economics/deferred-revenue.csv")
def economics_deferred_csv():
    try:
        start, end = period(PERIOD.load({k: v for k, v in request.args.items() if k in ("from", "to")}))
    except ValidationError as exc:
        raise Invalid(f"invalid range: {exc.messages}", fields=exc.messages) from None
    return deferred_csv(g.shop.id, start, end)
