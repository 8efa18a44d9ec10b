"""Quiet hours and the shopper's day, in their own time zone."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.notify.sms import hours

MOSCOW = hours.zone("Europe/Moscow")


@pytest.mark.parametrize(("hour", "window", "quiet"), [
    (20, (21, 9), False), (21, (21, 9), True), (23, (21, 9), True), (0, (21, 9), True),
    (8, (21, 9), True), (9, (21, 9), False), (3, (0, 7), True), (7, (0, 7), False),
    (12, (9, 9), False),
])
def test_quiet_hours_may_span_midnight(hour, window, quiet):
    assert hours.quiet(hour, window) is quiet


def test_a_text_at_night_in_moscow_waits_until_nine_moscow_time():
    assert hours.next_allowed(datetime(2026, 12, 7, 17, 59), MOSCOW, (21, 9)) is None  # 20:59 MSK
    assert hours.next_allowed(datetime(2026, 12, 7, 19, 30), MOSCOW, (21, 9)) == datetime(2026, 12, 8, 6)
    assert hours.next_allowed(datetime(2026, 12, 8, 2, 0), MOSCOW, (21, 9)) == datetime(2026, 12, 8, 6)


def test_an_unknown_zone_falls_back_to_the_next_name_then_utc():
    assert hours.zone("Mars/Olympus", "Europe/Moscow") == MOSCOW
    assert hours.zone(None, "nonsense").key == "UTC"


def test_the_shoppers_day_is_their_local_midnight_to_midnight():
    start, end = hours.day_bounds(datetime(2026, 12, 7, 22, 0), MOSCOW)  # already the 8th in Moscow
    assert (start, end) == (datetime(2026, 12, 7, 21, 0), datetime(2026, 12, 8, 21, 0))


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
       st.sampled_from(["Europe/Moscow", "America/New_York", "Asia/Kolkata", "UTC"]),
       st.tuples(st.integers(0, 23), st.integers(0, 23)))
def test_a_deferred_text_lands_outside_the_quiet_hours_within_a_day(now, name, window):
    tz = hours.zone(name)
    later = hours.next_allowed(now, tz, window)
    if later is not None:
        assert now < later <= now + timedelta(hours=25)
        assert not hours.quiet(hours.local(later, tz).hour, window)
