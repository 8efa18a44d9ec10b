"""SMS length rules: GSM-7 160/153, UCS-2 (Cyrillic, emoji) 70/67, extension characters count twice."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.notify.sms import segments


@pytest.mark.parametrize(("text", "coding", "parts"), [
    ("", segments.GSM7, 0),
    ("a" * 160, segments.GSM7, 1),
    ("a" * 161, segments.GSM7, 2),
    ("a" * 306, segments.GSM7, 2),
    ("a" * 307, segments.GSM7, 3),
    ("€" * 80, segments.GSM7, 1),  # an extension character is two septets
    ("€" * 81, segments.GSM7, 2),
    ("б" * 70, segments.UCS2, 1),
    ("б" * 71, segments.UCS2, 2),
    ("б" * 134, segments.UCS2, 2),
    ("б" * 135, segments.UCS2, 3),
    ("a" * 159 + "ж", segments.UCS2, 3),  # one Cyrillic letter makes the whole text UCS-2
    ("🎉" * 35, segments.UCS2, 1),  # outside the BMP: two UTF-16 units each
    ("🎉" * 36, segments.UCS2, 2),
])
def test_segments_follow_the_gsm_and_ucs2_rules(text, coding, parts):
    assert segments.encoding(text) == coding
    assert segments.count(text) == parts


def test_a_russian_balance_text_of_seventy_letters_is_one_segment():
    text = "Начислено 120 баллов. Баланс: 860 баллов. Магазин «Ромашка». Спасибо!"
    assert len(text) <= 70 and segments.count(text) == 1
    assert segments.count(text + " Ждём вас снова") == 2


@given(st.text(max_size=600))
def test_more_text_never_needs_fewer_segments(text):
    parts = segments.count(text)
    assert segments.count(text + "a") >= parts
    limit = segments.CONCATENATED[segments.encoding(text)]
    assert parts * max(limit, segments.SINGLE[segments.encoding(text)]) >= segments.units(
        text, segments.encoding(text))
