"""A customer's data as JSON, for the store owner to answer a data request. No HTTP.

Every table that references a customer is exported whole (found from the models, so a table
added later is included without touching this module), with the profile, balances and tier
summarised on top. Orders the request names are included even when they were a guest's.
"""

from __future__ import annotations

import operator
from datetime import date, datetime
from decimal import Decimal
from functools import reduce

import peewee
from playhouse.shortcuts import model_to_dict

from plugin import ledger
from plugin.core import clock
from plugin.core.models import ALL_MODELS, Customer, CustomerTier, Order, PastOrderLine, Shop

FORMAT = "loyalty-privacy-export/1"
PROFILE = ("platform_id", "email", "first_name", "last_name", "birthday", "lifetime_earned",
           "created_at", "redacted_at", "phone", "locale", "time_zone", "marketing_consent_at",
           "marketing_consent_source")


def build(shop: Shop, customer: Customer | None, request: dict) -> dict:
    """The export: ``found`` says whether the plugin knows the customer at all."""
    asked = request["customer"]
    out = {
        "format": FORMAT, "shop": shop.domain, "generated_at": plain(clock.now()),
        "request": {"customer_id": asked["id"], "email": asked.get("email"),
                    "phone": asked.get("phone"), "data_request_id": request.get("request_id"),
                    "orders_requested": request.get("orders") or []},
        "found": customer is not None,
    }
    orders = _orders(shop.id, customer, request.get("orders") or [])
    emails = {e.strip().lower() for e in (asked.get("email"), customer and customer.email) if e}
    lines = [_row(row) for row in past_lines(shop.id, asked["id"], emails)]
    history = {PastOrderLine._meta.table_name: lines} if lines else {}
    if customer is None:
        out["note"] = ("the loyalty program holds no account for this customer"
                       + ("; the orders below were recorded without one" if orders or history else ""))
        out["records"] = ({Order._meta.table_name: orders} if orders else {}) | history
        return out
    tier = CustomerTier.get_or_none(CustomerTier.customer == customer.id)
    out["customer"] = {name: plain(getattr(customer, name)) for name in PROFILE}
    out["balances"] = ledger.balances(customer)
    out["tier"] = tier.tier_id if tier else None
    out["records"] = {**records(customer), Order._meta.table_name: orders, **history}
    return out


def records(customer: Customer) -> dict[str, list[dict]]:
    """Rows of every table with a foreign key to the customer, per table, oldest first."""
    out: dict[str, list[dict]] = {}
    for model in ALL_MODELS:
        links = [f for f in model._meta.sorted_fields
                 if isinstance(f, peewee.ForeignKeyField) and f.rel_model is Customer]
        if not links or model is Order:
            continue
        mine = reduce(operator.or_, [link == customer.id for link in links])
        rows = model.select().where((model.shop == customer.shop_id) & mine).order_by(model.id)
        out[model._meta.table_name] = [_row(row) for row in rows]
    return out


def orders_of(shop_id: int, customer: Customer | None, order_ids: list[str]) -> peewee.Select:
    """The customer's recorded orders and the orders named (a guest's too), oldest first."""
    where = [Order.platform_id.in_(order_ids)] if order_ids else []
    if customer is not None:
        where.append(Order.customer == customer.id)
    matches = reduce(operator.or_, where) if where else peewee.Value(False)
    return Order.select().where((Order.shop == shop_id) & matches).order_by(Order.id)


def past_lines(shop_id: int, platform_id: str, emails: set[str]) -> peewee.Select:
    """Imported order history (plugin.dataio.order_history) naming the customer by platform id, or
    by email (a file of past orders may name customers either way)."""
    named = PastOrderLine.customer_id == platform_id
    if emails:
        named |= peewee.fn.LOWER(PastOrderLine.customer_id).in_(sorted(emails))
    return PastOrderLine.select().where((PastOrderLine.shop == shop_id) & named).order_by(PastOrderLine.id)


def _orders(shop_id: int, customer: Customer | None, order_ids: list[str]) -> list[dict]:
    return [_row(row) for row in orders_of(shop_id, customer, order_ids)]


def _row(row: peewee.Model) -> dict:
    data = model_to_dict(row, recurse=False)
    data.pop("shop", None)
    return {key: plain(value) for key, value in data.items()}


def plain(value):
    """JSON-ready: times and dates in ISO 8601, money as a string (never a float)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
