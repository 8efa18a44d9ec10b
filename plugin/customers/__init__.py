"""Shops and their customers: registering a shop and recognising it (shops), finding, searching and
creating a shop's customers by platform id (lookup), and the name a customer is shown by (naming).

It imports core/ only."""

from plugin.customers.lookup import (
    balance_totals,
    ensure,
    ensure_many,
    find,
    finding,
    require,
    search,
    tiers_held,
)
from plugin.customers.naming import display_name, names

__all__ = [
    "balance_totals",
    "display_name",
    "ensure",
    "ensure_many",
    "find",
    "finding",
    "names",
    "require",
    "search",
    "tiers_held",
]
