"""Suppressed addresses over the admin API: an ESP's bounce or complaint webhook (or the owner by
hand) reports an address, and nothing more goes to it on that channel; lifting one sends again."""

from __future__ import annotations

from flask import g, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

from plugin.admin.api import Page, PageArgs, newest_first
from plugin.admin.openapi import documented
from plugin.core.db import write_transaction
from plugin.core.errors import NotFound
from plugin.core.kinds import DeliveryChannel, SuppressionReason
from plugin.core.limits import StrictSchema
from plugin.core.models import Suppression
from plugin.http.bodies import json_object
from plugin.http.routes import Routes
from plugin.notify import suppressions

routes = Routes()
SHOPPER_CHANNELS = (DeliveryChannel.EMAIL, DeliveryChannel.SMS)


class SuppressionIn(StrictSchema):
    channel = fields.String(required=True, validate=validate.OneOf(SHOPPER_CHANNELS))
    address = fields.String(required=True, validate=validate.Length(min=3, max=320), metadata={
        "description": "an e-mail address (compared lower-cased) or a phone number (its digits)"})
    reason = fields.String(required=True, validate=validate.OneOf(tuple(SuppressionReason)))
    detail = fields.String(load_default=None, validate=validate.Length(max=2000), metadata={
        "description": "what the ESP said, for the owner to read"})


class SuppressionArgs(PageArgs):
    channel = fields.String(load_default=None, validate=validate.OneOf(SHOPPER_CHANNELS))
    address = fields.String(load_default=None, validate=validate.Length(min=1, max=320))


class SuppressionOut(Schema):
    id = fields.Integer(required=True)
    channel = fields.String(required=True)
    address = fields.String(required=True)
    reason = fields.String(required=True)
    detail = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class SuppressionPage(Page):
    items = fields.List(fields.Nested(SuppressionOut), required=True)


IN, ARGS, ONE, ITEMS = SuppressionIn(), SuppressionArgs(), SuppressionOut(), SuppressionOut(many=True)


@routes.post("/suppressions")
@documented("Suppress an address: a bounce, a complaint, or by hand", body=SuppressionIn,
            response=SuppressionOut, status=201, also=(200,))
def suppression_add():
    """201 when new; 200 with the first report when the address was already suppressed."""
    data = json_object(IN)
    address = suppressions.normalized(data["channel"], data["address"])
    if not address or (data["channel"] == DeliveryChannel.EMAIL and "@" not in address):
        raise ValidationError({"address": ["not an address of this channel"]})
    with write_transaction():
        row, created = suppressions.suppress(g.shop.id, data["channel"], address, data["reason"],
                                             data["detail"])
    return jsonify(ONE.dump(row)), 201 if created else 200


@routes.get("/suppressions")
@documented("Suppressed addresses, newest first", query=SuppressionArgs, response=SuppressionPage)
def suppression_list():
    args = ARGS.load(request.args)
    query = Suppression.select().where(Suppression.shop == g.shop.id)
    if args["channel"]:
        query = query.where(Suppression.channel == args["channel"])
    if args["address"]:
        query = query.where(Suppression.address == suppressions.normalized(
            args["channel"] or DeliveryChannel.EMAIL, args["address"]))
    return jsonify(newest_first(query, ITEMS, args))


@routes.delete("/suppressions/<int:suppression_id>")
@documented("Lift a suppression: the address gets messages again", status=204, errors=(404,))
def suppression_lift(suppression_id: int):
    with write_transaction():
        if not suppressions.lift(g.shop.id, suppression_id):
            raise NotFound(f"no suppression {suppression_id} in this shop")
    return "", 204
