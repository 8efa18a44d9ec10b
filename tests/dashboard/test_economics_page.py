"""The economics page: it renders in Russian and English, compares the published program with the
draft at first sight and marks each difference better or worse in words and arrows, answers a bad
form with a 422 naming the field, downloads the deferred-revenue CSV, and shows one shop only."""

from __future__ import annotations

import copy
import re
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.core import clock
from plugin.core.db import session
from plugin.program import document, drafts
from tests.helpers import priced_order, sign_in

MARCH = datetime(2026, 3, 10, 12)
PERIOD = "from=2026-03-01&to=2026-04-30"
GENEROUS = {**copy.deepcopy(document.DEFAULT), "earning": {
    "point_type": "regular", "rate": {"kind": "percent", "percent": "10"}, "rounding": "down"}}


@pytest.fixture
def sold(app, shop, paid, signed_in):
    """Two orders (1000.00 and 500.00) in March 2026 and a draft that earns 10% instead of 5%."""
    clock.set_source(lambda: MARCH)
    paid(priced_order(9001, "1000.00"), priced_order(9002, "500.00"))
    with session():
        drafts.keep(shop.id, GENEROUS, 0, "Olga")
    return signed_in


def row(html: str, css_class: str) -> str:
    return re.search(rf'<tr class="{css_class}">(.*?)</tr>', html, re.S).group(1)


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("Economics", "Program A and program B side by side", "worse", "Deferred revenue (IFRS 15)")),
    ("ru", ("Экономика", "Программы A и B рядом", "хуже", "Отложенная выручка (МСФО 15")),
])
def test_the_first_view_compares_the_published_program_with_the_draft(sold, lang, words):
    answer = sold.get(f"/admin/economics?lang={lang}")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    for word in words:
        assert word in html, word
    assert 'href="/admin/economics"' in html  # in the navigation
    assert html.count('<figure class="chart"') == 4
    assert "econ." not in re.sub(r'class="[^"]*"|id="[^"]*"', "", html)  # every key has its text


def test_each_difference_says_better_or_worse_with_an_arrow_and_a_sign(sold):
    html = sold.get(f"/admin/economics?lang=en&program=published&compare_with=draft&{PERIOD}"
                    "&redemption_rate=50&months_to_redeem=0").get_data(as_text=True)
    issued = row(html, "points_issued")
    assert "4,500" not in issued and ">75<" not in issued
    assert re.search(r'class="num delta changed"><span aria-hidden="true">▲</span> \+75 ', issued)
    liability = row(html, "liability")
    assert 'delta worse' in liability and "▲" in liability and "worse" in liability
    assert 'delta same' in row(html, "revenue") and "same" in row(html, "revenue")


def test_one_program_alone_has_no_comparison(sold):
    answer = sold.get(f"/admin/economics?lang=en&program=published&compare_with=&{PERIOD}")
    html = answer.get_data(as_text=True)
    assert "side by side" not in html and html.count('<figure class="chart"') == 3
    assert '<table class="econ-months" id="months-A">' in html and 'id="months-B"' not in html


@pytest.mark.parametrize(("query", "field"), [
    ("program=9", "program"), ("redemption_rate=101", "redemption_rate"),
    ("months_to_redeem=1.5", "months_to_redeem"),
    ("margins=shoes", "margins"), ("from=2026-05-01&to=2026-04-01", "from"), ("source=x", "source"),
])
def test_a_bad_form_is_a_422_that_marks_its_field(sold, query, field):
    answer = sold.get(f"/admin/economics?{query}&lang=en&program=published")  # the first value counts
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert f'id="econ-{field}-error"' in html and 'aria-invalid="true"' in html
    assert "Now: the points on the books" in html  # the live figures stay


def test_the_deferred_revenue_csv_downloads(sold):
    answer = sold.get(f"/admin/economics/deferred-revenue.csv?{PERIOD}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.get_data(as_text=True).splitlines()[1].startswith("2026-03,1500.00,75,")
    assert sold.get("/admin/economics/deferred-revenue.csv?from=x").status_code == 422


def test_another_shops_owner_sees_neither_the_orders_nor_the_draft(app, client, other_shop, sold):
    sign_in(app, client, other_shop)
    html = client.get(f"/admin/economics?lang=en&{PERIOD}&program=published").get_data(as_text=True)
    assert "1,500.00" not in html and "Draft from the editor" not in html
    assert client.get("/admin/economics?program=draft").status_code == 422


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(["program", "compare_with", "from", "to", "source",
                                              "redemption_rate", "months_to_redeem", "uplift", "margin",
                                              "margins", "observed"]),
                             st.text(max_size=12), max_size=6))
def test_any_form_is_answered_200_or_422(sold, query):
    answer = sold.get("/admin/economics", query_string=query)
    assert answer.status_code in (200, 400, 422), answer.get_data(as_text=True)[:500]


def test_the_demos_band_table_draft_is_compared_rule_by_rule(app, shop, sold):
    from plugin.cli.demo_economics import draft_program
    from plugin.program import versions

    with session():
        drafts.keep(shop.id, draft_program(versions.current(shop.id)[1]), 0, "loyalty demo")
    answer = sold.get(f"/admin/economics?lang=ru&program=published&compare_with=draft&{PERIOD}")
    html = answer.get_data(as_text=True)
    assert '<table class="econ-rules" id="rules-B">' in html and "Базовая ставка" in html
    assert "Программы A и B рядом" in html


def test_margins_per_category_are_read_from_one_line(sold):
    from plugin.dashboard.economics_page import margins_of

    assert margins_of("shoes=40, bags: 55\nsale=10") == {"shoes": "40", "bags": "55", "sale": "10"}
    answer = sold.get(f"/admin/economics?program=published&margins=shoes%3D40%2C+bags%3A+55&{PERIOD}")
    assert answer.status_code == 200
