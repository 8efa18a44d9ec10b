"""Import customers and balances from CSV, watch the run's progress, read its report; export CSV.

plugin.dataio.import_runs records and runs the import (an RQ job with Redis, in-process without); the
run's page shows a <progress> bar that refreshes itself (a meta refresh without JavaScript, a
small poll of ``/imports/<id>.json`` with it). Exports stream plugin.dataio.exports page by page.
"""

from __future__ import annotations

from flask import g, jsonify, redirect, render_template, request, url_for

from plugin.core.errors import Invalid
from plugin.core.models import ImportRun
from plugin.core.status import RunStatus
from plugin.dashboard.layout import NAV
from plugin.dashboard.upload import csv_text, file_error
from plugin.dataio import exports, import_runs
from plugin.http.downloads import download
from plugin.http.routes import Routes

routes = Routes()

RECENT = 20
SHOWN_ROWS = 500  # rejected rows and warnings listed on the page (the stored report keeps 1000)
FINISHED = (RunStatus.DONE, RunStatus.FAILED)

NAV.insert(NAV.index(("nav.codes", "dashboard.codes")) + 1, ("nav.imports", "dashboard.imports"))


@routes.get("/imports")
def imports():
    return _page()


def _page(status: int = 200, **extra):
    runs = (ImportRun.select(ImportRun.id, ImportRun.status, ImportRun.dry_run, ImportRun.filename,
                             ImportRun.actor, ImportRun.total, ImportRun.done, ImportRun.created_at)
            .where(ImportRun.shop == g.shop.id).order_by(ImportRun.id.desc()).limit(RECENT))
    return render_template("dashboard/imports.html", section="imports", runs=list(runs), **extra), status


@routes.post("/imports")
def import_start():
    try:
        text = csv_text()
        run = import_runs.start(g.shop.id, text, dry_run=request.form.get("dry_run") == "1",
                                filename=request.files["file"].filename, actor=g.staff.actor)
    except Invalid as exc:
        return _page(422, file_error=file_error(exc))
    return redirect(url_for("dashboard.import_run", run_id=run.id), 303)


@routes.get("/imports/<int:run_id>")
def import_run(run_id: int):
    run = import_runs.get(g.shop.id, run_id)
    return render_template("dashboard/import_run.html", section="imports", run=run,
                           finished=run.status in FINISHED, report=run.report or {}, shown=SHOWN_ROWS)


@routes.get("/imports/<int:run_id>.json")
def import_progress(run_id: int):
    """What the progress bar polls: small, so it can be asked every second."""
    run = import_runs.get(g.shop.id, run_id)
    return jsonify(status=run.status, done=run.done, total=run.total, finished=run.status in FINISHED)


@routes.get("/export/customers.csv")
def export_customers():
    return download(exports.customers_csv(g.shop.id), "customers.csv")


@routes.get("/export/ledger.csv")
def export_ledger():
    return download(exports.ledger_csv(g.shop.id), "ledger.csv")
