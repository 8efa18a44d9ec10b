"""Shopify webhook bodies -> canonical event payloads. Ids stay exact, money stays Decimal.

Schemas declare only what the engine reads (``unknown = EXCLUDE``: Shopify adds fields often);
a declared field of the wrong type is a ValidationError whose messages name it by path.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, fields, validate

CENT = Decimal("0.0001")


class _Payload(Schema):
    class Meta:
        unknown = EXCLUDE


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1), **kwargs)


def _money(**kwargs) -> fields.Decimal:
    return fields.Decimal(allow_nan=False, **kwargs)


class Allocation(_Payload):
    amount = _money(required=True)


class LineItem(_Payload):
    id = _id(required=True)
    product_id = _id(allow_none=True, load_default=None)
    variant_id = _id(allow_none=True, load_default=None)
    sku = fields.String(allow_none=True, load_default=None)
    vendor = fields.String(allow_none=True, load_default=None)
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))
    price = _money(required=True, validate=validate.Range(min=0))
    total_discount = _money(load_default=Decimal(0))
    discount_allocations = fields.List(fields.Nested(Allocation), load_default=None)
    gift_card = fields.Boolean(load_default=False, allow_none=True)


class CustomerRef(_Payload):
    id = _id(required=True)
    email = fields.String(allow_none=True, load_default=None)
    first_name = fields.String(allow_none=True, load_default=None)
    last_name = fields.String(allow_none=True, load_default=None)


class CustomerBody(CustomerRef):
    """A sign-up: the note or a ``ref:<code>`` tag may carry a referral code (plugin.referrals)."""

    note = fields.String(allow_none=True, load_default=None)
    tags = fields.String(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    default_address = fields.Dict(allow_none=True, load_default=None)
    addresses = fields.List(fields.Dict(), allow_none=True, load_default=None)


class NoteAttribute(_Payload):
    name = fields.String(required=True)
    value = fields.Raw(allow_none=True, load_default=None)


class ShippingLine(_Payload):
    price = _money(required=True)
    discount_allocations = fields.List(fields.Nested(Allocation), load_default=list)


class DiscountCode(_Payload):
    code = fields.String(required=True)


class OrderBody(_Payload):
    id = _id(required=True)
    customer = fields.Nested(CustomerRef, allow_none=True, load_default=None)
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    financial_status = fields.String(allow_none=True, load_default=None)
    line_items = fields.List(fields.Nested(LineItem), required=True)
    shipping_lines = fields.List(fields.Nested(ShippingLine), load_default=list)
    discount_codes = fields.List(fields.Nested(DiscountCode), load_default=list)
    total_tax = _money(load_default=Decimal(0), allow_none=True)
    created_at = fields.DateTime(load_default=None, allow_none=True)
    # What referral attribution and its fraud checks read (plugin.referrals).
    email = fields.String(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    browser_ip = fields.String(allow_none=True, load_default=None)
    landing_site = fields.String(allow_none=True, load_default=None)
    note_attributes = fields.List(fields.Nested(NoteAttribute), load_default=list, allow_none=True)
    shipping_address = fields.Dict(allow_none=True, load_default=None)


class RefundLine(_Payload):
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))
    line_item = fields.Nested(LineItem, required=True)


class RefundBody(_Payload):
    id = _id(required=True)
    order_id = _id(required=True)
    refund_line_items = fields.List(fields.Nested(RefundLine), load_default=list)


class CancelBody(_Payload):
    id = _id(required=True)


ORDER, REFUND, CANCEL, CUSTOMER = OrderBody(), RefundBody(), CancelBody(), CustomerBody()


def line_amount(line: dict) -> Decimal:
    """What a line really cost: price x quantity less the discounts allocated to it."""
    allocations = line["discount_allocations"]
    discount = (sum((a["amount"] for a in allocations), Decimal(0)) if allocations is not None
                else line["total_discount"])
    return max(Decimal(0), line["price"] * line["quantity"] - discount)


_fingerprint_key = b"loyalty/fingerprint"  # create_app puts a key derived from LOYALTY_SECRET_KEY here


def use_fingerprint_key(key: bytes) -> None:
    """Key the fingerprints with the app's secret: an unkeyed hash of an IP address is found again
    by hashing all four billion of them."""
    global _fingerprint_key
    _fingerprint_key = key


def digest(value: str | None) -> str | None:
    """A one-way fingerprint (IP, address): fraud checks compare these, never the raw value."""
    return hmac.new(_fingerprint_key, value.encode(), hashlib.sha256).hexdigest()[:32] if value else None


def address_key(address: dict | None) -> str | None:
    """The fingerprint of a postal address: street, zip and country, case and spacing ignored."""
    if not address:
        return None
    parts = [str(address.get(k) or "") for k in ("address1", "address2", "zip", "country_code")]
    text = " ".join(" ".join(parts).lower().split())
    return digest(text) if text else None


def _customer(data: dict | None) -> dict | None:
    if not data:
        return None
    return {**data, "id": str(data["id"])}


def order(body: dict) -> dict:
    data = ORDER.load(body)
    return {
        "order_id": str(data["id"]),
        "customer": _customer(data["customer"]),
        "currency": data["currency"].upper(),
        "financial_status": data["financial_status"],
        "placed_at": data["created_at"].isoformat() if data["created_at"] else None,
        "shipping": str(sum((s["price"] - sum((a["amount"] for a in s["discount_allocations"]), Decimal(0))
                             for s in data["shipping_lines"]), Decimal(0))),
        "tax": str(data["total_tax"] or Decimal(0)),
        "discount_codes": [d["code"] for d in data["discount_codes"]],
        "email": data["email"], "phone": data["phone"], "landing_site": data["landing_site"],
        "note_attributes": {a["name"]: str(a["value"]) for a in data["note_attributes"] or []
                            if a["value"] is not None},
        "ip_hash": digest(data["browser_ip"]), "address_hash": address_key(data["shipping_address"]),
        "lines": [
            {"line_id": str(line["id"]),
             "product_id": None if line["product_id"] is None else str(line["product_id"]),
             "variant_id": None if line["variant_id"] is None else str(line["variant_id"]),
             # Not in the webhook: the worker fills them from the shop's catalog (plugin.catalog).
             "sku": line["sku"], "vendor": line["vendor"], "product_type": None, "tags": [],
             "on_sale": False, "quantity": line["quantity"], "amount": str(line_amount(line)),
             "gift_card": bool(line["gift_card"])}
            for line in data["line_items"]
        ],
    }


def refund(body: dict) -> dict:
    data = REFUND.load(body)
    lines = []
    for refunded in data["refund_line_items"]:
        line = refunded["line_item"]
        share = (line_amount(line) * refunded["quantity"] / line["quantity"]
                 if line["quantity"] else Decimal(0))
        lines.append({"line_id": str(line["id"]), "quantity": refunded["quantity"],
                      "amount": str(share.quantize(CENT)), "gift_card": bool(line["gift_card"])})
    return {"refund_id": str(data["id"]), "order_id": str(data["order_id"]), "lines": lines}


def cancellation(body: dict) -> dict:
    return {"order_id": str(CANCEL.load(body)["id"])}


def customer(body: dict) -> dict:
    data = CUSTOMER.load(body)
    address = data.pop("default_address") or next(iter(data.pop("addresses") or []), None)
    data.pop("addresses", None)
    return {"customer": {**_customer(data), "address_hash": address_key(address)}}
