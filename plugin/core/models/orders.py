"""Orders as earned on, so refunds and cancellations reverse exactly."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.base import JSONField
from plugin.core.models.base import BaseModel
from plugin.core.models.ledger import Lot
from plugin.core.models.shops import Customer, Shop


class Order(BaseModel):
    """What a paid order earned and what has been taken back, so reversals are exact."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    platform_id = pw.CharField(max_length=64)
    customer = pw.ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    currency = pw.CharField(max_length=3)
    eligible = pw.DecimalField(max_digits=18, decimal_places=4)
    refunded = pw.DecimalField(max_digits=18, decimal_places=4, default=0)
    order = JSONField()  # the canonical order as earned on, for exact re-evaluation on refunds
    refunded_lines = JSONField(default=dict)  # line id -> refunded amount
    first_order = pw.BooleanField(default=False)
    program_version = pw.IntegerField(null=True)
    earned = pw.BigIntegerField(default=0)
    reversed = pw.BigIntegerField(default=0)
    lot = pw.ForeignKeyField(Lot, null=True, on_delete="SET NULL")
    cancelled = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=clock.now)
    # Money of a discount the customer's points did not pay for (a code used after its hold was
    # released, charged again short: plugin.spend.late_commit), in the shop currency.
    uncovered_discount = pw.DecimalField(max_digits=18, decimal_places=4, null=True)

    class Meta:
        table_name = "orders"
        indexes = ((("shop", "platform_id"), True), (("shop", "created_at"), False))
