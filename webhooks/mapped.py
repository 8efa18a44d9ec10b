"""A delivery in canonical form, whatever platform sent it, and the bounds every mapper keeps."""

from __future__ import annotations

from dataclasses import dataclass

from plugin.core.status import EventStatus

#: Bounds of what fits our columns and arithmetic: platform ids fit a signed 64-bit integer,
#: amounts stay far inside Decimal(18, 4), quantities are what a real cart holds.
MAX_ID = 2**63 - 1
MAX_AMOUNT = 10**12
MAX_QUANTITY = 10**6


@dataclass(frozen=True)
class Mapped:
    """A delivery in canonical form: what it means, and the keys that make it apply once."""

    kind: str | None
    payload: dict | None = None
    business_key: str | None = None
    subject: str | None = None  # the order it depends on
    status: str = EventStatus.PENDING
    note: str | None = None


def unknown(topic: str) -> Mapped:
    return Mapped(None, status=EventStatus.IGNORED, note=f"topic {topic!r} is not one the plugin handles")


def invalid(reason: str) -> Mapped:
    """A signed delivery that does not fit our schema; ``reason`` names the field path."""
    text = reason[:2000].replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode()
    return Mapped(None, status=EventStatus.INVALID, note=text)
