"""Custom actions over the admin API: report one (idempotent by the store's id) and list them."""

from __future__ import annotations

from datetime import UTC

from flask import g, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

from plugin import customers
from plugin.admin.api import Page, PageArgs, bp, page
from plugin.admin.openapi import documented
from plugin.core import limits
from plugin.earn import activities
from plugin.http.bodies import json_object
from plugin.http.idempotency import for_shop, idempotent


class Identifier(fields.String):
    """An id the store chose: a string, or a whole number as platforms often send ids."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if not value:
            raise ValidationError("must not be empty")
        return value


class ActivityIn(limits.StrictSchema):
    activity_id = Identifier(required=True, validate=validate.Length(max=255))
    customer_id = Identifier(required=True, validate=validate.Length(max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    occurred_at = limits.AwareMoment(load_default=None, default_timezone=UTC)


class ActivityArgs(PageArgs):
    customer_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class ActivityOut(Schema):
    activity_id = fields.String(required=True)
    customer_id = fields.String(required=True)
    name = fields.String(required=True)
    outcome = fields.String(required=True)
    points = fields.Integer(required=True)
    point_type = fields.String(required=True, allow_none=True)
    lot = fields.Integer(required=True, allow_none=True)
    occurred_at = fields.DateTime(required=True)
    reason = fields.String(required=True)


class ActivityRow(ActivityOut):
    id = fields.Integer(required=True)


class ActivityPage(Page):
    items = fields.List(fields.Nested(ActivityRow), required=True)


ACTIVITY_IN, ACTIVITY_ARGS = ActivityIn(), ActivityArgs()


@bp.post("/activities")
@documented("Report a custom action of a customer", body=ActivityIn, response=ActivityOut, status=201,
            also=(200,), errors=(409,))
@idempotent(for_shop)
def activity_report():
    """201 with the outcome (granted, or limited with no points); a retry answers the same, 200."""
    data = json_object(ACTIVITY_IN)
    answer, created = activities.record(g.shop.id, data["activity_id"], data["customer_id"],
                                        data["name"], data["occurred_at"])
    return jsonify(answer), 201 if created else 200


@bp.get("/activities")
@documented("Recorded actions, newest first", query=ActivityArgs, response=ActivityPage, errors=(404,))
def activity_list():
    args = ACTIVITY_ARGS.load(request.args)
    customer = customers.require(g.shop.id, args["customer_id"]) if args["customer_id"] else None
    rows = activities.page(g.shop.id, customer, before=args["before"], limit=args["limit"])
    return jsonify(page(rows, args["limit"]))
