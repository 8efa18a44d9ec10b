"""Past order lines a shop brought in for the economics simulator: from a CSV file or the platform's
order listing. Not the orders the plugin earns on (models.orders): nothing here moves points."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.models.base import BaseModel
from plugin.core.models.runs import ImportRun
from plugin.core.models.shops import Shop


class PastOrderLine(BaseModel):
    """One line of a past order (plugin.dataio.order_history); a negative amount is a refund.

    ``line_key`` tells the lines of one order apart (the platform's line or refund id, or a digest
    of a CSV row), so importing a file again or fetching a period again adds nothing twice.
    """

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    source = pw.CharField(max_length=16)  # "csv", or the platform's name
    order_id = pw.CharField(max_length=64)
    line_key = pw.CharField(max_length=96)
    customer_id = pw.CharField(max_length=64)
    placed_at = pw.DateTimeField()  # naive UTC
    amount = pw.DecimalField(max_digits=18, decimal_places=4)  # shop currency, after discounts
    sku = pw.CharField(max_length=255, null=True)
    category = pw.CharField(max_length=255, null=True)
    quantity = pw.IntegerField(default=1)
    run = pw.ForeignKeyField(ImportRun, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "past_order_line"
        indexes = ((("shop", "source", "order_id", "line_key"), True), (("shop", "placed_at"), False))
