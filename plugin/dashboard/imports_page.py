"""Import customers and balances, or past orders for the economics simulator (a CSV file, or a
period fetched from the shop's platform), watch the run's progress, read its report; export CSV.

plugin.dataio.import_runs records and runs the import (an RQ job with Redis, in-process without); the
run's page shows a <progress> bar that refreshes itself (a meta refresh without JavaScript, a
small poll of ``/imports/<id>.json`` with it). Exports stream plugin.dataio.exports page by page.
"""

from __future__ import annotations

from datetime import timedelta

from flask import g, jsonify, redirect, render_template, request, url_for
from marshmallow import ValidationError

from plugin.admin.imports_api import FetchIn
from plugin.core import clock
from plugin.core.errors import Invalid
from plugin.core.i18n import translate
from plugin.core.models import ImportRun
from plugin.core.status import ImportKind, RunStatus
from plugin.dashboard.layout import NAV
from plugin.dashboard.upload import csv_text, file_error
from plugin.dataio import exports, import_runs
from plugin.http.downloads import download
from plugin.http.routes import Routes
from plugin.platforms import registry

routes = Routes()

RECENT = 20
SHOWN_ROWS = 500  # rejected rows and warnings listed on the page (the stored report keeps 1000)
FINISHED = (RunStatus.DONE, RunStatus.FAILED)
FETCH = FetchIn()
#: The report's figures shown as cards, by the run's kind.
CARDS = {
    ImportKind.CUSTOMERS: ("customers_created", "balances_granted", "points_granted", "already_imported",
                           "tiers_assigned", "referral_codes", "birthdays", "rejected_count",
                           "warning_count"),
    ImportKind.ORDERS: ("orders", "lines_added", "already_imported", "refunds", "rejected_count"),
    ImportKind.PLATFORM: ("orders", "lines_added", "lines_removed", "already_imported", "refunds"),
}

NAV.insert(NAV.index(("nav.codes", "dashboard.codes")) + 1, ("nav.imports", "dashboard.imports"))


@routes.get("/imports")
def imports():
    return _page()


def _page(status: int = 200, **extra):
    runs = (ImportRun.select(ImportRun.id, ImportRun.kind, ImportRun.status, ImportRun.dry_run,
                             ImportRun.filename, ImportRun.actor, ImportRun.total, ImportRun.done,
                             ImportRun.created_at)
            .where(ImportRun.shop == g.shop.id).order_by(ImportRun.id.desc()).limit(RECENT))
    today = clock.now().date()
    extra.setdefault("period", {"from": (today - timedelta(days=365)).isoformat(), "to": today.isoformat()})
    return render_template("dashboard/imports.html", section="imports", runs=list(runs),
                           lists_orders=registry.of(g.shop).lists_orders, **extra), status


@routes.post("/imports")
def import_start():
    """A CSV file of customers, or (``kind=orders``) of past order lines."""
    kind = ImportKind.ORDERS if request.form.get("kind") == ImportKind.ORDERS else ImportKind.CUSTOMERS
    try:
        text = csv_text()
        run = import_runs.start(g.shop.id, text, dry_run=request.form.get("dry_run") == "1",
                                filename=request.files["file"].filename, actor=g.staff.actor, kind=kind)
    except Invalid as exc:
        return _page(422, **{f"{kind}_error": file_error(exc)})
    return redirect(url_for("dashboard.import_run", run_id=run.id), 303)


@routes.post("/imports/platform")
def fetch_start():
    """A period of past orders fetched from the shop's platform."""
    period = {"from": request.form.get("from", ""), "to": request.form.get("to", "")}
    try:
        args = FETCH.load(period)  # the dry run checkbox is read as checkboxes are
        run = import_runs.start_platform(g.shop.id, args["first"], args["last"],
                                         dry_run=request.form.get("dry_run") == "1", actor=g.staff.actor)
    except ValidationError as exc:
        errors = {name: translate(g.lang, "imports.fetch_period") for name in exc.messages}
        return _page(422, period=period, fetch_errors=errors)
    except import_runs.NoListing:
        return _page(409, period=period, fetch_errors={"from": translate(g.lang, "imports.no_listing")})
    return redirect(url_for("dashboard.import_run", run_id=run.id), 303)


@routes.get("/imports/<int:run_id>")
def import_run(run_id: int):
    run = import_runs.get(g.shop.id, run_id)
    return render_template("dashboard/import_run.html", section="imports", run=run,
                           finished=run.status in FINISHED, report=run.report or {}, shown=SHOWN_ROWS,
                           cards=CARDS[ImportKind(run.kind)])


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
