"""Imports started over the API: an ImportRun row carries the file, the progress and the report,
so the worker that imports and any web process that reports agree through the database alone."""

from __future__ import annotations

import logging

from plugin.core import clock, csvfile
from plugin.core.db import session
from plugin.core.errors import NotFound
from plugin.core.models import ImportRun
from plugin.core.status import RunStatus
from plugin.dataio import imports
from plugin.pipeline import queue

log = logging.getLogger(__name__)


def start(shop_id: int, text: str, *, dry_run: bool, filename: str = "",
          actor: str | None = None) -> ImportRun:
    """Check the header (a clear 422 now, not a failed job later), record the run and have it done:
    by an RQ worker with Redis, here and now without."""
    total = len(csvfile.read(text, imports.COLUMNS, one_of=("customer_id", "email")).rows)
    run = ImportRun.create(shop=shop_id, dry_run=dry_run, filename=filename[:255], body=text, actor=actor,
                           file_hash=csvfile.digest(text), total=total, created_at=clock.now())
    queue.enqueue_or_run(run_import, run.id, job_id=f"import-{shop_id}-{run.id}")
    return ImportRun.get_by_id(run.id)


def run_import(run_id: int) -> int:
    """RQ job: import a run's file, recording progress after every batch; a retry after a failure
    is safe (every write of an import is idempotent). Returns the run's id."""
    with session():
        run = ImportRun.get_by_id(run_id)
        ImportRun.update(status=RunStatus.RUNNING, started_at=clock.now(), done=0, error=None).where(
            ImportRun.id == run_id).execute()

        def progress(done: int, total: int) -> None:
            ImportRun.update(done=done, total=total).where(ImportRun.id == run_id).execute()

        try:
            report = imports.import_csv(run.shop_id, run.body, dry_run=run.dry_run, actor=run.actor,
                                        progress=progress)
        except Exception as exc:
            ImportRun.update(status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}",
                             finished_at=clock.now()).where(ImportRun.id == run_id).execute()
            raise
        ImportRun.update(status=RunStatus.DONE, report=report.as_dict(), body="",
                         finished_at=clock.now()).where(ImportRun.id == run_id).execute()
    log.info("import run %s of shop %s done: %s rows, %s rejected", run_id, run.shop_id, report.total,
             len(report.rejected))
    return run_id


def get(shop_id: int, run_id: int) -> ImportRun:
    run = ImportRun.get_or_none((ImportRun.shop == shop_id) & (ImportRun.id == run_id))
    if run is None:
        raise NotFound(f"no import {run_id} in this shop")
    return run


def as_dict(run: ImportRun) -> dict:
    def iso(moment):
        return moment.isoformat() if moment else None

    return {"id": run.id, "status": run.status, "dry_run": run.dry_run, "filename": run.filename,
            "file_hash": run.file_hash, "total": run.total, "done": run.done, "error": run.error,
            "report": run.report, "created_at": iso(run.created_at), "started_at": iso(run.started_at),
            "finished_at": iso(run.finished_at)}
