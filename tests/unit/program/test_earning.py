"""The earning engine rule by rule, on plain data (no database), with property tests."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.program import caps, document
from plugin.program.earning import evaluate

NOW = datetime(2026, 11, 22, 12, 0)


def program(**changes) -> dict:
    doc = copy.deepcopy(document.DEFAULT)
    for key, value in changes.items():
        doc[key] = {**doc[key], **value} if key == "earning" else value
    return document.load(doc)


def order(*lines, shipping="0", tax="0") -> dict:
    """Lines as (sku, amount) or dicts with more fields."""
    out = []
    for n, line in enumerate(lines, 1):
        if isinstance(line, tuple):
            line = {"sku": line[0], "amount": line[1]}
        out.append({"line_id": str(n), "quantity": 1, "gift_card": False, **line})
    return {"lines": out, "shipping": shipping, "tax": tax}


def points(prog: dict, cart: dict, **kwargs) -> int:
    return evaluate(prog, cart, at=NOW, customer_id="c1", **kwargs).points


CAR_SERVICE = {  # Case 1 of the issue: a car service's program
    "point_types": {
        "regular": {"expiry": {"kind": "never"}, "redemption_cap": {"percent": "10", "category": "works"}},
        "premium": {"expiry": {"kind": "days", "days": 90},
                    "redemption_cap": {"percent": "50", "category": "works"}},
    },
    "categories": {"works": {"sku_prefixes": ["W-"]}, "parts": {"sku_prefixes": ["P-"]},
                   "promo": {"tags": ["promo"]}},
    "earning": {"point_type": "regular", "rate": {"kind": "percent", "percent": "0"},
                "category_rules": [{"category": "works", "rate": {"kind": "percent", "percent": "4"}},
                                   {"category": "parts", "rate": {"kind": "percent", "percent": "12"}}],
                "first_order_min_points": 1000},
    "birthday": {"points": 2000, "point_type": "premium"},
    "redemption": {"exclude_categories": ["promo"]},
}
CARD_HOLDERS = {  # Case 2: 10% of works, 5% of parts, at most 10% of works payable with points
    "point_types": {"regular": {"redemption_cap": {"percent": "10", "category": "works"}}},
    "categories": {"works": {"sku_prefixes": ["W-"]}, "parts": {"sku_prefixes": ["P-"]}},
    "earning": {"rate": {"kind": "percent", "percent": "0"},
                "category_rules": [{"category": "works", "rate": {"kind": "percent", "percent": "10"}},
                                   {"category": "parts", "rate": {"kind": "percent", "percent": "5"}}]},
}
BANDS = {"kind": "bands", "bands": [{"from": "1000", "to": "2000", "points": 100},
                                    {"from": "2000", "to": "5000", "points": 200},
                                    {"from": "5000", "points": 300}]}


def test_case_1_works_and_parts_earn_their_own_rates():
    prog = document.load(CAR_SERVICE)
    assert points(prog, order(("W-OIL", "10000.00"), ("P-FILTER", "5000.00"))) == 400 + 600


def test_case_1_first_visit_earns_at_least_1000_points():
    prog = document.load(CAR_SERVICE)
    small = order(("W-OIL", "2000.00"), ("P-FILTER", "1000.00"))  # 80 + 120
    assert points(prog, small) == 200
    first = evaluate(prog, small, at=NOW, customer_id="c1", first_order=True)
    assert first.points == 1000 and "first order" in first.reason


def test_case_1_points_pay_at_most_10_percent_of_works_and_never_promo_items():
    prog = document.load(CAR_SERVICE)
    promo = {"sku": "X", "amount": "1000", "tags": ["promo"]}
    cart = order(("W-OIL", "3000.00"), ("P-FILTER", "2000.00"), promo)
    pays = caps.payable(prog, cart["lines"], {"regular": 5000, "premium": 2000})
    assert pays == {"amount": "5000.00", "by_type": {"regular": 300, "premium": 1500}, "total": 1800}
    only_promo = order({"sku": "X", "amount": "1000", "tags": ["promo"]})
    assert caps.payable(prog, only_promo["lines"], {"regular": 5000})["total"] == 0


def test_case_2_ten_percent_of_works_five_of_parts_and_a_works_cap():
    prog = document.load(CARD_HOLDERS)
    assert points(prog, order(("W-1", "8000"), ("P-1", "4000"))) == 800 + 200
    pays = caps.payable(prog, order(("W-1", "8000"), ("P-1", "4000"))["lines"], {"regular": 3000})
    assert pays["by_type"] == {"regular": 800}


@pytest.mark.parametrize(("amount", "expected"), [
    ("999.99", 0), ("1000", 100), ("1999.99", 100), ("2000", 200), ("4999", 200), ("5000", 300),
    ("90000", 300)])
def test_band_table_by_eligible_amount(amount, expected):
    prog = program(earning={"rate": BANDS})
    assert points(prog, order(("A", amount))) == expected


@pytest.mark.parametrize(("rounding", "expected"), [("down", 10), ("nearest", 11), ("up", 11)])
def test_one_point_per_currency_unit_with_each_rounding(rounding, expected):
    prog = program(earning={"rate": {"kind": "per_amount", "points": 1, "per": "1"}, "rounding": rounding})
    assert points(prog, order(("A", "10.50"))) == expected
    assert points(prog, order(("A", "10.49"))) == (11 if rounding == "up" else 10)


def test_excluded_categories_sale_items_and_gift_cards_earn_nothing():
    prog = program(categories={"promo": {"vendors": ["Outlet"]}},
                   earning={"rate": {"kind": "percent", "percent": "10"},
                            "exclude_categories": ["promo"], "exclude_sale_items": True})
    result = evaluate(prog, order(("A", "100"), {"sku": "B", "amount": "100", "vendor": "Outlet"},
                                  {"sku": "C", "amount": "100", "on_sale": True},
                                  {"sku": "D", "amount": "100", "gift_card": True}), at=NOW, customer_id=None)
    assert result.points == 10
    assert [line.excluded for line in result.lines] == [
        None, "excluded category promo", "sale item", "gift card"]


def test_shipping_and_tax_count_only_when_the_program_says_so():
    cart = order(("A", "100"), shipping="50", tax="20")
    assert points(program(earning={"rate": {"kind": "percent", "percent": "10"}}), cart) == 10
    both = program(earning={"rate": {"kind": "percent", "percent": "10"},
                            "include_shipping": True, "include_tax": True})
    assert points(both, cart) == 17


def test_minimum_order_and_category_multipliers_and_product_ids():
    prog = program(categories={"featured": {"product_ids": ["42"]}},
                   earning={"rate": {"kind": "percent", "percent": "10"}, "min_order": "500",
                            "category_rules": [{"category": "featured", "multiplier": "3"}]})
    assert points(prog, order(("A", "499.99"))) == 0
    assert points(prog, order(("A", "400"), {"sku": "B", "amount": "100", "product_id": "42"})) == 40 + 30


def test_campaigns_stack_by_the_stated_rule_and_respect_window_and_customers():
    campaigns = [
        {"name": "double", "starts_at": "2026-11-01T00:00:00", "ends_at": "2026-12-01T00:00:00",
         "multiplier": "2"},
        {"name": "triple-vip", "starts_at": "2026-11-01T00:00:00", "ends_at": "2026-12-01T00:00:00",
         "multiplier": "3", "customers": ["vip"]},
        {"name": "bonus", "starts_at": "2026-11-20T00:00:00", "ends_at": "2026-11-23T00:00:00", "bonus": 50},
        {"name": "past", "starts_at": "2026-01-01T00:00:00", "ends_at": "2026-02-01T00:00:00", "bonus": 999},
    ]
    cart = order(("A", "1000"))
    # 5% of 1000 = 50; x2 for all, x3 for the VIP only; +50 bonus for everyone this week
    for stacking, vip, regular in (("highest", 200, 150), ("multiply", 350, 150), ("add", 250, 150)):
        prog = program(earning={"rate": {"kind": "percent", "percent": "5"}}, campaigns=campaigns,
                       campaign_stacking=stacking)
        assert evaluate(prog, cart, at=NOW, customer_id="vip").points == vip, stacking
        assert evaluate(prog, cart, at=NOW, customer_id="someone").points == regular, stacking


def test_earning_limit_caps_what_is_granted():
    prog = program(earning={"rate": {"kind": "percent", "percent": "10"}})
    result = evaluate(prog, order(("A", "1000")), at=NOW, customer_id="c", allowance=30)
    assert result.points == 30 and "earning limit" in result.reason


def test_refunded_amounts_are_taken_out_before_evaluating():
    prog = program(earning={"rate": BANDS})
    cart = order(("A", "3000"), ("B", "2500"))
    assert points(prog, cart) == 300
    assert points(prog, cart, refunded={"2": "2500"}) == 200


amounts = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@given(amount=amounts, percent=percents, rounding=st.sampled_from(["down", "nearest", "up"]),
       kind=st.sampled_from(["percent", "per_amount", "bands"]))
def test_earning_is_never_negative(amount, percent, rounding, kind):
    rate = {"percent": {"kind": "percent", "percent": str(percent)},
            "per_amount": {"kind": "per_amount", "points": 3, "per": "7"}, "bands": BANDS}[kind]
    prog = program(earning={"rate": rate, "rounding": rounding})
    assert points(prog, order(("A", str(amount)))) >= 0


@given(a=amounts, b=amounts, percent=percents, rounding=st.sampled_from(["down", "nearest", "up"]))
def test_a_plain_percentage_is_monotone_in_the_amount(a, b, percent, rounding):
    prog = program(earning={"rate": {"kind": "percent", "percent": str(percent)}, "rounding": rounding})
    low, high = sorted([a, b])
    assert points(prog, order(("A", str(low)))) <= points(prog, order(("A", str(high))))


@given(lines=st.lists(amounts, min_size=1, max_size=5), data=st.data())
def test_what_an_order_keeps_after_any_refunds_never_exceeds_what_it_earned(lines, data):
    prog = program(earning={"rate": BANDS})
    cart = order(*[("A", str(x)) for x in lines])
    refunded = {str(n): str(data.draw(st.decimals(min_value=0, max_value=x, places=2)))
                for n, x in enumerate(lines, 1) if data.draw(st.booleans())}
    assert 0 <= points(prog, cart, refunded=refunded) <= points(prog, cart)
