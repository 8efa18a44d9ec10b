"""Newest-first pages by id cursor (``before``), fast at any depth, unlike page numbers."""

from __future__ import annotations

from plugin.core.errors import LoyaltyError


def cursor(value: str | None) -> int | None:
    """The ``before`` query argument: a positive id, or None for the first page."""
    if value in (None, ""):
        return None
    if not value.isdigit() or not 0 < int(value) < 2**63:
        raise LoyaltyError(f"before must be a positive id, got {value!r}")
    return int(value)
