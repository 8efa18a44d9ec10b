"""The one clock: UTC, injectable so tests can move time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """Current UTC time as a naive datetime (the database stores UTC without zone)."""
    return _source().astimezone(UTC).replace(tzinfo=None)


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); None restores the system clock."""
    global _source
    _source = source or (lambda: datetime.now(UTC))


def iso(moment: datetime | None) -> str | None:
    """A UTC moment (naive, as stored, or aware) as ISO 8601 with its offset, for JSON sent out
    (messages, webhooks); None stays None."""
    if moment is None:
        return None
    return (moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
