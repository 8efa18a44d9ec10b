"""Program economics over the admin API: what a program would have cost over the shop's past orders
(alone or against another), what the points on the books are worth now, and the IFRS 15
deferred-revenue report per month, as JSON and as a CSV an accountant opens.

Periods are ``from`` and ``to`` (YYYY-MM-DD, UTC days, both included; the last DEFAULT_DAYS by
default), at most three years apart, as analytics reads them (its RangeArgs).
"""

from __future__ import annotations

from datetime import date

from flask import g, jsonify, request
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from plugin.admin.analytics_api import RangeArgs, date_range
from plugin.admin.openapi import documented
from plugin.core import csvfile
from plugin.core.models import Shop
from plugin.http.bodies import json_object
from plugin.http.converters import MAX_ID
from plugin.http.downloads import download
from plugin.http.routes import Routes
from plugin.reports.economics import choices, live, runs
from plugin.reports.economics.scenario import ScenarioSchema, from_percents

routes = Routes()

DEFAULT_DAYS = 365
DEFAULT_SOURCE = "all"  # the whole history the shop has
CHOICE = "'published', 'draft', a version number or a program document"
CHOICE_SCHEMA = [{"type": "string", "enum": [choices.PUBLISHED, choices.DRAFT]},
                 {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                 {"type": "object", "description": "a whole program document, as PUT /program takes"}]


class ProgramChoice(fields.Field):
    """'published', 'draft', a version number (or its digits) or a program document (an object)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value.isdigit() and len(value) <= 10:
            value = int(value)
        if value in (choices.PUBLISHED, choices.DRAFT) or isinstance(value, dict):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
            return value
        raise ValidationError(f"must be {CHOICE}")


def period(data: dict) -> tuple[date, date]:
    """The loaded ``from`` and ``to`` with their defaults: the last DEFAULT_DAYS days up to today."""
    return date_range(data, DEFAULT_DAYS)


class Period(RangeArgs):
    days = DEFAULT_DAYS


class SimulationBody(Period):
    program = ProgramChoice(load_default=choices.PUBLISHED, metadata={
        "description": f"the program to simulate: {CHOICE}", "oneOf": CHOICE_SCHEMA})
    compare_with = ProgramChoice(load_default=None, allow_none=True, metadata={
        "description": f"a second program over the same orders, optional: {CHOICE}",
        "oneOf": [*CHOICE_SCHEMA, {"type": "null"}]})
    source = fields.String(load_default=DEFAULT_SOURCE, validate=validate.OneOf(runs.SOURCES), metadata={
        "description": "whose orders: 'orders' (the plugin's own), 'imported' (history), 'all'"})
    scenario = fields.Nested(ScenarioSchema, load_default=lambda: SCENARIO.load({}),
                             metadata={"description": "the assumptions, in percents (30 = 30%)"})


class Open(Schema):
    """An answer the simulator may add figures to: what is listed is there, more may be."""

    class Meta:
        unknown = INCLUDE


def _money(**kwargs) -> fields.Decimal:
    return fields.Decimal(as_string=True, required=True, **kwargs)


def _share() -> fields.Decimal:
    return _money(allow_none=True, metadata={"description": "a fraction (0.1234); null when its base is 0"})


FIGURES = {
    "orders": fields.Integer(required=True),
    **{key: fields.Integer(required=True) for key in (
        "points_issued", "points_reversed", "points_redeemed", "points_expired", "points_outstanding",
        "points_breakage")},
    **{key: _money() for key in ("revenue", "gross_margin", "cost", "liability", "deferred_revenue",
                                 "recognised_revenue", "uplift_revenue")},
    "cost_share_of_revenue": _share(), "cost_share_of_margin": _share(),
}
MonthOut = Open.from_dict({"month": fields.String(required=True),
                             "customers": fields.Integer(required=True), **FIGURES}, name="EconomicsMonth")
TotalsOut = Open.from_dict(FIGURES, name="EconomicsTotals")
Difference = Open.from_dict({key: fields.Raw(allow_none=True) for key in FIGURES},
                               name="EconomicsDifference")
MonthDifference = Open.from_dict({"month": fields.String(required=True), "customers": fields.Integer(),
                                    **{key: fields.Raw(allow_none=True) for key in FIGURES}},
                                   name="EconomicsMonthDifference")


class RuleOut(Open):
    rule = fields.String(required=True, metadata={
        "description": "rate, category, multiplier, campaign, tier_multiplier, tier_bonus, signup, uplift, "
                       "other"})
    name = fields.String(required=True,
                         metadata={"description": "the category, campaign or tier; '' for none"})
    label = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "the rule's name per language, if the simulator gives one"})
    points = fields.Integer(required=True)
    share = _share()


class ProgramOut(Schema):
    kind = fields.String(required=True, metadata={"description": "published, draft, version or document"})
    version = fields.Integer(required=True, allow_none=True)


class ResultOut(Schema):
    program = fields.Nested(ProgramOut, required=True)
    currency = fields.String(required=True, allow_none=True)
    scenario = fields.Dict(required=True, metadata={"description": "the assumptions used, in percents"})
    months = fields.List(fields.Nested(MonthOut), required=True)
    totals = fields.Nested(TotalsOut, required=True)
    rules = fields.List(fields.Nested(RuleOut), required=True)


class DifferenceOut(Schema):
    months = fields.List(fields.Nested(MonthDifference), required=True)
    totals = fields.Nested(Difference, required=True)


class ComparisonOut(ResultOut):
    difference = fields.Nested(DifferenceOut, required=True, metadata={"description": "this minus the first"})


class SimulationOut(ResultOut):
    start = fields.String(data_key="from", required=True)
    end = fields.String(data_key="to", required=True)
    source = fields.String(required=True)
    comparison = fields.Nested(ComparisonOut, metadata={"description": "with compare_with: that program"})


class LiabilityOut(Open):
    currency = fields.String(required=True, allow_none=True)
    point_value = _money()
    points_outstanding = fields.Integer(required=True)
    face_value = _money()
    expected_redemption = _money(metadata={"description": "the fraction of points expected to be redeemed"})
    observed_redemption = _share()
    liability = _money(metadata={"description": "outstanding points x point value x expected redemption"})
    points_issued = fields.Integer(required=True)
    points_redeemed = fields.Integer(required=True)
    points_expired = fields.Integer(required=True)
    breakage_to_date = _share()
    revenue = _money()
    discount_given = _money()
    effective_discount_rate = _share()


DEFERRED_COLUMNS = ("month", "sales", "points_earned", "allocated_to_points", "points_redeemed",
                    "points_expired", "recognised_revenue", "contract_liability", "expected_redemption")
DeferredMonth = Open.from_dict({
    "month": fields.String(required=True), "sales": _money(), "points_earned": fields.Integer(required=True),
    "allocated_to_points": _money(), "points_redeemed": fields.Integer(required=True),
    "points_expired": fields.Integer(required=True), "recognised_revenue": _money(),
    "contract_liability": _money(), "expected_redemption": _money()}, name="DeferredRevenueMonth")


class DeferredOut(Schema):
    currency = fields.String(required=True, allow_none=True)
    start = fields.String(data_key="from", required=True)
    end = fields.String(data_key="to", required=True)
    months = fields.List(fields.Nested(DeferredMonth), required=True)


SIMULATION, PERIOD, SCENARIO = SimulationBody(), Period(), ScenarioSchema()


def simulation(shop_id: int, data: dict) -> dict:
    """The loaded body's run (the dashboard's form loads into the same shape)."""
    a = choices.choose(shop_id, data["program"], "program")
    b = (choices.choose(shop_id, data["compare_with"], "compare_with") if data["compare_with"] is not None
         else None)
    knobs = from_percents(data["scenario"], live.observed_rate(shop_id) if data["scenario"]["observed"]
                                   else None)
    start, end = period(data)
    return choices.run(shop_id, a, b, knobs, start, end, data["source"])


@routes.post("/economics/simulations")
@documented("What a program would have cost over the shop's past orders, month by month; with "
            "compare_with, a second program over the same orders and the difference",
            body=SimulationBody, response=SimulationOut)
def simulate():
    """Nothing is written: the orders are replayed in memory through the earning engine."""
    return jsonify(simulation(g.shop.id, json_object(SIMULATION)))


@routes.get("/economics/liability")
@documented("What the points on the books are worth now: the liability, breakage and discount rate",
            response=LiabilityOut)
def liability():
    return jsonify(live.liability_now(g.shop.id))


def deferred(shop: Shop, start: date, end: date) -> dict:
    return {"currency": shop.currency, "from": start.isoformat(), "to": end.isoformat(),
            "months": live.deferred_revenue(shop.id, start, end)}


@routes.get("/economics/deferred-revenue")
@documented("IFRS 15 deferred revenue per month: sales, the part allocated to points, revenue "
            "recognised and the contract liability at each month end", query=Period, response=DeferredOut)
def deferred_revenue():
    start, end = period(PERIOD.load(request.args))
    return jsonify(deferred(g.shop, start, end))


@routes.get("/economics/deferred-revenue.csv")
@documented("The deferred-revenue report as CSV, one row per month", query=Period, content="text/csv")
def deferred_revenue_csv():
    start, end = period(PERIOD.load(request.args))
    return deferred_csv(g.shop.id, start, end)


def deferred_csv(shop_id: int, start: date, end: date):
    """The CSV download (the dashboard's link serves the same file)."""
    rows = live.deferred_revenue(shop_id, start, end)
    table = [list(DEFERRED_COLUMNS), *([row[name] for name in DEFERRED_COLUMNS] for row in rows)]
    filename = f"deferred-revenue-{start.isoformat()}-{end.isoformat()}.csv"
    return download("".join(csvfile.lines(table)), filename)
