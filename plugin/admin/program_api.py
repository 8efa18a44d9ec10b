"""The program over the admin API: read, replace (a new version), history, and preview."""

from __future__ import annotations

from flask import g, jsonify, request
from marshmallow import Schema, fields

from plugin import customers, ledger
from plugin.admin.openapi import documented
from plugin.core import clock
from plugin.core.errors import NotFound
from plugin.core.models import Order, ProgramVersion
from plugin.http.bodies import json_object
from plugin.http.routes import Routes
from plugin.program import caps, changes, document, earning, versions
from plugin.program.document.features import Tiers
from plugin.program.ladder import DEFAULT_LADDER
from plugin.spend import carts

routes = Routes()
TIERS = Tiers()


class VersionRow(Schema):
    version = fields.Integer(required=True)
    author = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class VersionList(Schema):
    items = fields.List(fields.Nested(VersionRow), required=True)


class VersionOut(Schema):
    """A program version; version, author and created_at are null for the built-in default."""

    version = fields.Integer(required=True, allow_none=True)
    author = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True, allow_none=True)
    program = fields.Nested(document.ProgramDocument, required=True)


class PublishedOut(VersionOut):
    tier_reevaluation = fields.Integer(required=True, allow_none=True,
                                       metadata={"description": "the tier run started by changed tier rules"})


class PayableOut(Schema):
    amount = fields.Decimal(as_string=True, required=True)
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    total = fields.Integer(required=True)


class LineOut(Schema):
    line_id = fields.String(required=True)
    amount = fields.Decimal(as_string=True, required=True)
    categories = fields.List(fields.String(), required=True)
    excluded = fields.String(required=True, allow_none=True)
    rule = fields.String(required=True)
    why = fields.Dict(required=True, allow_none=True,
                      metadata={"description": "the rule as a reason code and parameters (rule: in English)"})
    points = fields.Decimal(as_string=True, required=True)


class PreviewOut(Schema):
    version = fields.Integer(required=True, allow_none=True)
    payable = fields.Nested(PayableOut, required=True)
    points = fields.Integer(required=True)
    point_type = fields.String(required=True)
    eligible = fields.Decimal(as_string=True, required=True)
    lines = fields.List(fields.Nested(LineOut), required=True)
    notes = fields.List(fields.String(), required=True)
    why_notes = fields.List(fields.Dict(), required=True,
                            metadata={"description": "the notes as reason codes with their parameters"})
    campaigns = fields.List(fields.String(), metadata={"description": "the campaigns that raised it"})


def _version_json(row: ProgramVersion | None, program: dict) -> dict:
    return {"version": row.number if row else None, "author": row.author if row else None,
            "created_at": row.created_at.isoformat() if row else None,
            "program": document.dump(program)}


def _row(number: int | None) -> ProgramVersion | None:
    if number is None:
        return None
    return ProgramVersion.get((ProgramVersion.shop == g.shop.id) & (ProgramVersion.number == number))


@routes.get("/program")
@documented("The running program (the built-in default before the first version)", response=VersionOut)
def program_current():
    number, program = versions.current(g.shop.id)
    return jsonify(_version_json(_row(number), program))


@routes.put("/program")
@documented("Publish a new program version (header X-Loyalty-Actor: its author)",
            body=document.ProgramDocument, response=PublishedOut, status=201)
def program_replace():
    body = json_object()
    author = request.headers.get("X-Loyalty-Actor", "").strip()[:255] or "api"
    row, program, run = changes.publish(g.shop.id, body, author=author)
    return jsonify({**_version_json(row, program), "tier_reevaluation": run.id if run else None}), 201


@routes.get("/program/versions")
@documented("Every program version, newest first", response=VersionList)
def program_versions():
    rows = (ProgramVersion.select(ProgramVersion.number, ProgramVersion.author, ProgramVersion.created_at)
            .where(ProgramVersion.shop == g.shop.id).order_by(ProgramVersion.number.desc()))
    return jsonify(items=[{"version": r.number, "author": r.author,
                           "created_at": r.created_at.isoformat()} for r in rows])


@routes.get("/program/versions/<int:number>")
@documented("One program version", response=VersionOut)
def program_version(number: int):
    row = ProgramVersion.get_or_none((ProgramVersion.shop == g.shop.id) & (ProgramVersion.number == number))
    if row is None:
        raise NotFound(f"no program version {number}")
    return jsonify(_version_json(row, versions.at(g.shop.id, number)))


@routes.get("/program/tiers/default")
@documented("The market's default tier ladder, a start for the program's `tiers` section", response=Tiers)
def program_default_ladder():
    return jsonify(TIERS.dump(TIERS.load(DEFAULT_LADDER)))


@routes.post("/program/preview")
@documented("What a cart would earn and what points may pay for, under the running program",
            body=carts.Cart, response=PreviewOut)
def program_preview():
    """What an order or cart would earn now, per line and per rule (the widget's "earn X")."""
    cart = json_object(carts.CART)
    number, program = versions.current(g.shop.id)
    customer = customers.find(g.shop.id, cart["customer_id"]) if cart["customer_id"] else None
    first = customer is None or not Order.select().where(Order.customer == customer.id).exists()
    order = carts.as_order(cart)
    result = earning.evaluate(program, order, at=clock.now(), customer_id=cart["customer_id"],
                              first_order=first and cart["customer_id"] is not None)
    pays = caps.payable(program, order["lines"], ledger.spendable(customer) if customer else {})
    return jsonify(version=number, payable=pays, **result.as_dict())
