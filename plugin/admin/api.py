"""Admin REST API, authenticated with the shop's API key; every query is scoped to that shop."""

from __future__ import annotations

import json
import re

from flask import g, jsonify, request
from marshmallow import Schema, fields, validate

from plugin import customers, ledger
from plugin.admin.openapi import documented
from plugin.core import reasons
from plugin.core.errors import LoyaltyError, Unauthorized
from plugin.core.limits import StrictSchema
from plugin.core.models import Event, Shop
from plugin.core.status import EventStatus
from plugin.customers import shops
from plugin.http.converters import MAX_ID
from plugin.http.routes import Routes
from plugin.http.runtime import runtime
from plugin.pipeline import event_retry, jobs, platform_jobs, queue
from plugin.spend import late_commit
from webhooks import inbox

routes = Routes()  # on the blueprint plugin.admin.init_app makes, with every admin module's routes
URL_PREFIX = "/api/v1"


class BearerRequired(Unauthorized):
    headers = {"WWW-Authenticate": 'Bearer realm="loyalty"'}


class PageArgs(StrictSchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    before = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))


class EventArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(tuple(EventStatus)))


class ReasonText(fields.String):
    """A stored reason (plugin.core.reasons) as its English sentence, as the API has always said it."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else reasons.render(value, "en")


class ReasonCode(fields.String):
    def _serialize(self, value, attr, obj, **kwargs):
        return reasons.load(value)["code"]


class ReasonParams(fields.Dict):
    def _serialize(self, value, attr, obj, **kwargs):
        return reasons.params(value)


class ReasonOut(Schema):
    """``reason`` (English, as always), and the same reason for programs: its code and parameters."""

    reason = ReasonText(required=True, metadata={"description": "why, in English"})
    reason_code = ReasonCode(required=True, dump_only=True, attribute="reason", metadata={
        "description": "why, as a code (earn.order, hold.held, adjust.manual, text...)"})
    reason_params = ReasonParams(required=True, dump_only=True, attribute="reason", metadata={
        "description": "the code's parameters: numbers as exact strings, nested reasons as objects"})


class EntryOut(ReasonOut):
    id = fields.Integer()
    delta = fields.Integer()
    point_type = fields.String()
    kind = fields.String()
    lot_id = fields.Integer(data_key="lot", allow_none=True)
    event_id = fields.Integer(data_key="event", allow_none=True)
    actor = fields.String(allow_none=True)
    idempotency_key = fields.String()
    created_at = fields.DateTime()


class LotOut(Schema):
    id = fields.Integer()
    point_type = fields.String()
    source = fields.String()
    original = fields.Integer()
    remaining = fields.Integer()
    rule = fields.Dict()
    expires_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class EventOut(Schema):
    id = fields.Integer()
    topic = fields.String()
    kind = fields.String(allow_none=True)
    delivery_id = fields.String()
    business_key = fields.String(allow_none=True)
    status = fields.String()
    error = ReasonText(allow_none=True)  # our own notes are reason codes: shown in English
    attempts = fields.Integer()
    received_at = fields.DateTime()
    applied_at = fields.DateTime(allow_none=True)
    uncovered_discount = fields.Nested(
        late_commit.UncoveredOut, allow_none=True, dump_default=None,
        metadata={"description": "a paid order's discount its customer's points did not pay for "
                                 "(its code was used after the hold was released)"})


class Page(Schema):
    """A newest-first page; pass ``next_before`` as ``before`` for the next one (null: the last)."""

    next_before = fields.Integer(required=True, allow_none=True)


class EntryPage(Page):
    items = fields.List(fields.Nested(EntryOut), required=True)


class EventPage(Page):
    items = fields.List(fields.Nested(EventOut), required=True)


class ShopOut(Schema):
    id = fields.Integer(required=True)
    platform = fields.String(required=True)
    domain = fields.String(required=True)
    active = fields.Boolean(required=True)


class DisconnectArgs(StrictSchema):
    confirm = fields.String(required=True, validate=validate.Length(max=255), metadata={
        "description": "the shop's domain, spelled out: a disconnect cannot be undone by the API"})


class DisconnectOut(ShopOut):
    status = fields.String(required=True, metadata={"description": "disconnected"})


PAGE, EVENT_ARGS, DISCONNECT_ARGS = PageArgs(), EventArgs(), DisconnectArgs()
ENTRIES, LOTS, EVENTS = EntryOut(many=True), LotOut(many=True), EventOut(many=True)
EVENT = EventOut()


#: Query parameters a client might put a key in; a key-shaped value in any parameter counts too.
KEY_PARAMETERS = {"api_key", "apikey", "key", "access_token", "token"}
KEY_SHAPE = re.compile(r"lk_[0-9]+_")


def _key_in_query() -> bool:
    return any(name.lower() in KEY_PARAMETERS or KEY_SHAPE.search(value)
               for name, value in request.args.items(multi=True))


@routes.before_request
def authenticate() -> None:
    """Only ``Authorization: Bearer``: a key in a URL ends up in access logs, proxies and history."""
    if _key_in_query():
        raise BearerRequired("an API key in the query string is never accepted (URLs are logged): send "
                             "it as 'Authorization: Bearer <key>', and rotate a key that was sent in one")
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    shop = shops.by_api_key(runtime().vault, key.strip()) if scheme.lower() == "bearer" else None
    if shop is None:
        raise BearerRequired("a valid shop API key is required as 'Authorization: Bearer <key>'")
    g.shop = shop


def page(rows: list, limit: int, dump=None) -> dict:
    """A newest-first page of ``rows`` (as ``dump`` shows them) and the cursor of the next one: the
    last row's id when the page is full, else None (rows are models or dicts with an ``id``)."""
    last = rows[-1] if len(rows) == limit else None
    return {"items": dump(rows) if dump else rows,
            "next_before": None if last is None else last["id"] if isinstance(last, dict) else last.id}


