"""Widget offers: each kind when it applies and not otherwise, ranking, languages, events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import OfferEvent
from plugin.program import document
from plugin.program.document import DEFAULT
from plugin.spend import offers

BOB, ALICE = "207119551", "207119552"
NOW = datetime(2026, 11, 1, 12, 0)
IPODS = {"ipods": {"sku_prefixes": ["IPOD"]}, "apple": {"vendors": ["Apple"]}}
TEMPLATE = {"category": "apple", "title": {"en": "10% off Apple", "ru": "Скидка 10% на Apple"},
            "text": {"en": "Just for you this week.", "ru": "Только для вас на этой неделе."}}


@pytest.fixture(autouse=True)
def frozen():
    clock.set_source(lambda: NOW.replace(tzinfo=UTC))


# --- formatting ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "en", "ru"), [
    (1, "1 point", "1\u00a0балл"), (3, "3 points", "3\u00a0балла"), (11, "11 points", "11\u00a0баллов"),
    (21, "21 points", "21\u00a0балл"), (1250, "1,250 points", "1\u00a0250\u00a0баллов"),
])
def test_points_read_naturally_in_both_languages(n, en, ru):
    assert (offers.points(n, "en"), offers.points(n, "ru")) == (en, ru)


@pytest.mark.parametrize(("amount", "currency", "en", "ru"), [
    ("1234.5", "USD", "$1,234.50", "1\u00a0234,50\u00a0$"), ("50", "EUR", "€50", "50\u00a0€"),
    ("12.345", "CAD", "12.35 CAD", "12,35\u00a0CAD"), ("1500", "JPY", "1,500 JPY", "1\u00a0500\u00a0JPY"),
])
def test_amounts_are_formatted_for_the_language_and_currency(amount, currency, en, ru):
    assert offers.money(Decimal(amount), currency, "en") == en
    assert offers.money(Decimal(amount), currency, "ru") == ru


@pytest.mark.parametrize(("given", "lang"), [("ru", "ru"), ("ru-RU", "ru"), ("EN", "en"), ("de", "en"),
                                             (None, "en")])
def test_the_language_is_ru_or_en(given, lang):
    assert offers.language(given) == lang


# --- the program's offers section ---------------------------------------------------------------

def test_offers_section_is_optional_and_defaults_apply():
    assert document.load(DEFAULT)["offers"] is None
    loaded = document.load({**DEFAULT, "offers": {}})["offers"]
    assert loaded == {"category_templates": [], "free_shipping_threshold": None,
                      "birthday_month": True, "recommendations": 3}


@pytest.mark.parametrize(("section", "field", "message"), [
    ({"category_templates": [{**TEMPLATE, "category": "shoes"}]}, "offers.category_templates.0.category",
     "unknown category 'shoes'"),
    ({"category_templates": [TEMPLATE, TEMPLATE]}, "offers.category_templates.1.category",
     "this category has a template already"),
    ({"category_templates": [{**TEMPLATE, "title": {"de": "x"}}]}, "offers.category_templates.0.title",
     None),
    ({"free_shipping_threshold": "-1"}, "offers.free_shipping_threshold", None),
    ({"recommendations": 50}, "offers.recommendations", None),
])
def test_a_bad_offers_section_names_the_field(section, field, message):
    from plugin.core.errors import flatten

    with pytest.raises(ValidationError) as caught:
        document.load({**DEFAULT, "categories": IPODS, "offers": section})
    fields = flatten(caught.value.messages)
    assert any(name.startswith(field) for name in fields), fields
    if message:
        assert message in fields[field]


# --- each kind ----------------------------------------------------------------------------------


# --- events -------------------------------------------------------------------------------------

def events() -> list[tuple]:
    with session():
        return [(e.offer_id, e.kind, e.customer.platform_id if e.customer else None)
                for e in OfferEvent.select().order_by(OfferEvent.id)]


