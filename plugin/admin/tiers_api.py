"""Tiers over the admin API: re-evaluate the shop (a background job, with progress) and assign
a customer's tier (a hidden tier, or any tier held regardless of the rules)."""

from __future__ import annotations

from flask import g, jsonify, request
from marshmallow import Schema, fields, validate

from plugin import customers, tiers
from plugin.admin.api import bp
from plugin.admin.openapi import documented
from plugin.core.errors import Invalid
from plugin.core.limits import StrictSchema
from plugin.core.models import TierRun
from plugin.http.bodies import json_object
from plugin.program import versions


class ReevaluateIn(StrictSchema):
    batch_size = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10000))


class AssignIn(StrictSchema):
    tier = fields.String(required=True, allow_none=True)  # None: back to evaluation


class TierRunOut(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    total = fields.Integer(required=True)
    done = fields.Integer(required=True)
    changed = fields.Integer(required=True)
    program_version = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(required=True, allow_none=True)
    finished_at = fields.DateTime(required=True, allow_none=True)


class RunOut(Schema):
    run = fields.Nested(TierRunOut, required=True, allow_none=True)


class AssignedOut(Schema):
    id = fields.String(required=True)
    tier = fields.String(required=True, allow_none=True)
    assigned = fields.Boolean(required=True)
    progress = fields.Dict(required=True, allow_none=True,
                           metadata={"description": "the tier, the next one and how far it is"})


REEVALUATE, ASSIGN = ReevaluateIn(), AssignIn()


def _run(run: TierRun | None) -> dict:
    if run is None:
        return {"run": None}
    return {"run": {
        "id": run.id, "status": run.status, "total": run.total, "done": run.done,
        "changed": run.changed, "program_version": run.program_version, "error": run.error,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }}


@bp.post("/tiers/reevaluate")
@documented("Start re-evaluating every customer's tier", body=ReevaluateIn, body_required=False,
            response=RunOut, status=202)
def tiers_reevaluate():
    """Start re-evaluating every customer (202); the GET reports how far it is."""
    args = json_object(REEVALUATE) if request.get_data() else REEVALUATE.load({})
    return jsonify(_run(tiers.start_reevaluation(g.shop.id, args["batch_size"]))), 202


@bp.get("/tiers/reevaluate")
@documented("How far the latest re-evaluation is", response=RunOut)
def tiers_reevaluate_progress():
    return jsonify(_run(tiers.latest_run(g.shop.id)))


@bp.put("/customers/<platform_id>/tier")
@documented("Assign a customer's tier (null: back to evaluation)", body=AssignIn, response=AssignedOut)
def customer_tier(platform_id: str):
    """Assign a tier the evaluation will not move; {"tier": null} hands it back to evaluation."""
    customer = customers.require(g.shop.id, platform_id)
    tier_id = json_object(ASSIGN)["tier"]
    try:
        row = tiers.assign(customer, tier_id)
    except KeyError:
        raise Invalid(f"no tier {tier_id!r} in the program", fields={"tier": ["unknown tier"]}) from None
    _, program = versions.current(g.shop.id)
    return jsonify(id=customer.platform_id, tier=row.tier_id if row else None,
                   assigned=bool(row and row.assigned), progress=tiers.progress(program, customer))
