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


PAGE_SIZE = 50  # rows a dashboard list shows; its pages fetch one more to know whether another follows


def split(rows: list, size: int) -> tuple[list, int | None]:
    """The rows to show of ``size + 1`` fetched, and the next page's cursor (None on the last page)."""
    shown = rows[:size]
    return shown, shown[-1].id if len(rows) > size else None