def newest_first(query, schema: Schema, args: dict) -> dict:
    """One page of a shop-scoped query, newest first, older than the ``before`` cursor."""
    model = query.model
    if args["before"]:
        query = query.where(model.id < args["before"])
    return page(list(query.order_by(model.id.desc()).limit(args["limit"])), args["limit"], schema.dump)


@routes.get("/customers/<platform_id>/ledger")
@documented("A customer's ledger, newest first", query=PageArgs, response=EntryPage)
def customer_ledger(platform_id: str):
    args = PAGE.load(request.args)
    customer = customers.require(g.shop.id, platform_id)
    rows = ledger.entries(customer, before=args["before"], limit=args["limit"])
    return jsonify(page(rows, args["limit"], ENTRIES.dump))


@routes.get("/events")
@documented("The shop's inbound events, newest first", query=EventArgs, response=EventPage)
def events():
    args = EVENT_ARGS.load(request.args)
    query = Event.select().where(Event.shop == g.shop.id)
    if args["status"]:
        query = query.where(Event.status == args["status"])
    found = newest_first(query, EVENTS, args)
    late_commit.annotate(g.shop.id, found["items"])
    return jsonify(found)


@routes.post("/events/<int:event_id>/retry")
@documented("Retry a failed or invalid event", response=EventOut, status=202, errors=(409,))
def retry_event(event_id: int):
    """Back to pending and queued (202, with the event as it is now: already applied when jobs
    run in-process; an invalid one read again from its raw body, still ``invalid`` with the new
    reason if it does not fit yet); 409 unless the event is failed or invalid, so it applies once."""
    event_retry.retry(g.shop.id, event_id)
    return jsonify(EVENT.dump(Event.get((Event.id == event_id) & (Event.shop == g.shop.id)))), 202


@routes.get("/shop")
@documented("The shop of the API key", response=ShopOut)
def shop_detail():
    shop: Shop = g.shop
    return jsonify(id=shop.id, platform=shop.platform, domain=shop.domain, active=shop.active)


@routes.delete("/shop")
@documented("Disconnect the shop: it stops earning and its API key stops working; the platform's "
            "webhooks the plugin created are removed (WooCommerce has no uninstall notice of its own)",
            query=DisconnectArgs, response=DisconnectOut, status=202, errors=(422,))
def disconnect_shop():
    """The owner's uninstall, for any platform: ``shop.uninstalled`` stored through the inbox once
    per install (a repeat while it applies is the same disconnect) and applied like a platform's
    own notice; the platform's uninstall work runs after the answer, as a job."""
    shop: Shop = g.shop
    if DISCONNECT_ARGS.load(request.args)["confirm"].strip().lower() != shop.domain:
        raise LoyaltyError("confirm must be the shop's domain",
                           fields={"confirm": ["must be the shop's domain"]})
    credential, installed_at = shop.access_token, shop.installed_at.isoformat()
    raw = json.dumps({"shop": shop.domain, "by": "owner"})
    inbox.uninstalled(shop, shop.platform, "owner/disconnected", "owner-disconnect", raw)
    queue.ring(shop.id, jobs.apply_pending)
    shops.forget_cached()
    response = jsonify(id=shop.id, platform=shop.platform, domain=shop.domain, active=False,
                       status="disconnected")
    response.call_on_close(lambda: platform_jobs.uninstall_soon(shop.id, installed_at, credential))
    return response, 202
