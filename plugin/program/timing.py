"""When granted points expire and when pending points become spendable."""

from __future__ import annotations

from datetime import datetime, timedelta


def expires_at(program: dict, point_type: str, granted_at: datetime) -> datetime | None:
    """The expiry of points of this type granted now: never, N days later, or period end."""
    expiry = program["point_types"][point_type]["expiry"]
    if expiry["kind"] == "days":
        return granted_at + timedelta(days=expiry["days"])
    if expiry["kind"] == "end_of_month":
        first = granted_at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return (first + timedelta(days=32)).replace(day=1)
    if expiry["kind"] == "end_of_year":
        return datetime(granted_at.year + 1, 1, 1)
    return None


def pending_until(days: int, granted_at: datetime) -> datetime | None:
    return granted_at + timedelta(days=days) if days else None
