"""Imports started over the API: an ImportRun row carries the file (or the period to fetch), the
progress and the report, so the worker that imports and any web process that reports agree through
the database alone. A run imports customers (plugin.dataio.imports) or past orders, from a file
(plugin.dataio.order_history) or from the shop's platform (plugin.dataio.platform_history)."""

from __future__ import annotations

import json
import logging
from datetime import date

from plugin.core import clock, csvfile
from plugin.core.db import session
from plugin.core.errors import LoyaltyError, NotFound
from plugin.core.models import ImportRun, Shop
from plugin.core.status import ImportKind, RunStatus
from plugin.dataio import imports, order_history, platform_history
from plugin.pipeline import queue
from plugin.platforms import PlatformError, registry

log = logging.getLogger(__name__)

MAX_FETCH_DAYS = 3 * 366  # a platform fetch's period


class NoListing(LoyaltyError):
    """The shop's platform cannot list its past orders: a file of them is the way in."""

    status, code = 409, "no_order_listing"


def start(shop_id: int, text: str, *, dry_run: bool, filename: str = "", actor: str | None = None,
          kind: ImportKind = ImportKind.CUSTOMERS) -> ImportRun:
    """Check the header (a clear 422 now, not a failed job later), record the run and have it done:
    by an RQ worker with Redis, here and now without. ``kind`` is customers or (past) orders."""
    if kind == ImportKind.ORDERS:
        total = order_history.count_rows(text)
    else:
        total = len(csvfile.read(text, imports.COLUMNS, one_of=("customer_id", "email")).rows)
    return _record(shop_id, kind, text, dry_run=dry_run, filename=filename, actor=actor, total=total)


def start_platform(shop_id: int, first: date, last: date, *, dry_run: bool,
                   actor: str | None = None) -> ImportRun:
    """Fetch the shop's past orders placed from ``first`` to ``last`` from its platform, as a run."""
    shop = Shop.get_by_id(shop_id)
    if not registry.of(shop).lists_orders:
        raise NoListing(f"a {shop.platform} shop cannot list its past orders here: import a CSV file of them")
    body = json.dumps({"from": first.isoformat(), "to": last.isoformat()})
    return _record(shop_id, ImportKind.PLATFORM, body, dry_run=dry_run, actor=actor, total=0,
                   filename=f"{first.isoformat()} – {last.isoformat()}")


def _record(shop_id: int, kind: ImportKind, body: str, *, dry_run: bool, filename: str, actor: str | None,
            total: int) -> ImportRun:
    run = ImportRun.create(shop=shop_id, kind=kind, dry_run=dry_run, filename=filename[:255], body=body,
                           actor=actor, file_hash=csvfile.digest(body), total=total, created_at=clock.now())
    try:
        queue.enqueue_or_run(run_import, run.id, job_id=f"import-{shop_id}-{run.id}")
    except PlatformError:
        pass  # run here and now (no Redis): the run is failed with the platform's answer, as a worker's
    return ImportRun.get_by_id(run.id)


def _work(run: ImportRun, progress):
    """The run's import by its kind; its report."""
    if run.kind == ImportKind.ORDERS:
        return order_history.import_csv(run.shop_id, run.body, dry_run=run.dry_run, run_id=run.id,
                                        progress=progress)
    if run.kind == ImportKind.PLATFORM:
        period = json.loads(run.body)
        return platform_history.fetch(run.shop_id, date.fromisoformat(period["from"]),
                                      date.fromisoformat(period["to"]), dry_run=run.dry_run, run_id=run.id,
                                      progress=progress)
    return imports.import_csv(run.shop_id, run.body, dry_run=run.dry_run, actor=run.actor, progress=progress)


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
            report = _work(run, progress)
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

    return {"id": run.id, "kind": run.kind, "status": run.status, "dry_run": run.dry_run,
            "filename": run.filename, "file_hash": run.file_hash, "total": run.total, "done": run.done,
            "error": run.error, "report": run.report, "created_at": iso(run.created_at),
            "started_at": iso(run.started_at), "finished_at": iso(run.finished_at)}
