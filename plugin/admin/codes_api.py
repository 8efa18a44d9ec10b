"""Activation codes over the admin API: generate a batch, list and export batches, redeem a code."""

from __future__ import annotations

import io

from flask import g, jsonify
from marshmallow import Schema, fields, validate

from plugin.admin.activities_api import Identifier
from plugin.admin.api import bp
from plugin.admin.openapi import documented
from plugin.core.limits import StrictSchema
from plugin.earn import codes
from plugin.http.bodies import json_object
from plugin.http.downloads import download
from plugin.http.idempotency import for_shop, idempotent


class GenerateIn(StrictSchema):
    count = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=codes.MAX_COUNT))
    points = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=codes.MAX_POINTS))
    point_type = fields.String(load_default=None, validate=validate.Length(min=1, max=32))
    batch = fields.String(load_default=None,
                          validate=validate.Regexp(codes.BATCH_NAME, error=codes.BATCH_RULE))
    prefix = fields.String(load_default=None, validate=validate.Regexp(codes.PREFIX, error=codes.PREFIX_RULE))


class RedeemIn(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=100))
    customer_id = Identifier(required=True, validate=validate.Length(max=64))


class BatchOut(Schema):
    batch = fields.String(required=True)
    count = fields.Integer(required=True)
    points = fields.Integer(required=True)
    point_type = fields.String(required=True)


class BatchRow(BatchOut):
    redeemed = fields.Integer(required=True)
    created_at = fields.DateTime(required=True, allow_none=True)


class BatchList(Schema):
    items = fields.List(fields.Nested(BatchRow), required=True)


class RedeemOut(Schema):
    code = fields.String(required=True)
    batch = fields.String(required=True)
    customer_id = fields.String(required=True)
    points = fields.Integer(required=True)
    point_type = fields.String(required=True)
    lot = fields.Integer(required=True)
    redeemed_at = fields.DateTime(required=True)


GENERATE_IN, REDEEM_IN = GenerateIn(), RedeemIn()


@bp.post("/activation-codes")
@documented("Generate a batch of activation codes", body=GenerateIn, response=BatchOut, status=201,
            also=(200,), errors=(409,))
def codes_generate():
    """201 with the batch name and size; the same named batch again answers 200 (a retry)."""
    data = json_object(GENERATE_IN)
    batch = codes.generate(g.shop.id, **data)
    return jsonify(batch.as_dict()), 201 if batch.created else 200


@bp.get("/activation-codes")
@documented("Batches of activation codes with how many were used", response=BatchList)
def codes_batches():
    return jsonify(items=codes.batches(g.shop.id))


@bp.get("/activation-codes/<batch>.csv")
@documented("A batch's codes as CSV", content="text/csv")
def codes_export(batch: str):
    out = io.StringIO()
    codes.write_csv(g.shop.id, batch, out)
    # batch names are [A-Za-z0-9_.-]: safe in the header
    return download(out.getvalue(), f"activation-codes-{batch}.csv")


@bp.post("/activation-codes/redeem")
@documented("Redeem an activation code for a customer", body=RedeemIn, response=RedeemOut, status=201,
            errors=(404, 409))
@idempotent(for_shop)
def codes_redeem():
    """201 with the points granted; a used code is 409 saying when, an unknown one 404."""
    data = json_object(REDEEM_IN)
    return jsonify(codes.redeem(g.shop.id, data["code"], data["customer_id"])), 201
