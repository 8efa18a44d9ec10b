"""Background work kept in the database: CSV import runs."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.base import JSONField
from plugin.core.models.base import BaseModel
from plugin.core.models.shops import Shop
from plugin.core.status import RunStatus


class ImportRun(BaseModel):
    """One import of customers and balances from CSV (plugin.dataio.imports): progress and report, so any
    web process can show them while a worker imports."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    status = pw.CharField(max_length=16, default=RunStatus.QUEUED)
    dry_run = pw.BooleanField(default=False)
    filename = pw.CharField(max_length=255, default="")
    file_hash = pw.CharField(max_length=64)
    body = pw.TextField(default="")  # the CSV until the run finishes (the worker reads it here)
    actor = pw.CharField(max_length=255, null=True)
    total = pw.IntegerField(default=0)
    done = pw.IntegerField(default=0)
    report = JSONField(null=True)  # counts, rejected rows and warnings (plugin.dataio.imports.Report)
    error = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=clock.now)
    started_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "import_run"
        indexes = ((("shop", "id"), False),)
