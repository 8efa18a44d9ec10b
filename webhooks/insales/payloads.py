"""InSales webhook bodies -> canonical payloads (the shapes webhooks.shopify.payloads returns).

InSales sends the whole order on orders/create and orders/update (no refund or cancel topic), so an
order maps to a snapshot: the canonical order, its state and its line quantities; the engine
(plugin.pipeline.snapshots) derives paid, refunded and cancelled from successive snapshots. Schemas
declare only what the engine reads; money may come as a JSON number or a string.
"""

from __future__ import annotations

import re
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from plugin.core.kinds import OrderState
from webhooks import mapped
from webhooks.mapped import MAX_AMOUNT, MAX_ID, MAX_QUANTITY
from webhooks.shopify.payloads import address_key, digest

#: The plugin's hold codes (plugin.spend.redemption.new_code), as the external discount's title
#: carries them onto the order's discounts (plugin.platforms.insales answers "Баллы LOY-...").
CODE = re.compile(r"LOY-[A-Z0-9]{10}")
#: InSales still spells the rouble with its pre-1998 code.
CURRENCIES = {"RUR": "RUB"}
PAID, DECLINED, RETURNED = "paid", "declined", "returned"


class _Payload(Schema):
    class Meta:
        unknown = EXCLUDE


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _money() -> fields.Decimal:
    return fields.Decimal(allow_nan=False, allow_none=True, load_default=None,
                          validate=validate.Range(min=-MAX_AMOUNT, max=MAX_AMOUNT))


def _text(length: int = 255) -> fields.String:
    return fields.String(allow_none=True, load_default=None, validate=validate.Length(max=length))


class Client(_Payload):
    id = _id(required=True)
    email = _text(320)
    phone = _text()
    name = _text()
    surname = _text()
    ip_addr = _text()
    subscribe = fields.Boolean(allow_none=True, load_default=None)  # the newsletter flag: marketing consent


class Line(_Payload):
    id = _id(required=True)
    product_id = _id(allow_none=True, load_default=None)
    variant_id = _id(allow_none=True, load_default=None)
    sku = _text()
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=MAX_QUANTITY))
    sale_price = _money()
    full_sale_price = _money()
    total_price = _money()
    full_total_price = _money()


class Discount(_Payload):
    description = fields.String(allow_none=True, load_default=None)
    amount = _money()


class OrderBody(_Payload):
    id = _id(required=True)
    client = fields.Nested(Client, allow_none=True, load_default=None)
    currency_code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z]{3}$"))
    financial_status = _text(64)
    fulfillment_status = _text(64)
    order_lines = fields.List(fields.Nested(Line), required=True)
    discounts = fields.List(fields.Nested(Discount), allow_none=True, load_default=list)
    discount = fields.Nested(Discount, allow_none=True, load_default=None)
    full_delivery_price = _money()
    delivery_price = _money()
    created_at = _text(64)
    updated_at = _text(64)
    shipping_address = fields.Dict(allow_none=True, load_default=None)


ORDER, CLIENT = OrderBody(), Client()


def unwrapped(body: dict, member: str) -> dict:
    """The object itself: InSales posts it bare (its XML is a bare <order>); ``{"order": {...}}`` is
    accepted too."""
    inner = body.get(member)
    return inner if "id" not in body and isinstance(inner, dict) else body


def line_amount(line: dict, path: str) -> Decimal:
    """What the line cost after discounts: full_total_price (InSales spreads order discounts onto
    it), else total_price, else the unit price x quantity."""
    for total in ("full_total_price", "total_price"):
        if line[total] is not None:
            return max(Decimal(0), line[total])
    unit = line["full_sale_price"] if line["full_sale_price"] is not None else line["sale_price"]
    if unit is None:
        raise ValidationError({f"{path}.full_total_price": ["the line has no price"]})
    amount = max(Decimal(0), unit * line["quantity"])
    if amount > MAX_AMOUNT:
        raise ValidationError({f"{path}.sale_price": [f"line total exceeds {MAX_AMOUNT}"]})
    return amount


