"""What tiers do when facts are published (wired in plugin.pipeline.bootstrap)."""

from __future__ import annotations

from plugin.core import facts
from plugin.tiers import levels


def orders_applied(fact: facts.OrdersApplied) -> None:
    """The buyers of a batch of paid orders move up at once (their points and orders count now)."""
    levels.evaluate_many(fact.shop_id, [customer.id for customer in fact.customers], now=fact.at,
                         current=(fact.version, fact.program))
