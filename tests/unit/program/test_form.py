"""The editor's form <-> document mapping (plugin.program.form): any valid document goes through
the form and back unchanged, sections the form does not cover survive, and any form input gives a
document the schema judges (valid, or errors by field), never an exception."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from plugin.core.errors import flatten
from plugin.program import document, form
from plugin.program.ladder import DEFAULT_LADDER
from tests.unit.program.test_earning import CAR_SERVICE

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
tokens = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,6}", fullmatch=True)
words = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=8)
amounts = st.decimals(min_value=0, max_value=10000, places=2).map(lambda d: f"{d:f}")
positive = st.decimals(min_value=Decimal("0.5"), max_value=100, places=1).map(lambda d: f"{d:f}")
points = st.integers(0, 10**6)
langs = st.dictionaries(st.sampled_from(["en", "ru"]), words, max_size=2)
any_langs = st.dictionaries(st.sampled_from(["en", "ru", "de", "uk"]), words, max_size=3)  # labels


def simple_rate():
    return st.one_of(st.fixed_dictionaries({"kind": st.just("percent"), "percent": amounts}),
                     st.fixed_dictionaries({"kind": st.just("per_amount"), "points": points,
                                            "per": positive}))


@st.composite
def bands(draw):
    edges = sorted(draw(st.sets(st.integers(0, 10**5), min_size=1, max_size=4)))
    out = [{"from": str(a), "to": str(b), "points": draw(points)}
           for a, b in zip(edges, edges[1:], strict=False)]
    return {"kind": "bands", "bands": [*out, {"from": str(edges[-1]), "points": draw(points)}]}


@st.composite
def ladders(draw):
    thresholds = sorted(draw(st.sets(st.integers(1, 10**5), max_size=3)))
    ids = draw(st.lists(names, min_size=len(thresholds) + 2, max_size=len(thresholds) + 2, unique=True))
    tiers = [{"id": tier_id, "title": draw(langs), "threshold": str(threshold),
              "discount_percent": draw(st.sampled_from(["0", "3", "7.5"])),
              "free_shipping_threshold": draw(st.none() | amounts),
              "earn_multiplier": draw(positive), "entry_bonus": draw(points), "hidden": False}
             for tier_id, threshold in zip(ids, [0, *thresholds], strict=False)]
    tiers.append({**tiers[0], "id": ids[-1], "hidden": True})
    return {"metric": draw(st.sampled_from(["points_earned", "amount_spent", "orders"])), "tiers": tiers}


@st.composite
def documents(draw):
    """A valid document of every section the form edits, plus some it leaves alone."""
    cats = draw(st.dictionaries(names, st.fixed_dictionaries(
        {m: st.lists(tokens, max_size=2) for m in form.MATCHERS}), max_size=3))
    some_cats = st.lists(st.sampled_from(sorted(cats)), max_size=2, unique=True) if cats else st.just([])
    a_cat = st.sampled_from(sorted(cats)) if cats else st.nothing()
    types = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    a_type = st.sampled_from(types)
    expiry = st.one_of(st.just({"kind": "never"}), st.just({"kind": "end_of_month"}),
                       st.integers(1, 3650).map(lambda n: {"kind": "days", "days": n}))
    cap = st.none() | st.fixed_dictionaries({"percent": amounts.filter(lambda a: Decimal(a) <= 100),
                                            "category": st.none() | a_cat if cats else st.none()})
    rule = st.fixed_dictionaries({"category": a_cat, "rate": st.none() | simple_rate(),
                                  "multiplier": positive})
    grant = st.none() | st.fixed_dictionaries({"points": points, "point_type": a_type})
    ladder = draw(st.none() | ladders())
    tier_ids = [tier["id"] for tier in (ladder or {}).get("tiers", [])]
    start = datetime(2027, 1, 1) + timedelta(hours=draw(st.integers(0, 10**4)))
    reward_ids = draw(st.lists(names, max_size=3, unique=True))
    doc = {
        "point_types": {name: {"label": draw(any_langs), "expiry": draw(expiry), "redemption_cap": draw(cap)}
                        for name in types},
        "categories": cats,
        "earning": {"point_type": draw(a_type), "rate": draw(simple_rate() | bands()),
                    "category_rules": draw(st.lists(rule, max_size=2)) if cats else [],
                    "exclude_categories": draw(some_cats), "exclude_sale_items": draw(st.booleans()),
                    "first_order_min_points": draw(points), "min_order": draw(amounts),
                    "rounding": draw(st.sampled_from(["down", "nearest", "up"])), "pending_days": 3},
        "redemption": {"point_value": draw(positive), "exclude_categories": draw(some_cats),
                       "exclude_sale_items": draw(st.booleans()), "hold_minutes": 45},
        "signup": draw(grant), "birthday": draw(grant),
        "reviews": draw(st.none() | st.fixed_dictionaries(
            {"points": points, "point_type": a_type, "monthly_cap": st.none() | st.integers(1, 50)})),
        "referrals": draw(st.none() | st.fixed_dictionaries(
            {"referrer_points": points, "friend_points": points, "point_type": a_type,
             "friend_reward_on": st.sampled_from(["signup", "first_order"]), "pending_days": st.just(7)})),
        "tiers": ladder,
        "rewards": [{"id": reward_id, "kind": "percentage", "title": draw(any_langs),
                     "point_type": draw(a_type),
                     "points": draw(st.integers(1, 10**5)), "percent": draw(positive),
                     "min_order": draw(amounts), "valid_days": draw(st.none() | st.integers(1, 90)),
                     "tiers": draw(st.lists(st.sampled_from(tier_ids), max_size=1)) if tier_ids else []}
                    for reward_id in reward_ids],
        "campaigns": [{"name": draw(words), "starts_at": start.isoformat(),
                       "ends_at": (start + timedelta(days=draw(st.integers(1, 30)))).isoformat(),
                       "multiplier": draw(positive), "bonus": draw(points), "categories": draw(some_cats),
                       "customers": draw(st.lists(tokens, max_size=2))}
                      for _ in range(draw(st.integers(0, 2)))],
        # what the form does not cover
        "activities": {"follow": {"points": 50, "point_type": types[0], "limit": "once"}},
        "transfers": {"enabled": True, "min_points": 10},
        "offers": {"recommendations": 5},
    }
    return document.dump(document.load(doc))


def through_the_form(raw: dict, base: dict | None = None) -> dict:
    rebuilt, errors = form.to_document(form.to_fields(raw), base if base is not None else raw)
    assert errors == {}
    return rebuilt


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(raw=documents())
def test_any_valid_document_goes_through_the_form_unchanged(raw):
    assert document.load(through_the_form(raw)) == document.load(raw)


def test_the_car_service_program_goes_through_the_form_unchanged():
    raw = document.dump(document.load(CAR_SERVICE))
    assert document.load(through_the_form(raw)) == document.load(CAR_SERVICE)


@pytest.mark.parametrize("section", ["offers", "activities", "transfers", "games"])
def test_sections_the_form_does_not_cover_survive_a_form_edit(section):
    raw = document.dump(document.load({
        **CAR_SERVICE, "offers": {"recommendations": 7}, "transfers": {"enabled": True},
        "activities": {"follow": {"points": 5}},
        "games": {"badges": [{"id": "first", "title": {"en": "First"}, "when": "first_purchase"}]}}))
    fields = {**form.to_fields(raw), "earning.rate.percent": "2"}
    rebuilt, _ = form.to_document(fields, raw)
    assert rebuilt[section] == raw[section] and document.load(rebuilt)["earning"]["rate"]["percent"] == 2


def test_tiers_turned_on_with_no_rows_are_the_market_ladder():
    raw = document.dump(document.load(CAR_SERVICE))
    rebuilt, _ = form.to_document({**form.to_fields(raw), "tiers.enabled": "on"}, raw)
    tiers = document.load(rebuilt)["tiers"]
    assert [(t["title"]["ru"], t["threshold"], t["hidden"]) for t in tiers["tiers"]] == [
        ("Новичок", 0, False), ("Бронзовый", 1001, False), ("Серебряный", 5001, False),
        ("Золотой", 10001, False), ("Платиновый", 0, True)]
    assert tiers["metric"] == "points_earned" and rebuilt["tiers"] is not DEFAULT_LADDER


def test_a_category_name_used_twice_is_an_error_on_the_second_row():
    raw = document.dump(document.load(CAR_SERVICE))
    _, errors = form.to_document({**form.to_fields(raw), "categories.1.name": "works"}, raw)
    assert errors == {"categories.1.name": ["'works' is used twice"]}


def test_schema_errors_of_a_named_section_land_on_its_row():
    fields = {"categories.0.name": "works", "categories.0.sku_prefixes": "", "point_types.0.name": "regular",
              "point_types.0.expiry.kind": "days", "point_types.0.expiry.days": "",
              "earning.category_rules.0.category": "nope", "earning.category_rules.0.rate.kind": ""}
    placed = form.place({"point_types.regular.expiry.days": ["required"],
                         "earning.category_rules.0.category": ["unknown category 'nope'"],
                         "earning.category_rules.0.rate": ["give a rate or a multiplier"],
                         "reversal_policy": ["bad"]}, fields)
    assert placed == {"point_types.0.expiry.days": ["required"],
                      "earning.category_rules.0.category": ["unknown category 'nope'"],
                      "earning.category_rules.0.rate.kind": ["give a rate or a multiplier"],
                      "reversal_policy": ["bad"]}


field_names = st.sampled_from(sorted({*form.to_fields(document.dump(document.load(CAR_SERVICE))),
                                      "tiers.enabled", "tiers.tiers.0.threshold", "rewards.0.kind",
                                      "rewards.0.points", "campaigns.0.starts_at", "earning.rate.kind",
                                      "earning.rate.bands.0.from", "referrals.friend_points"}))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(fields=st.dictionaries(field_names | st.text(max_size=30), st.text(max_size=30), max_size=25))
def test_any_form_input_gives_a_valid_document_or_field_errors(fields):
    base = document.dump(document.load(CAR_SERVICE))
    raw, errors = form.to_document(fields, base)
    try:
        document.load(raw)
    except ValidationError as exc:
        errors = {**flatten(exc.messages), **errors}
    placed = form.place(errors, fields)
    assert all(isinstance(m, str) for messages in placed.values() for m in messages)
    assert sum(map(len, placed.values())) == sum(map(len, errors.values()))
