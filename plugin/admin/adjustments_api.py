"""Manual adjustments over the admin API: one customer's, or a CSV file's as a batch (preview,
apply, list, undo). The staff member comes from the ``X-Loyalty-Actor`` header (as for program
edits) and is required: no points without a name; retries carry an ``Idempotency-Key``."""

from __future__ import annotations

from flask import g, jsonify, request
from marshmallow import Schema, fields, validate

from plugin import customers, ledger
from plugin.admin.api import ENTRIES, EntryOut, PageArgs, bp, page
from plugin.admin.openapi import documented
from plugin.core import csvfile
from plugin.core.errors import Invalid
from plugin.core.limits import StrictSchema
from plugin.core.models import LedgerEntry
from plugin.http.bodies import json_object
from plugin.http.idempotency import for_shop, idempotent
from plugin.ledger import adjustments, bulk_adjustments
from plugin.program import versions

ACTOR_HEADER, KEY_HEADER = "X-Loyalty-Actor", "Idempotency-Key"


class AdjustIn(StrictSchema):
    points = fields.Integer(strict=True, required=True,
                            validate=validate.Range(min=-adjustments.MAX_POINTS, max=adjustments.MAX_POINTS))
    point_type = fields.String(load_default=None, validate=validate.Length(min=1, max=32))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=adjustments.MAX_REASON))


class TotalsOut(Schema):
    total = fields.Integer(required=True)
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class AdjustedOut(Schema):
    customer_id = fields.String(required=True)
    points = fields.Integer(required=True)
    point_type = fields.String(required=True)
    reason = fields.String(required=True)
    actor = fields.String(required=True)
    entries = fields.List(fields.Nested(EntryOut), required=True)
    balance = fields.Nested(TotalsOut, required=True)


ADJUST, PAGE = AdjustIn(), PageArgs()
ACTOR = {"type": "string", "minLength": 1, "maxLength": 255, "description": "the staff member"}
IDEMPOTENCY = {"type": "string", "pattern": adjustments.KEY.pattern}
CSV = "text/csv"


def _header(name: str, rule: str) -> str:
    value = request.headers.get(name, "").strip()
    if not value or len(value) > 255:
        raise Invalid(f"the {name} header is required: {rule}", fields={name: [rule]})
    return value


def _actor() -> str:
    return _header(ACTOR_HEADER, "the staff member who makes the change (at most 255 characters)")


def _key() -> str:
    key = _header(KEY_HEADER, adjustments.KEY_RULE)
    if not adjustments.KEY.match(key):
        raise Invalid(f"{KEY_HEADER}: {adjustments.KEY_RULE}", fields={KEY_HEADER: [adjustments.KEY_RULE]})
    return key


@bp.post("/customers/<platform_id>/adjustments")
@documented("Add or take a customer's points with a reason", body=AdjustIn, response=AdjustedOut,
            status=201, also=(200,), errors=(409,), headers={ACTOR_HEADER: ACTOR, KEY_HEADER: IDEMPOTENCY})
@idempotent(for_shop)
def customer_adjust(platform_id: str):
    """Add or take points with a reason: 201, or 200 with the same answer for a retried key."""
    actor, key = _actor(), _key()
    customer = customers.require(g.shop.id, platform_id)
    body = json_object(ADJUST)
    point_type = body["point_type"] or versions.current(g.shop.id)[1]["earning"]["point_type"]
    existed = LedgerEntry.select().where((LedgerEntry.shop == g.shop.id) & (
        LedgerEntry.idempotency_key == f"{adjustments.KIND}:{key}")).exists()
    first = adjustments.adjust(customer, body["points"], point_type, body["reason"], actor, key)
    written = adjustments.entries(first)
    balance = ledger.balances(customer)
    return jsonify(customer_id=customer.platform_id, points=sum(e.delta for e in written),
                   point_type=first.point_type, reason=first.reason, actor=first.actor,
                   entries=ENTRIES.dump(written),
                   balance={"total": sum(balance.values()), "by_type": balance}), 200 if existed else 201


@bp.post("/adjustments/preview")
@documented("What a CSV file of adjustments would do, row by row", accepts=CSV)
def adjustments_preview():
    """What a CSV file of adjustments would do, row by row; writes nothing."""
    return jsonify(bulk_adjustments.preview(g.shop.id, csvfile.uploaded()))


@bp.post("/adjustments/batches")
@documented("Apply a CSV file of adjustments as one batch", accepts=CSV, status=201, also=(200,),
            errors=(409,), headers={ACTOR_HEADER: ACTOR, KEY_HEADER: IDEMPOTENCY})
@idempotent(for_shop, max_bytes=csvfile.MAX_FILE_BYTES)
def adjustments_apply():
    """Apply a CSV file as one batch (201), or answer a retry of the same key and file (200)."""
    actor, key = _actor(), _key()
    batch, created = bulk_adjustments.apply(g.shop.id, csvfile.uploaded(), actor=actor, key=key)
    return jsonify(batch=bulk_adjustments.as_dict(batch)), 201 if created else 200


@bp.get("/adjustments/batches")
@documented("Adjustment batches, newest first", query=PageArgs)
def adjustments_batches():
    args = PAGE.load(request.args)
    rows = bulk_adjustments.page(g.shop.id, before=args["before"], limit=args["limit"])
    return jsonify(page(rows, args["limit"], lambda batches: [bulk_adjustments.as_dict(b) for b in batches]))


@bp.get("/adjustments/batches/<int:batch_id>")
@documented("One adjustment batch")
def adjustments_batch(batch_id: int):
    return jsonify(batch=bulk_adjustments.as_dict(bulk_adjustments.get(g.shop.id, batch_id)))


@bp.post("/adjustments/batches/<int:batch_id>/undo")
@documented("Undo a batch within a day", errors=(409,), headers={ACTOR_HEADER: ACTOR})
def adjustments_undo(batch_id: int):
    """Reverse a batch once, within a day; 409 when already undone or too late."""
    batch = bulk_adjustments.undo(g.shop.id, batch_id, actor=_actor())
    return jsonify(batch=bulk_adjustments.as_dict(batch))
