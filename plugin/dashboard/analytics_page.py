"""Analytics: the figures of plugin.reports.analytics for a date range, with server-side SVG charts
(plugin.reports.charts) and a CSV download of every table; a small version on the overview.

The range is read like the admin API reads it (the last 30 days by default).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask import g, render_template, request
from marshmallow import EXCLUDE, ValidationError

from plugin.admin.analytics_api import DEFAULT_DAYS, TABLES, RangeArgs, date_range, table_csv
from plugin.core import clock
from plugin.core.errors import Invalid, NotFound
from plugin.core.i18n import translate
from plugin.dashboard.layout import NAV
from plugin.http.routes import Routes
from plugin.program import versions
from plugin.reports import analytics, charts

routes = Routes()

RANGE = RangeArgs(unknown=EXCLUDE)  # the page's query also carries ?lang=
POINT_SERIES = ("issued", "redeemed", "expired")
GRID_WIDTH, GRID_HEIGHT = 480, 270  # about the size a chart is shown at in the grid: its text stays legible

NAV.insert(NAV.index(("nav.overview", "dashboard.overview")) + 1, ("nav.analytics", "dashboard.analytics"))


def _series(days: list[dict], names: dict[str, str], money: bool = False) -> dict[str, list]:
    """{legend label: [(day, value)]} of daily figures, for charts.line_chart."""
    return {label: [(date.fromisoformat(d["date"]), Decimal(d[metric]) if money else d[metric]) for d in days]
            for metric, label in names.items()}


def build_charts(lang: str, days: list[dict], tiers: list[dict], names: dict[str, str]) -> dict[str, str]:
    """The page's charts as SVG, titled and labelled in ``lang``."""
    def t(key: str) -> str:
        return translate(lang, key)

    groups = {"member": t("analytics.members"), "non_member": t("analytics.non_members")}
    points = {m: t(f"analytics.{m}") for m in POINT_SERIES}
    orders = {f"{k}_orders": v for k, v in groups.items()}
    revenue = {f"{k}_revenue": v for k, v in groups.items()}
    size = {"width": GRID_WIDTH, "height": GRID_HEIGHT}
    return {
        "points": charts.line_chart(_series(days, points), title=t("analytics.chart_points"), **size),
        "orders": charts.line_chart(_series(days, orders), title=t("analytics.chart_orders"), integer=True,
                                    **size),
        "revenue": charts.line_chart(_series(days, revenue, money=True), title=t("analytics.chart_revenue"),
                                     **size),
        "tiers": charts.bar_chart([(names[row["tier"]], row["customers"]) for row in tiers],
                                  title=t("analytics.chart_tiers"), **size),
    }


@routes.get("/analytics", endpoint="analytics")
def analytics_page():
    try:
        start, end = date_range(RANGE.load(request.args))
    except ValidationError as exc:
        errors = {name: translate(g.lang, "analytics.bad_range") for name in exc.messages}
        return render_template("dashboard/analytics.html", section="analytics", errors=errors,
                               start=request.args.get("from", ""), end=request.args.get("to", "")), 422
    summary = analytics.summary(g.shop.id, start, end)
    days = analytics.daily(g.shop.id, start, end)
    names = tier_names(g.lang, summary["tiers"])
    return render_template("dashboard/analytics.html", section="analytics", errors={}, start=start, end=end,
                           summary=summary, tier_names=names,
                           charts=build_charts(g.lang, days, summary["tiers"], names))


def tier_names(lang: str, rows: list[dict]) -> dict[str, str]:
    """Each tier row's name in ``lang``: the program's title in that language when it has one."""
    ladder = (versions.current(g.shop.id)[1].get("tiers") or {}).get("tiers") or []
    titles = {tier["id"]: tier.get("title") for tier in ladder}
    out = {}
    for row in rows:
        title = titles.get(row["tier"])
        out[row["tier"]] = (translate(lang, "analytics.no_tier") if row["tier"] == analytics.NO_TIER
                            else title.get(lang) or row["title"] if isinstance(title, dict) else row["title"])
    return out


@routes.get("/analytics/<table>.csv")
def analytics_csv(table: str):
    if table not in TABLES:
        raise NotFound(f"no table {table!r}; tables: {', '.join(TABLES)}")
    try:
        start, end = date_range(RANGE.load(request.args))
    except ValidationError as exc:
        raise Invalid(f"invalid range: {exc.messages}", fields=exc.messages) from None
    return table_csv(table, g.shop.id, start, end)


@routes.context_processor
def overview_context() -> dict:
    return {"recent_analytics": recent_analytics}


def recent_analytics() -> dict:
    """The overview's slot: the last DEFAULT_DAYS days' key figures and points chart."""
    end = clock.now().date()
    start = end - timedelta(days=DEFAULT_DAYS - 1)
    summary = analytics.summary(g.shop.id, start, end)
    days = analytics.daily(g.shop.id, start, end)
    points = {m: translate(g.lang, f"analytics.{m}") for m in POINT_SERIES}
    title = translate(g.lang, "analytics.chart_points")
    return {"summary": summary, "days": DEFAULT_DAYS,
            "chart": charts.line_chart(_series(days, points), title=title, width=GRID_WIDTH,
                                        height=GRID_HEIGHT - 30)}
