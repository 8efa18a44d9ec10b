"""Reading a platform's contact details: phones as E.164 digits, languages, time zones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.customers import contact


@pytest.mark.parametrize(("raw", "digits"), [
    ("+7 (916) 123-45-67", "79161234567"), ("8 916 123 45 67", "79161234567"),
    ("+15142546011", "15142546011"),
    ("555-1212", None), ("", None), (None, None), ("+1234567890123456", None),
])
def test_phones_become_e164_digits(raw, digits):
    assert contact.phone_digits(raw) == digits


@pytest.mark.parametrize(("raw", "lang"), [
    ("ru-RU", "ru"), ("en", "en"), ("pt_BR", "pt"), ("русский", None), ("", None)])
def test_a_locale_gives_its_language(raw, lang):
    assert contact.language(raw) == lang


@given(st.text(max_size=40))
def test_any_text_gives_a_storable_phone_or_none(raw):
    digits = contact.phone_digits(raw)
    assert digits is None or (digits.isdigit() and 10 <= len(digits) <= 15)
    assert contact.time_zone(raw) in (None, raw)
