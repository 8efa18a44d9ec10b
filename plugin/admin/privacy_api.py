"""Privacy requests over the admin API: what each privacy webhook asked and what was done.

The list leaves the exports out (they can be large); one request carries its export, the JSON
to hand to the customer who asked for their data.
"""

from __future__ import annotations

from flask import g, jsonify, request
from marshmallow import Schema, fields, validate

from plugin.admin.api import Page, PageArgs, newest_first
from plugin.admin.openapi import documented
from plugin.core.errors import NotFound
from plugin.core.models import PrivacyRequest
from plugin.http.routes import Routes
from plugin.privacy.requests import CUSTOMER_REDACT, DATA_REQUEST, SHOP_REDACT

routes = Routes()


class PrivacyArgs(PageArgs):
    topic = fields.String(load_default=None,
                          validate=validate.OneOf((DATA_REQUEST, CUSTOMER_REDACT, SHOP_REDACT)))


class PrivacyRequestOut(Schema):
    id = fields.Integer(required=True)
    topic = fields.String(required=True)
    customer_id = fields.String(required=True, allow_none=True, attribute="customer_platform_id")
    email = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)
    requested_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    log = fields.Dict(required=True)
    event_id = fields.Integer(required=True, allow_none=True, data_key="event")


class PrivacyRequestDetail(PrivacyRequestOut):
    export = fields.Dict(required=True, allow_none=True)


class PrivacyRequestPage(Page):
    items = fields.List(fields.Nested(PrivacyRequestOut), required=True)


ARGS, ITEMS, DETAIL = PrivacyArgs(), PrivacyRequestOut(many=True), PrivacyRequestDetail()


@routes.get("/privacy-requests")
@documented("Privacy requests applied, newest first (without their exports)", query=PrivacyArgs,
            response=PrivacyRequestPage)
def privacy_requests():
    args = ARGS.load(request.args)
    query = PrivacyRequest.select().where(PrivacyRequest.shop == g.shop.id)
    if args["topic"]:
        query = query.where(PrivacyRequest.topic == args["topic"])
    return jsonify(newest_first(query, ITEMS, args))


@routes.get("/privacy-requests/<int:request_id>")
@documented("One privacy request, with the export of a data request", response=PrivacyRequestDetail)
def privacy_request(request_id: int):
    row = PrivacyRequest.get_or_none((PrivacyRequest.id == request_id) & (PrivacyRequest.shop == g.shop.id))
    if row is None:
        raise NotFound(f"no privacy request {request_id} in this shop")
    return jsonify(DETAIL.dump(row))
