"""A shopper's customer row read together with their tier row (and tier metric), in one statement.

The widget's pages read the customer, then the tier row, then the metric: three round trips for
one row each. Here the tier row is LEFT JOINed and the metric is a subquery on the customer's id,
so the customer row arrives carrying both (the same values ``held`` and ``metrics`` read).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from peewee import JOIN, ModelSelect

from plugin import customers
from plugin.core import clock
from plugin.core.models import Customer, CustomerTier, Order
from plugin.core.prepared import Prepared
from plugin.program.document.features import TIER_METRICS
from plugin.tiers.levels import EVER, metric_total, metric_value, progress_at, window_start


def with_held(query: ModelSelect) -> ModelSelect:
    """``query`` of a customer (customers.finding) with their tier row's columns; see ``held_of``."""
    return (query.select_extend(CustomerTier.tier_id.alias("held_tier_id"),
                                CustomerTier.assigned.alias("held_assigned"),
                                CustomerTier.downgrade_due.alias("held_downgrade_due"))
            .join(CustomerTier, JOIN.LEFT_OUTER, on=(CustomerTier.customer == Customer.id)))


def held_of(customer: Customer) -> CustomerTier | None:
    """The tier row a customer read ``with_held`` carries (None: not evaluated yet), with the
    columns ``held`` reads."""
    if customer.held_tier_id is None:
        return None
    return CustomerTier(customer=customer.id, tier_id=customer.held_tier_id,
                        assigned=customer.held_assigned, downgrade_due=customer.held_downgrade_due)


def find_with_progress(shop_id: int, platform_id: str, program: dict) -> tuple[Customer | None, dict | None]:
    """The shop's customer (None: never seen) and their tier ``progress``, in one statement."""
    rules = program.get("tiers")
    if not rules:
        return customers.find(shop_id, platform_id), None
    since = window_start(rules["window"], clock.now()) or EVER
    rows = _WITH_PROGRESS[rules["metric"]](shop_id, platform_id, since)
    if not rows:
        return None, progress_at(program, None, Decimal(0))
    customer = rows[0]
    return customer, progress_at(program, held_of(customer), metric_value(customer.tier_metric))


def _with_progress(metric: str, shop_id: int, platform_id: str, since: datetime) -> ModelSelect:
    total, where = metric_total(metric, shop_id, since, Order.customer == Customer.id)
    return with_held(customers.finding(shop_id, platform_id)).select_extend(
        Order.select(total).where(where).alias("tier_metric"))


_WITH_PROGRESS = {metric: Prepared(lambda shop_id, platform_id, since, metric=metric: _with_progress(
    metric, shop_id, platform_id, since)) for metric in TIER_METRICS}
