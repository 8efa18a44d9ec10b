"""Points: balances, lots, the append-only ledger, holds for discounts and bulk adjustment batches."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.base import JSONField, ReasonField
from plugin.core.models.base import BaseModel
from plugin.core.models.events import Event
from plugin.core.models.shops import Customer, Shop
from plugin.core.status import BatchStatus, HoldStatus


class Balance(BaseModel):
    """The materialized balance per point type; only plugin.ledger writes it, by SQL increments."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    point_type = pw.CharField(max_length=32)
    points = pw.BigIntegerField(default=0)

    class Meta:
        indexes = ((("customer", "point_type"), True),)


class Lot(BaseModel):
    """One grant of points, with the rule snapshot that produced it (reversals use its rate)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    point_type = pw.CharField(max_length=32)
    source = pw.CharField(max_length=128)
    key = pw.CharField(max_length=255)  # the idempotency key of the grant that created it
    original = pw.BigIntegerField()
    remaining = pw.BigIntegerField()
    rule = JSONField()
    program_version = pw.IntegerField(null=True)  # None: the built-in default program
    pending_until = pw.DateTimeField(null=True)  # not spendable before (the return window)
    expires_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = (
            (("shop", "key"), True),
            (("customer", "point_type", "remaining"), False),
            (("shop", "created_at"), False),  # campaign rollups read by date
        )


# Partial indexes of the lots that still hold points: a shop's history of spent and expired lots
# grows without end, and neither the expiry jobs (by date, then id: the job's cursor) nor a
# shopper's balance reads (by customer) should walk it.
Lot.add_index(Lot.expires_at, Lot.id, where=(Lot.remaining > 0) & Lot.expires_at.is_null(False),
              name="lot_open_expires_at_id")
Lot.add_index(Lot.customer, where=Lot.remaining != 0, name="lot_open_customer_id")


class LedgerEntry(BaseModel):
    """Append-only: every change to a balance, with who or what caused it and why."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    lot = pw.ForeignKeyField(Lot, null=True, on_delete="SET NULL")
    point_type = pw.CharField(max_length=32)
    delta = pw.BigIntegerField()
    kind = pw.CharField(max_length=16)  # EntryKind (plugin.core.kinds)
    event = pw.ForeignKeyField(Event, null=True, on_delete="SET NULL")
    actor = pw.CharField(max_length=255, null=True)
    reason = ReasonField(default="")  # a code and its parameters (plugin.core.reasons), as JSON
    reason_code = pw.CharField(max_length=64, null=True)  # the code alone; None: not migrated yet
    idempotency_key = pw.CharField(max_length=255)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "ledger_entry"
        indexes = (
            (("shop", "idempotency_key"), True),
            (("customer", "id"), False),
            (("shop", "created_at"), False),  # daily rollups (plugin.reports.rollups) read by date
        )


class Hold(BaseModel):
    """Points reserved for a discount: held -> committed (the paid order used it) or released
    (``releasing`` while its platform code is being withdrawn: the points are still held)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    point_type = pw.CharField(max_length=32)
    points = pw.BigIntegerField()
    lots = JSONField()  # lot id -> points taken from it, so a release returns them where they were
    code = pw.CharField(max_length=64)
    amount = pw.DecimalField(max_digits=18, decimal_places=4)
    currency = pw.CharField(max_length=3, null=True)
    reward = pw.CharField(max_length=64, null=True)  # the catalog reward, if not plain points off
    cart = JSONField(null=True)
    idempotency_key = pw.CharField(max_length=255)
    status = pw.CharField(max_length=16, default=HoldStatus.HELD)
    platform_discount_id = pw.CharField(max_length=255, null=True)
    order_id = pw.CharField(max_length=64, null=True)
    expires_at = pw.DateTimeField()
    created_at = pw.DateTimeField(default=clock.now)
    closed_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("shop", "idempotency_key"), True),
            (("shop", "code"), True),
            (("status", "expires_at"), False),
        )


class AdjustmentBatch(BaseModel):
    """Bulk adjustments from one CSV file (plugin.ledger.bulk_adjustments): applied in one transaction,
    undone at most once and only within a day; its ledger keys are ``batch:<id>:<line>``."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    key = pw.CharField(max_length=128)  # the apply request's Idempotency-Key
    file_hash = pw.CharField(max_length=64)  # sha256 of the file: a retry must send the same one
    actor = pw.CharField(max_length=255)
    rows = pw.IntegerField(default=0)  # rows applied
    lines = JSONField(default=list)  # the file's line numbers that were applied
    totals = JSONField(default=dict)  # {"added": {type: points}, "removed": {type: points}}
    rejected = JSONField(default=list)  # [{"line": n, "reason": text}] of rows left out
    status = pw.CharField(max_length=16, default=BatchStatus.APPLIED)
    created_at = pw.DateTimeField(default=clock.now)
    undone_at = pw.DateTimeField(null=True)
    undone_by = pw.CharField(max_length=255, null=True)

    class Meta:
        table_name = "adjustment_batch"
        indexes = ((("shop", "key"), True), (("shop", "id"), False))
