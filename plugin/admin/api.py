"""Admin REST API, authenticated with the shop's API key; every query is scoped to that shop."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from marshmallow import RAISE, Schema, fields, validate

from plugin import customers, ledger, shops
from plugin.errors import NotFound, Unauthorized
from plugin.models import Event, Shop
from plugin.runtime import runtime

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1")


class BearerRequired(Unauthorized):
    headers = {"WWW-Authenticate": 'Bearer realm="loyalty"'}


class PageArgs(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    before = fields.Integer(load_default=None, validate=validate.Range(min=1))


class EventArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(Event.STATUSES))


class EntryOut(Schema):
    id = fields.Integer()
    delta = fields.Integer()
    point_type = fields.String()
    kind = fields.String()
    lot_id = fields.Integer(data_key="lot")
    event_id = fields.Integer(data_key="event")
    actor = fields.String()
    reason = fields.String()
    idempotency_key = fields.String()
    created_at = fields.DateTime()


class LotOut(Schema):
    id = fields.Integer()
    point_type = fields.String()
    source = fields.String()
    original = fields.Integer()
    remaining = fields.Integer()
    rule = fields.Dict()
    expires_at = fields.DateTime()
    created_at = fields.DateTime()


class EventOut(Schema):
    id = fields.Integer()
    topic = fields.String()
    kind = fields.String()
    delivery_id = fields.String()
    business_key = fields.String()
    status = fields.String()
    error = fields.String()
    attempts = fields.Integer()
    received_at = fields.DateTime()
    applied_at = fields.DateTime()


PAGE, EVENT_ARGS = PageArgs(), EventArgs()
ENTRIES, LOTS, EVENTS = EntryOut(many=True), LotOut(many=True), EventOut(many=True)


@bp.before_request
def authenticate() -> None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    shop = shops.by_api_key(runtime().vault, key.strip()) if scheme.lower() == "bearer" else None
    if shop is None:
        raise BearerRequired("a valid shop API key is required as 'Authorization: Bearer <key>'")
    g.shop = shop


def _customer(platform_id: str):
    customer = customers.find(g.shop.id, platform_id)
    if customer is None:
        raise NotFound(f"no customer {platform_id!r} in this shop")
    return customer


def _page(rows: list, schema: Schema, limit: int) -> dict:
    return {"items": schema.dump(rows),
            "next_before": rows[-1].id if len(rows) == limit else None}


@bp.get("/customers/<platform_id>")
def customer_detail(platform_id: str):
    customer = _customer(platform_id)
    balance = ledger.balances(customer)
    return jsonify(
        id=customer.platform_id, email=customer.email, first_name=customer.first_name,
        last_name=customer.last_name, lifetime_earned=customer.lifetime_earned,
        birthday=customer.birthday.isoformat() if customer.birthday else None,
        balance={"total": sum(balance.values()), "by_type": balance,
                 "spendable": ledger.spendable(customer)},
        lots=LOTS.dump(ledger.open_lots(customer)),
        recent=ENTRIES.dump(ledger.entries(customer, limit=20)),
    )


@bp.get("/customers/<platform_id>/ledger")
def customer_ledger(platform_id: str):
    args = PAGE.load(request.args)
    customer = _customer(platform_id)
    rows = ledger.entries(customer, before=args["before"], limit=args["limit"])
    return jsonify(_page(rows, ENTRIES, args["limit"]))


@bp.get("/events")
def events():
    args = EVENT_ARGS.load(request.args)
    query = Event.select().where(Event.shop == g.shop.id)
    if args["status"]:
        query = query.where(Event.status == args["status"])
    if args["before"]:
        query = query.where(Event.id < args["before"])
    rows = list(query.order_by(Event.id.desc()).limit(args["limit"]))
    return jsonify(_page(rows, EVENTS, args["limit"]))


@bp.get("/shop")
def shop_detail():
    shop: Shop = g.shop
    return jsonify(id=shop.id, platform=shop.platform, domain=shop.domain, active=shop.active)
