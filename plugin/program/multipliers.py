"""Tier earn multipliers: what an order of a customer on a tier earns times (the tier's
``earn_multiplier``), read by the applier and the widget's quote alike (plugin.program.order_points)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from plugin.core.models import Customer, CustomerTier
from plugin.core.prepared import Prepared


def multipliers(program: dict, customer_ids: list[int]) -> dict[int, Decimal]:
    """The earn multiplier of each customer's tier (only customers whose tier has one)."""
    rules = program.get("tiers")
    if not rules or not customer_ids:
        return {}
    factor = {tier["id"]: tier["earn_multiplier"] for tier in rules["tiers"]}
    if len(customer_ids) == 1:  # an order or a quote: the same query, its SQL built once
        rows = _tier_ids(customer_ids[0])
    else:
        rows = CustomerTier.select(CustomerTier.customer, CustomerTier.tier_id).where(
            CustomerTier.customer.in_(customer_ids)).tuples()
    return {cid: factor[tier_id] for cid, tier_id in rows if factor.get(tier_id, 1) != 1}


_tier_ids = Prepared(lambda customer_id: CustomerTier.select(CustomerTier.customer, CustomerTier.tier_id)
                     .where(CustomerTier.customer == customer_id).tuples())


def tier_multiplier(program: dict, customer: Customer) -> Decimal:
    """What an order of this customer's earns times (1 without tiers or a tier)."""
    return multipliers(program, [customer.id]).get(customer.id, Decimal(1))


def multiplied(points: int, factor: Decimal | str | None) -> int:
    """Points times a tier multiplier, rounded down (earning.evaluate has rounded already)."""
    if factor is None or Decimal(factor) == 1:
        return points
    return int((Decimal(points) * Decimal(factor)).to_integral_value(rounding=ROUND_FLOOR))
