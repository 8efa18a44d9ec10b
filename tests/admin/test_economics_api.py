"""Economics over the admin API: a program's simulation alone and against another, the liability now,
the deferred-revenue report and its CSV; scoped to the shop; bad input a 422 naming the field."""

from __future__ import annotations

import copy
import json
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.core import clock
from plugin.core.db import session
from plugin.program import document, drafts
from tests.helpers import admin_headers, priced_order, set_program

MARCH = datetime(2026, 3, 10, 12)
PERIOD = {"from": "2026-03-01", "to": "2026-04-30"}
TEN_PERCENT = {**copy.deepcopy(document.DEFAULT), "earning": {
    "point_type": "regular", "rate": {"kind": "percent", "percent": "10"}, "rounding": "down"}}


@pytest.fixture
def sold(app, shop, paid):
    """Two orders of 1000.00 and 500.00 on 10 March 2026 under the default program (5%, +100 sign-up)."""
    clock.set_source(lambda: MARCH)
    paid(priced_order(9001, "1000.00"), priced_order(9002, "500.00"))
    return admin_headers(app, shop)


def simulate(client, headers, **body):
    return client.post("/api/v1/economics/simulations", json={**PERIOD, **body}, headers=headers)


def test_the_published_program_over_the_shops_orders_month_by_month(client, sold):
    answer = simulate(client, sold, scenario={"redemption_rate": 50, "months_to_redeem": 1, "margin": 30})
    assert answer.status_code == 200, answer.json
    result = answer.json
    assert result["program"] == {"kind": "published", "version": None}
    assert (result["from"], result["to"], result["source"], result["currency"]) == (
        "2026-03-01", "2026-04-30", "all", "USD")
    assert [m["month"] for m in result["months"]] == ["2026-03", "2026-04"]
    march = result["months"][0]
    assert (march["orders"], march["revenue"], march["gross_margin"]) == (2, "1500.00", "450.00")
    assert march["points_issued"] == 50 + 25 + 100  # 5% of each order, and Bob's sign-up once
    assert result["totals"]["points_issued"] == 175
    assert {row["rule"] for row in result["rules"]} == {"rate", "signup"}
    assert result["scenario"]["redemption_rate"].startswith("50")
    assert "comparison" not in result


def test_a_draft_against_the_published_program_shows_the_difference(client, shop, sold):
    with session():
        drafts.keep(shop.id, TEN_PERCENT, 0, "Olga")
    answer = simulate(client, sold, program="published", compare_with="draft")
    assert answer.status_code == 200, answer.json
    comparison = answer.json["comparison"]
    assert comparison["program"] == {"kind": "draft", "version": None}
    assert comparison["totals"]["points_issued"] == 100 + 50 + 100
    assert comparison["difference"]["totals"]["points_issued"] == 75  # 10% minus 5% of 1500
    assert [m["month"] for m in comparison["difference"]["months"]] == ["2026-03", "2026-04"]


def test_a_version_and_a_whole_document_can_be_simulated(client, shop, sold):
    number = set_program(shop, TEN_PERCENT)
    by_number = simulate(client, sold, program=number, compare_with=str(number))
    assert by_number.status_code == 200, by_number.json
    assert by_number.json["program"] == {"kind": "version", "version": number}
    assert by_number.json["comparison"]["difference"]["totals"]["points_issued"] == 0
    whole = simulate(client, sold, program=TEN_PERCENT)
    assert whole.json["program"] == {"kind": "document", "version": None}
    assert whole.json["totals"]["points_issued"] == by_number.json["totals"]["points_issued"]


@pytest.mark.parametrize(("body", "field"), [
    ({"program": "draft"}, "program"),  # the shop has none
    ({"program": 7}, "program"),  # no such version
    ({"program": "newest"}, "program"),
    ({"program": True}, "program"),
    ({"compare_with": {"earning": "lots"}}, "compare_with.point_types"),
    ({"program": {**TEN_PERCENT, "currency": "EUR"}}, "program.currency"),
    ({"from": "2026-05-01", "to": "2026-04-01"}, "from"),
    ({"from": "2020-01-01", "to": "2026-04-01"}, "to"),
    ({"source": "elsewhere"}, "source"),
    ({"scenario": {"redemption_rate": 101}}, "scenario.redemption_rate"),
    ({"scenario": {"months_to_redeem": 1.5}}, "scenario.months_to_redeem"),
    ({"scenario": {"margin": 100}}, "scenario.margin"),
    ({"scenario": {"luck": 1}}, "scenario.luck"),
    ({"extra": 1}, "extra"),
])
def test_bad_input_is_a_422_naming_the_field(client, sold, body, field):
    answer = simulate(client, sold, **body)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["fields"], answer.json


