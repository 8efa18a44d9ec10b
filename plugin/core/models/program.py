"""A shop's program: its immutable versions and the catalogue facts its rules read."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.base import JSONField
from plugin.core.models.base import BaseModel
from plugin.core.models.shops import Shop


class ProgramVersion(BaseModel):
    """Every change to a shop's program is a new, immutable version; old ones stay readable."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    number = pw.IntegerField()
    document = JSONField()
    author = pw.CharField(max_length=255)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "program_version"
        indexes = ((("shop", "number"), True),)


class CatalogProduct(BaseModel):
    """What the rules need to know about one of a shop's products, which order webhooks do not
    carry (plugin.program.catalog): tags, type, vendor, and per variant its price and compare-at price."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    product_id = pw.CharField(max_length=64)  # Shopify's numeric id, as order lines carry it
    tags = JSONField(default=list)
    product_type = pw.CharField(max_length=255, null=True)
    vendor = pw.CharField(max_length=255, null=True)
    variants = JSONField(default=dict)  # variant id -> {"price": "9.00", "compare_at_price": "12.00"|None}
    updated_at = pw.DateTimeField(null=True)  # the platform's; an older update never overwrites a newer
    fetched_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "catalog_product"
        indexes = ((("shop", "product_id"), True),)


class ProgramDraft(BaseModel):
    """The owner's unpublished program (the editor's form or JSON), one per shop, kept between
    visits; ``base`` is the version it was started from, so publishing over a newer one is seen."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", unique=True)
    document = JSONField()
    base = pw.IntegerField(default=0)  # 0: the default program
    author = pw.CharField(max_length=255)
    updated_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "program_draft"
