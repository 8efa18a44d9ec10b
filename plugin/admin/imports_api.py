"""Import customers and balances, or past orders for the economics simulator, from CSV, or past orders
from the shop's platform (each a background run with progress), and export customers and the ledger
as streamed CSV, over the admin API."""

from __future__ import annotations

from flask import g, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from plugin.admin.openapi import documented
from plugin.core import limits
from plugin.core.limits import StrictSchema
from plugin.core.status import ImportKind
from plugin.dataio import exports, import_runs
from plugin.http import bodies
from plugin.http.downloads import download
from plugin.http.routes import Routes

routes = Routes()


class ImportArgs(StrictSchema):
    dry_run = fields.Boolean(load_default=False)
    filename = fields.String(load_default="", validate=validate.Length(max=255))
    kind = fields.String(load_default=ImportKind.CUSTOMERS, validate=validate.OneOf(
        [ImportKind.CUSTOMERS, ImportKind.ORDERS]), metadata={
        "description": "customers (balances, tiers...) or orders: past order lines for the economics "
                       "simulator (order_id, customer_id, placed_at, amount; optional sku, category, "
                       "quantity)"})


class FetchIn(StrictSchema):
    first = limits.Day(data_key="from", required=True, format="%Y-%m-%d")
    last = limits.Day(data_key="to", required=True, format="%Y-%m-%d")
    dry_run = fields.Boolean(load_default=False)

    @validates_schema
    def _period(self, data, **kwargs):
        if data["first"] > data["last"]:
            raise ValidationError("must not be after to", "from")
        if (data["last"] - data["first"]).days >= import_runs.MAX_FETCH_DAYS:
            raise ValidationError(f"at most {import_runs.MAX_FETCH_DAYS} days after from", "to")


class ImportRunOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "customers, orders or platform"})
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


IMPORT_ARGS, FETCH_IN = ImportArgs(), FetchIn()


def _actor() -> str | None:
    return request.headers.get("X-Loyalty-Actor", "").strip()[:255] or None


@routes.post("/imports")
@documented("Import customers and balances, or past orders, from a CSV file (a background run)",
            query=ImportArgs, accepts="text/csv", response=ImportOut, status=202)
def import_start():
    """The body is the CSV file; 202 with the run, whose GET reports progress and rejected rows."""
    args = IMPORT_ARGS.load(request.args)
    run = import_runs.start(g.shop.id, bodies.csv_text(), dry_run=args["dry_run"],
                            filename=args["filename"], actor=_actor(), kind=ImportKind(args["kind"]))
    return jsonify(run=import_runs.as_dict(run)), 202


@routes.post("/imports/platform")
@documented("Fetch the shop's past orders of a period from its platform (a background run)", body=FetchIn,
            response=ImportOut, status=202, errors=(409,))
def fetch_start():
    """409 when the shop's platform cannot list its orders (import a CSV file of them instead)."""
    args = bodies.json_object(FETCH_IN)
    run = import_runs.start_platform(g.shop.id, args["first"], args["last"], dry_run=args["dry_run"],
                                     actor=_actor())
    return jsonify(run=import_runs.as_dict(run)), 202


@routes.get("/imports/<int:run_id>")
@documented("An import's progress and report", response=ImportOut)
def import_progress(run_id: int):
    return jsonify(run=import_runs.as_dict(import_runs.get(g.shop.id, run_id)))


@routes.get("/export/customers.csv")
@documented("Every customer of the shop as CSV", content="text/csv")
def export_customers():
    return download(exports.customers_csv(g.shop.id), "customers.csv")


@routes.get("/export/ledger.csv")
@documented("The shop's ledger as CSV", content="text/csv")
def export_ledger():
    return download(exports.ledger_csv(g.shop.id), "ledger.csv")
