"""Privacy webhooks as applied."""

from __future__ import annotations

import peewee as pw

from plugin.core.base import JSONField
from plugin.core.models.base import BaseModel
from plugin.core.models.events import Event
from plugin.core.models.shops import Shop


class PrivacyRequest(BaseModel):
    """A privacy webhook as applied (plugin.privacy): what was asked, what was done, the export."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    event = pw.ForeignKeyField(Event, null=True, unique=True, on_delete="SET NULL")  # applied once
    topic = pw.CharField(max_length=64)  # customers/data_request, customers/redact, shop/redact
    customer_platform_id = pw.CharField(max_length=64, null=True)
    email = pw.CharField(max_length=320, null=True)  # data requests only; cleared by a later redact
    status = pw.CharField(max_length=16)  # PrivacyStatus
    requested_at = pw.DateTimeField()
    completed_at = pw.DateTimeField(null=True)
    export = JSONField(null=True)  # the customer's data, for a data request
    log = JSONField(default=dict)  # rows touched per table, or why it was skipped

    class Meta:
        table_name = "privacy_request"
        indexes = ((("shop", "id"), False),)
