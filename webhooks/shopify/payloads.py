"""Shopify webhook bodies -> canonical event payloads. Ids stay exact, money stays Decimal.

Schemas declare only what the engine reads (``unknown = EXCLUDE``: Shopify adds fields often);
a declared field of the wrong type is a ValidationError whose messages name it by path.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, fields, validate

from plugin.core.crypto import Vault
from webhooks import fastload, mapped
from webhooks.mapped import MAX_AMOUNT, MAX_ID, MAX_QUANTITY
from webhooks.shopify.shop_money import ShopMoney, line_amount

CENT = Decimal("0.0001")


class _Payload(Schema):
    class Meta:
        unknown = EXCLUDE


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _money(**kwargs) -> fields.Decimal:
    """An amount within +-10^12 (beyond is no real order, and would not fit our columns)."""
    extra = kwargs.pop("validate", None)
    bounds = [validate.Range(min=-MAX_AMOUNT, max=MAX_AMOUNT), *([extra] if extra else [])]
    return fields.Decimal(allow_nan=False, validate=bounds, **kwargs)


class Money(_Payload):
    amount = _money(required=True)
    currency_code = fields.String(required=True, validate=validate.Length(equal=3))


class MoneyBag(_Payload):
    """Shopify's ``*_set``: the amount in the shop's currency and in the one the buyer saw."""

    shop_money = fields.Nested(Money, required=True)
    presentment_money = fields.Nested(Money, load_default=None, allow_none=True)


def _converted(bags: list[dict | None]) -> bool:
    """Whether any of these amounts was converted (its two currencies differ)."""
    return any(bag and bag["presentment_money"] and bag["presentment_money"]["currency_code"].upper()
               != bag["shop_money"]["currency_code"].upper() for bag in bags)


def _bag() -> fields.Nested:
    return fields.Nested(MoneyBag, load_default=None, allow_none=True)


class Allocation(_Payload):
    amount = _money(required=True)
    amount_set = _bag()


class LineItem(_Payload):
    id = _id(required=True)
    product_id = _id(allow_none=True, load_default=None)
    variant_id = _id(allow_none=True, load_default=None)
    sku = fields.String(allow_none=True, load_default=None)
    vendor = fields.String(allow_none=True, load_default=None)
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=MAX_QUANTITY))
    price = _money(required=True, validate=validate.Range(min=0))
    total_discount = _money(load_default=Decimal(0))
    discount_allocations = fields.List(fields.Nested(Allocation), load_default=None)
    price_set = _bag()
    total_discount_set = _bag()
    gift_card = fields.Boolean(load_default=False, allow_none=True)


class Consent(_Payload):
    state = fields.String(allow_none=True, load_default=None)
    consent_updated_at = fields.String(allow_none=True, load_default=None)


class CustomerRef(_Payload):
    id = _id(required=True)
    email = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=320))
    first_name = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=255))
    last_name = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=255))
    phone = fields.String(allow_none=True, load_default=None)
    locale = fields.String(allow_none=True, load_default=None)
    email_marketing_consent = fields.Nested(Consent, allow_none=True, load_default=None)
    sms_marketing_consent = fields.Nested(Consent, allow_none=True, load_default=None)


class CustomerBody(CustomerRef):
    """A sign-up: the note or a ``ref:<code>`` tag may carry a referral code (plugin.earn.referrals)."""

    note = fields.String(allow_none=True, load_default=None)
    tags = fields.String(allow_none=True, load_default=None)
    default_address = fields.Dict(allow_none=True, load_default=None)
    addresses = fields.List(fields.Dict(), allow_none=True, load_default=None)


class NoteAttribute(_Payload):
    name = fields.String(required=True)
    value = fields.Raw(allow_none=True, load_default=None)


class ShippingLine(_Payload):
    price = _money(required=True)
    price_set = _bag()
    discount_allocations = fields.List(fields.Nested(Allocation), load_default=list)


class DiscountCode(_Payload):
    code = fields.String(required=True)
    amount = _money(load_default=None, allow_none=True)  # charged for a code of ours no hold knows


class OrderBody(_Payload):
    id = _id(required=True)
    customer = fields.Nested(CustomerRef, allow_none=True, load_default=None)
    currency = fields.String(required=True, validate=validate.Length(equal=3))  # the shop's currency
    presentment_currency = fields.String(load_default=None, allow_none=True,
                                         validate=validate.Length(equal=3))
    financial_status = fields.String(allow_none=True, load_default=None)
    line_items = fields.List(fields.Nested(LineItem), required=True)
    shipping_lines = fields.List(fields.Nested(ShippingLine), load_default=list)
    discount_codes = fields.List(fields.Nested(DiscountCode), load_default=list)
    total_tax = _money(load_default=Decimal(0), allow_none=True)
    total_tax_set = _bag()
    created_at = fields.DateTime(load_default=None, allow_none=True)
    # What referral attribution and its fraud checks read (plugin.earn.referrals).
    email = fields.String(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    browser_ip = fields.String(allow_none=True, load_default=None)
    landing_site = fields.String(allow_none=True, load_default=None)
    note_attributes = fields.List(fields.Nested(NoteAttribute), load_default=list, allow_none=True)
    shipping_address = fields.Dict(allow_none=True, load_default=None)


class RefundLine(_Payload):
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=MAX_QUANTITY))
    line_item = fields.Nested(LineItem, required=True)


class RefundBody(_Payload):
    id = _id(required=True)
    order_id = _id(required=True)
    refund_line_items = fields.List(fields.Nested(RefundLine), load_default=list)


class CancelBody(_Payload):
    id = _id(required=True)


# Each body is loaded through webhooks.fastload: marshmallow's checks, without its overhead per field.
ORDER, REFUND, CANCEL, CUSTOMER = (fastload.loader(schema()) for schema in (
    OrderBody, RefundBody, CancelBody, CustomerBody))


_fingerprint_key = b"loyalty/fingerprint"  # key_fingerprints puts one derived from LOYALTY_SECRET_KEY here


def key_fingerprints(vault: Vault) -> None:
    """Every process that maps orders (the web app, a worker) keys fingerprints the same way."""
    use_fingerprint_key(vault.derive("fingerprint", 0).encode())


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
    stated = {channel: data.pop(f"{channel}_marketing_consent", None) for channel in ("email", "sms")}
    return {**data, "id": str(data["id"]), **_consent(stated)}


def _consent(stated: dict[str, dict | None]) -> dict:
    """Consent on either channel is consent (its own time, ``shopify:email``/``shopify:sms``); a
    customer whose every stated channel is not subscribed has none (withdrawn, or never given)."""
    known = {channel: c for channel, c in stated.items() if c and c["state"]}
    if not known:
        return {}
    for channel, c in known.items():
        if c["state"] == "subscribed":
            return mapped.consent(True, c["consent_updated_at"], f"shopify:{channel}")
    return mapped.consent(False)


def order(body: dict) -> dict:
    data = ORDER(body)
    presentment = (data["presentment_currency"] or data["currency"]).upper()
    shop_money = ShopMoney(data["currency"], presentment != data["currency"].upper())
    data["line_items"] = [shop_money.line(line, f"line_items.{n}")
                          for n, line in enumerate(data["line_items"])]
    return {
        "order_id": str(data["id"]),
        "customer": _customer(data["customer"]),
        "currency": data["currency"].upper(),
        "financial_status": data["financial_status"],
        "placed_at": data["created_at"].isoformat() if data["created_at"] else None,
        "shipping": str(shop_money.shipping(data["shipping_lines"])),
        "tax": str(shop_money.pick(data["total_tax"], data["total_tax_set"], "total_tax")),
        "discount_codes": [d["code"] for d in data["discount_codes"]],
        "discount_amounts": {d["code"].strip().upper(): str(d["amount"]) for d in data["discount_codes"]
                             if d["amount"] is not None},
        "email": data["email"], "phone": data["phone"], "landing_site": data["landing_site"],
        "note_attributes": {a["name"]: str(a["value"]) for a in data["note_attributes"] or []
                            if a["value"] is not None},
        "ip_hash": digest(data["browser_ip"]), "address_hash": address_key(data["shipping_address"]),
        "lines": [
            {"line_id": str(line["id"]),
             "product_id": None if line["product_id"] is None else str(line["product_id"]),
             "variant_id": None if line["variant_id"] is None else str(line["variant_id"]),
             # Not in the webhook: the worker fills them from the shop's catalog (plugin.program.catalog).
             "sku": line["sku"], "vendor": line["vendor"], "product_type": None, "tags": [],
             "on_sale": False, "quantity": line["quantity"], "amount": str(line_amount(line)),
             "gift_card": bool(line["gift_card"])}
            for line in data["line_items"]
        ],
    }


def refund(body: dict) -> dict:
    data = REFUND(body)
    items = [refunded["line_item"] for refunded in data["refund_line_items"]]
    # A refund names no currency: its amounts say whether the order's were converted.
    shop_money = ShopMoney(None, _converted([bag for line in items for bag in (
        line["price_set"], line["total_discount_set"],
        *(a["amount_set"] for a in line["discount_allocations"] or []))]))
    lines = []
    for n, refunded in enumerate(data["refund_line_items"]):
        line = shop_money.line(refunded["line_item"], f"refund_line_items.{n}.line_item")
        share = (line_amount(line) * refunded["quantity"] / line["quantity"]
                 if line["quantity"] else Decimal(0))
        lines.append({"line_id": str(line["id"]), "quantity": refunded["quantity"],
                      "amount": str(share.quantize(CENT)), "gift_card": bool(line["gift_card"])})
    return {"refund_id": str(data["id"]), "order_id": str(data["order_id"]), "lines": lines}


def cancellation(body: dict) -> dict:
    return {"order_id": str(CANCEL(body)["id"])}


def customer(body: dict) -> dict:
    data = CUSTOMER(body)
    address = data.pop("default_address") or next(iter(data.pop("addresses") or []), None)
    data.pop("addresses", None)
    return {"customer": {**_customer(data), "address_hash": address_key(address)}}
