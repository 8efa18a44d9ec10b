"""What the reports read and keep: daily figures, co-purchases, offer events."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.models.base import BaseModel
from plugin.core.models.shops import Customer, Shop


class DailyFigure(BaseModel):
    """One figure of one UTC day of a shop (plugin.reports.rollups): recomputed whole, never edited by hand.

    ``metric`` names the figure (issued, member_orders, offer_clicks...), ``key`` what it is of
    (a point type, an offer id, a campaign name; "" for none). Points are whole numbers, money
    is in the shop's currency.
    """

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    day = pw.DateField()
    metric = pw.CharField(max_length=32)
    key = pw.CharField(max_length=255, default="")
    value = pw.DecimalField(max_digits=20, decimal_places=4)
    computed_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "daily_figure"
        indexes = ((("shop", "day", "metric", "key"), True),)


class CoPurchase(BaseModel):
    """How many of the shop's orders held both products (both directions; rebuilt by a job)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    product_id = pw.CharField(max_length=64)
    other_product_id = pw.CharField(max_length=64)
    count = pw.IntegerField()

    class Meta:
        table_name = "co_purchase"
        indexes = ((("shop", "product_id", "other_product_id"), True),)


class OfferEvent(BaseModel):
    """An impression, click or redemption of a widget offer, for analytics."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    offer_id = pw.CharField(max_length=128)
    kind = pw.CharField(max_length=16)  # OfferEventKind (plugin.core.kinds)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "offer_event"
        indexes = ((("shop", "offer_id", "kind"), False), (("shop", "created_at"), False))
