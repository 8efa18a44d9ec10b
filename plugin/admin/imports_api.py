"""Import customers and balances from CSV (a background run with progress) and export customers
and the ledger as streamed CSV, over the admin API."""

from __future__ import annotations

from flask import g, jsonify, request
from marshmallow import Schema, fields, validate

from plugin.admin.api import bp
from plugin.admin.openapi import documented
from plugin.core import csvfile
from plugin.core.limits import StrictSchema
from plugin.dataio import exports, import_runs
from plugin.http.downloads import download


class ImportArgs(StrictSchema):
    dry_run = fields.Boolean(load_default=False)
    filename = fields.String(load_default="", validate=validate.Length(max=255))


class ImportRunOut(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    dry_run = fields.Boolean(required=True)
    filename = fields.String(required=True)
    file_hash = fields.String(required=True)
    total = fields.Integer(required=True)
    done = fields.Integer(required=True)
    error = fields.String(required=True, allow_none=True)
    report = fields.Dict(required=True, allow_none=True,
                         metadata={"description": "counts, rejected rows with their line, warnings"})
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(required=True, allow_none=True)
    finished_at = fields.DateTime(required=True, allow_none=True)


class ImportOut(Schema):
    run = fields.Nested(ImportRunOut, required=True)


IMPORT_ARGS = ImportArgs()


@bp.post("/imports")
@documented("Import customers and balances from a CSV file (a background run)", query=ImportArgs,
            accepts="text/csv", response=ImportOut, status=202)
def import_start():
    """The body is the CSV file; 202 with the run, whose GET reports progress and rejected rows."""
    args = IMPORT_ARGS.load(request.args)
    run = import_runs.start(g.shop.id, csvfile.uploaded(), dry_run=args["dry_run"],
                            filename=args["filename"],
                            actor=request.headers.get("X-Loyalty-Actor", "").strip()[:255] or None)
    return jsonify(run=import_runs.as_dict(run)), 202


@bp.get("/imports/<int:run_id>")
@documented("An import's progress and report", response=ImportOut)
def import_progress(run_id: int):
    return jsonify(run=import_runs.as_dict(import_runs.get(g.shop.id, run_id)))


@bp.get("/export/customers.csv")
@documented("Every customer of the shop as CSV", content="text/csv")
def export_customers():
    return download(exports.customers_csv(g.shop.id), "customers.csv")


@bp.get("/export/ledger.csv")
@documented("The shop's ledger as CSV", content="text/csv")
def export_ledger():
    return download(exports.ledger_csv(g.shop.id), "ledger.csv")
