"""Tiers: a customer's level by a metric over a window (levels), its perks at checkout (perks) and
the tags and discounts Shopify applies for it (sync).

It imports core/, program/, ledger/ and pipeline's queue; it is told about orders by subscribing to facts."""

from plugin.tiers.levels import (
    WARNING,
    assign,
    evaluate,
    evaluate_many,
    history,
    latest_run,
    multiplied,
    multipliers,
    progress,
    reevaluate_all,
    reevaluate_shop,
    start_reevaluation,
    tier_multiplier,
)

__all__ = [
    "WARNING",
    "assign",
    "evaluate",
    "evaluate_many",
    "history",
    "latest_run",
    "multiplied",
    "multipliers",
    "progress",
    "reevaluate_all",
    "reevaluate_shop",
    "start_reevaluation",
    "tier_multiplier",
]
