"""When a text may reach a shopper: outside the quiet hours of their own time zone (the shop's when
they have none), and not beyond the daily cap of their own calendar day. A text that may not go now
waits for the first moment it may: deferred, never dropped."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(*names: str | None) -> ZoneInfo:
    """The first of the names that is a known IANA zone; UTC when none is."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local(now: datetime, tz: ZoneInfo) -> datetime:
    """A naive UTC moment (the clock's) as the wall time in ``tz``."""
    return now.replace(tzinfo=UTC).astimezone(tz)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def quiet(hour: int, quiet_hours: tuple[int, int]) -> bool:
    """Whether a wall-clock hour falls in the quiet hours (start, end), which may span midnight."""
    start, end = quiet_hours
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end


def next_allowed(now: datetime, tz: ZoneInfo, quiet_hours: tuple[int, int]) -> datetime | None:
    """None when a text may go at ``now`` (naive UTC); else the UTC moment the quiet hours end."""
    wall = local(now, tz)
    if not quiet(wall.hour, quiet_hours):
        return None
    end = datetime.combine(wall.date(), time(quiet_hours[1]), tzinfo=tz)
    return utc(end if end > wall else end + timedelta(days=1))


def day_bounds(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The shopper's calendar day around ``now``, as naive UTC [start, end)."""
    today = local(now, tz).date()
    return (utc(datetime.combine(today, time(0), tzinfo=tz)),
            utc(datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)))
