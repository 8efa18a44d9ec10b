"""Shopify's mandatory privacy webhooks -> canonical privacy events (applied by plugin.privacy).

The shop is the one the signed delivery came for (its domain header), never the body's
``shop_domain``: Shopify's documented examples carry a placeholder there.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from plugin.core.kinds import EventKind
from webhooks.mapped import MAX_ID, Mapped

DATA_REQUEST, CUSTOMER_REDACT = EventKind.PRIVACY_DATA_REQUEST, EventKind.PRIVACY_CUSTOMER_REDACT
SHOP_REDACT = EventKind.PRIVACY_SHOP_REDACT
#: Privacy events are applied even for an uninstalled shop: that is when shop/redact comes.
KINDS = (DATA_REQUEST, CUSTOMER_REDACT, SHOP_REDACT)


class _Payload(Schema):
    class Meta:
        unknown = EXCLUDE


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class Customer(_Payload):
    id = _id(required=True)
    email = fields.String(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)


class Request(_Payload):
    id = _id(required=True)


class DataRequestBody(_Payload):
    customer = fields.Nested(Customer, required=True)
    orders_requested = fields.List(_id(), allow_none=True, load_default=list)
    data_request = fields.Nested(Request, allow_none=True, load_default=None)


class CustomerRedactBody(_Payload):
    customer = fields.Nested(Customer, required=True)
    orders_to_redact = fields.List(_id(), allow_none=True, load_default=list)


DATA_REQUEST_BODY, CUSTOMER_REDACT_BODY = DataRequestBody(), CustomerRedactBody()


def _customer(data: dict) -> dict:
    return {**data, "id": str(data["id"])}


def data_request(body: dict) -> Mapped:
    """customers/data_request: once per Shopify data request id (any delivery of it)."""
    data = DATA_REQUEST_BODY.load(body)
    request_id = str(data["data_request"]["id"]) if data["data_request"] else None
    payload = {"customer": _customer(data["customer"]), "request_id": request_id,
               "orders": [str(o) for o in data["orders_requested"] or []]}
    return Mapped(DATA_REQUEST, payload, f"{DATA_REQUEST}:{request_id}" if request_id else None)


def customer_redact(body: dict) -> Mapped:
    """customers/redact: no request id, so once per delivery; applying it twice changes nothing."""
    data = CUSTOMER_REDACT_BODY.load(body)
    return Mapped(CUSTOMER_REDACT, {"customer": _customer(data["customer"]),
                                    "orders": [str(o) for o in data["orders_to_redact"] or []]})


def shop_redact(body: dict) -> Mapped:
    return Mapped(SHOP_REDACT, {})
