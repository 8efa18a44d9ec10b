"""The dashboard's overview over the admin API: the same live counts (plugin.reports.shop_status)."""

from __future__ import annotations

from flask import g, jsonify
from marshmallow import Schema, fields

from plugin.admin.api import EntryOut
from plugin.admin.openapi import documented
from plugin.core.status import EventStatus
from plugin.customers import display_name
from plugin.http.routes import Routes
from plugin.reports import shop_status

routes = Routes()


class RecentEntryOut(EntryOut):
    customer = fields.String(required=True, attribute="customer.platform_id",
                             metadata={"description": "the customer's platform id"})
    customer_name = fields.Function(lambda entry: display_name(entry.customer), required=True,
                                    metadata={"description": "the customer's name, else e-mail, "
                                                             "else platform id"})


class RecentEventOut(Schema):
    id = fields.Integer(required=True)
    topic = fields.String(required=True)
    kind = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)
    received_at = fields.DateTime(required=True)


class OverviewOut(Schema):
    members = fields.Integer(required=True, metadata={"description": "customers the shop has"})
    outstanding = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                              metadata={"description": "points held by customers, per point type"})
    statuses = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                           metadata={"description": "inbox events per status: "
                                                    + ", ".join(EventStatus)})
    entries = fields.List(fields.Nested(RecentEntryOut), required=True,
                          metadata={"description": "the latest ledger lines, newest first"})
    events = fields.List(fields.Nested(RecentEventOut), required=True,
                         metadata={"description": "the latest inbox events, newest first"})


OVERVIEW = OverviewOut()


@routes.get("/overview")
@documented("The shop at a glance: members, points outstanding, events by status, latest activity",
            response=OverviewOut)
def overview():
    return jsonify(OVERVIEW.dump(shop_status.overview(g.shop.id)))
