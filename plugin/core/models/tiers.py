"""Tiers: each customer's tier, its history, re-evaluation runs and the shop's tier discounts."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.base import ShortReasonField
from plugin.core.models.base import BaseModel
from plugin.core.models.shops import Customer, Shop
from plugin.core.status import RunStatus


class CustomerTier(BaseModel):
    """A customer's tier (plugin.tiers); ``assigned`` by the store means evaluation never moves it."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", unique=True)
    tier_id = pw.CharField(max_length=64)
    assigned = pw.BooleanField(default=False)
    since = pw.DateTimeField(default=clock.now)
    downgrade_warned_at = pw.DateTimeField(null=True)
    downgrade_due = pw.DateTimeField(null=True)  # below the tier since the warning: down on this date
    synced_tier = pw.CharField(max_length=64, null=True)  # the tier tag the store has (plugin.tiers.sync)

    class Meta:
        table_name = "customer_tier"
        indexes = ((("shop", "tier_id"), False),)


class TierChange(BaseModel):
    """Tier history: every move of a customer, with why."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    from_tier = pw.CharField(max_length=64, null=True)
    to_tier = pw.CharField(max_length=64)
    reason = ShortReasonField(max_length=255)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "tier_change"
        indexes = ((("customer", "id"), False),)


class TierRun(BaseModel):
    """One re-evaluation of a shop's tiers (a background job): its progress, kept in the database."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    status = pw.CharField(max_length=16, default=RunStatus.QUEUED)
    total = pw.IntegerField(default=0)
    done = pw.IntegerField(default=0)
    changed = pw.IntegerField(default=0)
    program_version = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=clock.now)
    started_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)
    error = pw.TextField(null=True)

    class Meta:
        table_name = "tier_run"
        indexes = ((("shop", "id"), False),)


class TierDiscount(BaseModel):
    """What a Shopify shop holds for one tier's benefits (plugin.tiers.sync): the segment of the
    tier's customer tag and the automatic discounts made for it, with the values they were made with."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    tier_id = pw.CharField(max_length=64)
    segment_id = pw.CharField(max_length=255, null=True)
    percent_id = pw.CharField(max_length=255, null=True)
    percent = pw.DecimalField(max_digits=7, decimal_places=4, null=True)
    shipping_id = pw.CharField(max_length=255, null=True)
    threshold = pw.DecimalField(max_digits=14, decimal_places=4, null=True)
    synced_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "tier_discount"
        indexes = ((("shop", "tier_id"), True),)