def codes(data: dict) -> tuple[list[str], dict[str, str]]:
    """The plugin's codes among the order's discounts, with the amount each took."""
    found, amounts = [], {}
    entries = list(data["discounts"] or [])
    if not entries and data["discount"]:  # ``discount`` is an alias of discounts[0]
        entries = [data["discount"]]
    for entry in entries:
        for code in CODE.findall(entry["description"] or ""):
            if code not in found:
                found.append(code)
                if entry["amount"] is not None:
                    amounts[code] = str(entry["amount"])
    return found, amounts


def _customer(client: dict | None) -> dict | None:
    if not client:
        return None
    subscribed = client["subscribe"]
    consent = {} if subscribed is None else mapped.consent(subscribed, None, "insales:subscribe")
    return {"id": str(client["id"]), "email": client["email"] or None, "phone": client["phone"] or None,
            "first_name": client["name"] or None, "last_name": client["surname"] or None, **consent}


def _address(address: dict | None) -> str | None:
    if not address:
        return None
    return address_key({"address1": address.get("address") or address.get("full_delivery_address"),
                        "zip": address.get("zip"), "country_code": address.get("country")})


def state(financial_status: str | None, fulfillment_status: str | None) -> str:
    """Declined is cancelled; else paid when InSales says so, else pending."""
    if fulfillment_status == DECLINED:
        return OrderState.CANCELLED
    return OrderState.PAID if financial_status == PAID else OrderState.PENDING


def order(body: dict) -> dict:
    """The canonical order (webhooks.shopify.payloads.order's shape)."""
    data = ORDER.load(unwrapped(body, "order"))
    found, amounts = codes(data)
    client = data["client"]
    shipping = data["full_delivery_price"]
    shipping = data["delivery_price"] if shipping is None else shipping
    return {
        "order_id": str(data["id"]),
        "customer": _customer(client),
        "currency": CURRENCIES.get(data["currency_code"].upper(), data["currency_code"].upper()),
        "financial_status": data["financial_status"],
        "fulfillment_status": data["fulfillment_status"],
        "placed_at": data["created_at"],
        "updated_at": data["updated_at"],
        "shipping": str(shipping or Decimal(0)),
        "tax": "0",  # InSales prices include VAT
        "discount_codes": found,
        "discount_amounts": amounts,
        "email": client["email"] or None if client else None,
        "phone": client["phone"] or None if client else None,
        "landing_site": None, "note_attributes": {},
        "ip_hash": digest(client["ip_addr"]) if client else None,
        "address_hash": _address(data["shipping_address"]),
        "lines": [
            {"line_id": str(line["id"]),
             "product_id": None if line["product_id"] is None else str(line["product_id"]),
             "variant_id": None if line["variant_id"] is None else str(line["variant_id"]),
             "sku": line["sku"], "vendor": None, "product_type": None, "tags": [], "on_sale": False,
             "quantity": line["quantity"], "amount": str(line_amount(line, f"order_lines.{n}")),
             "gift_card": False}
            for n, line in enumerate(data["order_lines"])
        ],
    }


def snapshot(body: dict) -> dict:
    """The order as it stands: the canonical order, its state and its version (``updated_at``)."""
    data = order(body)
    if data["fulfillment_status"] == RETURNED:  # never seen in a source; if it comes: all of it back
        data["lines"] = [{**line, "quantity": 0, "amount": "0"} for line in data["lines"]]
    return {"order": data, "state": state(data["financial_status"], data["fulfillment_status"]),
            "paid": data["financial_status"] == PAID, "version": data["updated_at"]}


def customer(body: dict) -> dict:
    """clients/create: the canonical customer (webhooks.shopify.payloads.customer's shape)."""
    data = CLIENT.load(unwrapped(body, "client"))
    return {"customer": {**_customer(data), "note": None, "tags": None, "address_hash": None}}
