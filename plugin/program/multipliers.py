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
    if len(customer_ids) == 1:  # an order: the same query, its SQL built once
        rows = _tier_ids(customer_ids[0])
    else:
        rows = CustomerTier.select(CustomerTier.customer, CustomerTier.tier_id).where(
            CustomerTier.customer.in_(customer_ids)).tuples()
    factors = _factors(program)
    return {cid: factors[tier_id] for cid, tier_id in rows if tier_id in factors}


def factor(program: dict, tier_id: str) -> Decimal | None:
    """The earn multiplier of one tier of the program; None for x1 or a tier it no longer has."""
    return _factors(program).get(tier_id)


def _factors(program: dict) -> dict[str, Decimal]:
    """The tiers that multiply what their customers earn, and by what."""
    return {tier["id"]: tier["earn_multiplier"] for tier in program["tiers"]["tiers"]
            if tier["earn_multiplier"] != 1}


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
