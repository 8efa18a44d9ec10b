"""Background work kept in the database: import runs."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.base import JSONField
from plugin.core.models.base import BaseModel
from plugin.core.models.shops import Shop
from plugin.core.status import ImportKind, RunStatus


class ImportRun(BaseModel):
    """One import (plugin.dataio.import_runs): progress and report, so any web process can show them
    while a worker imports. ``kind`` says what: customers and balances from CSV, past orders from CSV,
    or past orders from the platform (``body`` then holds the period asked, as JSON)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    kind = pw.CharField(max_length=16, default=ImportKind.CUSTOMERS)
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