def test_the_liability_now_and_the_deferred_revenue_report(client, sold):
    liability = client.get("/api/v1/economics/liability", headers=sold)
    assert liability.status_code == 200
    assert liability.json["points_outstanding"] == 75  # the sign-up bonus comes with a sign-up, not an order
    assert liability.json["face_value"] == "75.00"  # the default point is worth 1.00
    assert liability.json["currency"] == "USD"
    report = client.get("/api/v1/economics/deferred-revenue?from=2026-02-01&to=2026-03-31", headers=sold)
    assert report.status_code == 200
    assert [(m["month"], m["sales"], m["points_earned"]) for m in report.json["months"]] == [
        ("2026-02", "0.00", 0), ("2026-03", "1500.00", 75)]


def test_the_deferred_revenue_csv_opens_as_a_table_of_months(client, sold):
    answer = client.get("/api/v1/economics/deferred-revenue.csv?from=2026-03-01&to=2026-04-30", headers=sold)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert 'filename="deferred-revenue-2026-03-01-2026-04-30.csv"' in answer.headers["Content-Disposition"]
    lines = answer.get_data(as_text=True).splitlines()
    assert lines[0].startswith("month,sales,points_earned,allocated_to_points")
    assert [line.split(",")[:3] for line in lines[1:]] == [["2026-03", "1500.00", "75"],
                                                           ["2026-04", "0.00", "0"]]
    bad = client.get("/api/v1/economics/deferred-revenue.csv?from=2026-13-01", headers=sold)
    assert bad.status_code == 422 and "from" in bad.json["fields"]


def test_another_shops_key_sees_none_of_it(app, client, shop, other_shop, sold):
    theirs = admin_headers(app, other_shop)
    with session():
        drafts.keep(shop.id, TEN_PERCENT, 0, "Olga")
    answer = simulate(client, theirs)
    assert answer.status_code == 200 and answer.json["totals"]["orders"] == 0
    assert simulate(client, theirs, program="draft").status_code == 422  # the draft is the first shop's
    assert client.get("/api/v1/economics/liability", headers=theirs).json["points_outstanding"] == 0
    months = client.get("/api/v1/economics/deferred-revenue?from=2026-03-01&to=2026-03-31", headers=theirs)
    assert months.json["months"][0]["sales"] == "0.00"


def test_without_the_key_nothing(client, shop):
    assert client.post("/api/v1/economics/simulations", json={}).status_code == 401
    assert client.get("/api/v1/economics/liability").status_code == 401
    assert client.get("/api/v1/economics/deferred-revenue.csv").status_code == 401


CHOICES = st.one_of(st.sampled_from(["published", "draft", "1", "0", "", "x"]), st.integers(-3, 2**40),
                    st.none(), st.booleans(), st.dictionaries(st.text(max_size=8), st.integers(), max_size=2))
PERCENTS = st.one_of(st.integers(-5, 120), st.text(max_size=6), st.none(),
                     st.floats(allow_nan=False, allow_infinity=False),
                     st.sampled_from(["1e999999", "NaN", "-0", "99.99999"]))
FIELDS = {"program": CHOICES, "compare_with": CHOICES,
          "from": st.one_of(st.dates().map(str), st.text(max_size=12)),
          "to": st.one_of(st.dates().map(str), st.text(max_size=12)),
          "source": st.sampled_from(["orders", "imported", "all", "x", 3]),
          "scenario": st.fixed_dictionaries({}, optional={
              "redemption_rate": PERCENTS, "months_to_redeem": PERCENTS, "uplift": PERCENTS,
              "margin": PERCENTS, "observed": st.one_of(st.booleans(), st.text(max_size=3)),
              "margins": st.dictionaries(st.text(max_size=5), PERCENTS, max_size=3)}),
          "extra": st.text(max_size=3)}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.fixed_dictionaries({}, optional=FIELDS))
def test_any_body_is_answered_200_or_a_4xx_naming_the_field(client, sold, body):
    answer = client.post("/api/v1/economics/simulations", data=json.dumps(body),
                         headers={**sold, "Content-Type": "application/json"})
    assert answer.status_code in (200, 400, 422), answer.text
    if answer.status_code == 400:
        assert answer.json["error"] == "nul_character"
    if answer.status_code == 422:
        assert any(name.split(".")[0] in FIELDS for name in answer.json["fields"]), answer.json


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.one_of(st.dates().map(str), st.text(max_size=12)), end=st.one_of(st.dates().map(str),
                                                                                  st.text(max_size=12)))
def test_any_period_of_the_report_is_answered_200_or_422(client, sold, start, end):
    for path in ("/api/v1/economics/deferred-revenue", "/api/v1/economics/deferred-revenue.csv"):
        answer = client.get(path, query_string={"from": start, "to": end}, headers=sold)
        assert answer.status_code in (200, 400, 422), answer.text
        if answer.status_code == 422:
            assert set(answer.json["fields"]) <= {"from", "to"}


def test_the_observed_rate_is_used_only_when_the_shop_has_one(client, sold):
    answer = simulate(client, sold, scenario={"redemption_rate": 40, "observed": True})
    assert answer.status_code == 200
    assert answer.json["scenario"]["redemption_rate"].startswith("40")  # 75 points say nothing yet
