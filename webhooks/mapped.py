"""A delivery in canonical form, whatever platform sent it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mapped:
    """A delivery in canonical form: what it means, and the keys that make it apply once."""

    kind: str | None
    payload: dict | None = None
    business_key: str | None = None
    subject: str | None = None  # the order it depends on
    status: str = "pending"
    note: str | None = None


def unknown(topic: str) -> Mapped:
    return Mapped(None, status="ignored", note=f"topic {topic!r} is not one the plugin handles")
