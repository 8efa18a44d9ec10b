"""Tiers: a customer's level by a metric over a window (levels), shop-wide re-evaluations (runs), its
perks at checkout (perks), a shopper's row read with their tier row in one statement (standing) and
the tags and discounts Shopify applies for it (sync); the earn multiplier of a tier is the
program's (plugin.program.multipliers, re-exported here).

It imports core/, customers/, program/, ledger/ and pipeline's queue; it is told about orders by
the facts it handles (handlers, wired in plugin.pipeline.bootstrap)."""

from plugin.program.multipliers import multiplied, multipliers, tier_multiplier
from plugin.tiers.levels import WARNING, assign, evaluate, evaluate_many, history, progress
from plugin.tiers.runs import latest_run, reevaluate_all, reevaluate_shop, start_reevaluation

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
