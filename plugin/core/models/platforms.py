"""What the plugin read from or made on a shop's platform and must remember: a WooCommerce refund's
lines (read once), the webhooks it created there (to know their pings and delete them)."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.base import JSONField
from plugin.core.models.base import BaseModel
from plugin.core.models.shops import Shop


class PlatformObject(BaseModel):
    """One object of a shop's platform, by the platform's kind and id (``woocommerce.refund``, ``724``)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    kind = pw.CharField(max_length=64)
    platform_id = pw.CharField(max_length=255)
    data = JSONField(default=dict)
    fetched_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "platform_object"
        indexes = ((("shop", "kind", "platform_id"), True),)
