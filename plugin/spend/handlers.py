"""What redemption does when facts are published (wired in plugin.pipeline.bootstrap)."""

from __future__ import annotations

from plugin.core import facts
from plugin.spend import redemption


def orders_applied(fact: facts.OrdersApplied) -> None:
    """The points the discount codes of paid orders used are now spent for good."""
    for row in fact.orders:
        order = row["order"]
        redemption.commit(fact.shop_id, order.get("discount_codes") or [], order["order_id"],
                          event_id=fact.events.get(order["order_id"]), amounts=order.get("discount_amounts"))


def order_cancelled(fact: facts.OrderCancelled) -> None:
    """A cancelled order gives back the points its discount used, before its own are taken back."""
    redemption.release_for_order(fact.shop_id, fact.order_id)
