"""Analytics over the admin API: the figures of a date range, per day, as SVG charts and as CSV.

Every endpoint takes ``from`` and ``to`` (YYYY-MM-DD, UTC days, both included; the last 30 days
by default), at most three years apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from flask import Response, g, jsonify, request
from marshmallow import ValidationError, validates_schema

from plugin.admin.openapi import documented
from plugin.core import clock, csvfile, limits
from plugin.core.errors import NotFound
from plugin.core.limits import StrictSchema
from plugin.http.downloads import download
from plugin.http.routes import Routes
from plugin.reports import analytics, charts

routes = Routes()

MAX_DAYS = 3 * 366
DEFAULT_DAYS = 30


class RangeArgs(StrictSchema):
    start = limits.Day(data_key="from", load_default=None, format="%Y-%m-%d")
    end = limits.Day(data_key="to", load_default=None, format="%Y-%m-%d")
    days = DEFAULT_DAYS  # of the default range (a subclass for longer reports sets its own)

    @validates_schema
    def _order(self, data, **kwargs):
        start, end = date_range(data, self.days)
        if start > end:
            raise ValidationError("must not be after to", "from")
        if (end - start).days >= MAX_DAYS:
            raise ValidationError(f"at most {MAX_DAYS} days after from", "to")


RANGE = RangeArgs()


def date_range(data: dict, days: int = DEFAULT_DAYS) -> tuple[date, date]:
    """The loaded range with its defaults: the last ``days`` days up to today."""
    end = data.get("end") or clock.now().date()
    return data.get("start") or end - timedelta(days=days - 1), end


def _args() -> tuple[date, date]:
    return date_range(RANGE.load(request.args))


@routes.get("/analytics")
@documented("Every figure of a date range: points, liability, rates, orders, tiers, offers, campaigns",
            query=RangeArgs)
def analytics_summary():
    start, end = _args()
    return jsonify(analytics.summary(g.shop.id, start, end))


@routes.get("/analytics/daily")
@documented("Points and orders per day of a date range", query=RangeArgs)
def analytics_daily():
    start, end = _args()
    return jsonify({"from": start.isoformat(), "to": end.isoformat(),
                    "days": analytics.daily(g.shop.id, start, end)})


def _points_chart(shop_id: int, start: date, end: date) -> str:
    days = analytics.daily(shop_id, start, end)
    return charts.line_chart({name: [(date.fromisoformat(d["date"]), d[name]) for d in days]
                              for name in ("issued", "redeemed", "expired")},
                             title="Points issued, redeemed and expired per day")


def _orders_chart(shop_id: int, start: date, end: date) -> str:
    days = analytics.daily(shop_id, start, end)
    return charts.line_chart({label: [(date.fromisoformat(d["date"]), d[metric]) for d in days]
                              for label, metric in (("members", "member_orders"),
                                                    ("non-members", "non_member_orders"))},
                             title="Orders per day, members and non-members", integer=True)


def _revenue_chart(shop_id: int, start: date, end: date) -> str:
    days = analytics.daily(shop_id, start, end)
    return charts.line_chart({label: [(date.fromisoformat(d["date"]), Decimal(d[metric])) for d in days]
                              for label, metric in (("members", "member_revenue"),
                                                    ("non-members", "non_member_revenue"))},
                             title="Revenue per day, members and non-members")


def _tiers_chart(shop_id: int, start: date, end: date) -> str:
    rows = analytics.summary(shop_id, start, end)["tiers"]
    return charts.bar_chart([(row["title"], row["customers"]) for row in rows], title="Customers per tier")


CHARTS: dict[str, Callable[[int, date, date], str]] = {
    "points": _points_chart, "orders": _orders_chart, "revenue": _revenue_chart, "tiers": _tiers_chart,
}


@routes.get("/analytics/charts/<name>.svg")
@documented("A chart as SVG: points, orders, revenue or tiers", query=RangeArgs, content="image/svg+xml")
def analytics_chart(name: str):
    if name not in CHARTS:
        raise NotFound(f"no chart {name!r}; charts: {', '.join(CHARTS)}")
    start, end = _args()
    return Response(CHARTS[name](g.shop.id, start, end), mimetype="image/svg+xml")


def _daily_table(shop_id: int, start: date, end: date) -> tuple[list[str], list[list]]:
    headers = ["date", "issued", "redeemed", "expired", "reversed", "deducted", "member_orders",
               "member_revenue", "non_member_orders", "non_member_revenue", "discount_orders",
               "discount_revenue", "discount_amount", "other_currency_orders"]
    return headers, [[day[h] for h in headers] for day in analytics.daily(shop_id, start, end)]


def _point_types_table(shop_id: int, start: date, end: date) -> tuple[list[str], list[list]]:
    headers = ["date", "point_type", "issued", "redeemed", "expired", "reversed", "deducted"]
    return headers, [[day["date"], point_type, *(figures[h] for h in headers[2:])]
                     for day in analytics.daily(shop_id, start, end)
                     for point_type, figures in sorted(day["by_point_type"].items())]


def _summary_table(key: str, headers: list[str]) -> Callable[[int, date, date], tuple[list[str], list[list]]]:
    def table(shop_id: int, start: date, end: date) -> tuple[list[str], list[list]]:
        return headers, [[row[h] for h in headers] for row in analytics.summary(shop_id, start, end)[key]]

    return table


TABLES = {
    "daily": _daily_table,
    "point_types": _point_types_table,
    "tiers": _summary_table("tiers", ["tier", "title", "customers"]),
    "offers": _summary_table("offers", ["offer_id", "impressions", "clicks", "redemptions"]),
    "campaigns": _summary_table("campaigns", ["name", "orders", "points", "revenue"]),
}


@routes.get("/analytics/<table>.csv")
@documented("An analytics table as CSV: daily, point_types, tiers, offers or campaigns", query=RangeArgs,
            content="text/csv")
def analytics_csv(table: str):
    if table not in TABLES:
        raise NotFound(f"no table {table!r}; tables: {', '.join(TABLES)}")
    start, end = _args()
    return table_csv(table, g.shop.id, start, end)


def table_csv(table: str, shop_id: int, start: date, end: date) -> Response:
    """One of TABLES as a CSV download (the dashboard's links serve the same file)."""
    headers, rows = TABLES[table](shop_id, start, end)
    filename = f"{table}-{start.isoformat()}-{end.isoformat()}.csv"
    return download("".join(csvfile.lines([headers, *rows])), filename)
