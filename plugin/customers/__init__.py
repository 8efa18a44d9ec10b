"""Shops and their customers: registering a shop and recognising it (shops), finding, searching and
creating a shop's customers by platform id (lookup).

It imports core/ only."""

from plugin.customers.lookup import (
    balance_totals,
    ensure,
    ensure_many,
    find,
    require,
    search,
    tiers_held,
)

__all__ = [
    "balance_totals",
    "ensure",
    "ensure_many",
    "find",
    "require",
    "search",
    "tiers_held",
]
