"""What the plugin read from Ecwid's REST API -> canonical payloads (never a webhook body: Ecwid
signs only a webhook's id and time, so its body is trusted for nothing but "entity E changed").

An order maps to a snapshot (plugin.pipeline.snapshots derives paid, refunded, cancelled): Ecwid
states refunds as money (``refundedAmount``), not as lines, so the lines stay as bought and the
snapshot carries ``refunded`` and ``total``, which the derivation reverses pro rata. Schemas
declare only what the engine reads; money may come as a JSON number or a string.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from plugin.core.kinds import OrderState
from webhooks import mapped
from webhooks.mapped import MAX_AMOUNT, MAX_ID, MAX_QUANTITY
from webhooks.shopify.payloads import address_key, digest

PAID = ("PAID", "PARTIALLY_REFUNDED", "REFUNDED")
CANCELLED = "CANCELLED"
REFUNDED = "REFUNDED"
CONSENT_SOURCE = "ecwid:acceptMarketing"


class _Payload(Schema):
    class Meta:
        unknown = EXCLUDE


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _money(minimum=-MAX_AMOUNT) -> fields.Decimal:
    return fields.Decimal(allow_nan=False, allow_none=True, load_default=None,
                          validate=validate.Range(min=minimum, max=MAX_AMOUNT))


def _text(length: int = 255) -> fields.String:
    return fields.String(allow_none=True, load_default=None, validate=validate.Length(max=length))


class ItemDiscount(_Payload):
    total = _money()


class Item(_Payload):
    id = _id(required=True)
    productId = _id(allow_none=True, load_default=None)  # noqa: N815 - Ecwid's spelling
    sku = _text()
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=MAX_QUANTITY))
    price = _money()
    couponAmount = _money()  # noqa: N815
    discounts = fields.List(fields.Nested(ItemDiscount), allow_none=True, load_default=list)


class Coupon(_Payload):
    code = fields.Raw(allow_none=True, load_default=None)  # Ecwid has shown a code as a number


class Person(_Payload):
    name = _text()
    phone = _text()
    street = _text(1000)
    postalCode = _text()  # noqa: N815
    countryCode = _text()  # noqa: N815


class Shipping(_Payload):
    shippingRate = _money()  # noqa: N815


class Fee(_Payload):
    value = _money()


class OrderBody(_Payload):
    orderNumber = _id(required=True)  # noqa: N815 - what webhooks name as entityId, and GET takes
    total = _money(0)
    tax = _money()
    paymentStatus = _text(64)  # noqa: N815
    fulfillmentStatus = _text(64)  # noqa: N815
    refundedAmount = _money(0)  # noqa: N815
    createDate = _text(64)  # noqa: N815
    updateDate = _text(64)  # noqa: N815
    createTimestamp = fields.Integer(strict=True, allow_none=True, load_default=None,  # noqa: N815
                                     validate=validate.Range(min=0, max=2**37))
    updateTimestamp = fields.Integer(strict=True, allow_none=True, load_default=None,  # noqa: N815
                                     validate=validate.Range(min=0, max=MAX_ID))
    email = _text(320)
    customerId = _id(allow_none=True, load_default=None)  # noqa: N815 - a guest has none
    ipAddress = _text()  # noqa: N815
    acceptMarketing = fields.Boolean(allow_none=True, load_default=None)  # noqa: N815
    items = fields.List(fields.Nested(Item), required=True)
    discountCoupon = fields.Nested(Coupon, allow_none=True, load_default=None)  # noqa: N815
    couponDiscount = _money()  # noqa: N815
    shippingOption = fields.Nested(Shipping, allow_none=True, load_default=None)  # noqa: N815
    handlingFee = fields.Nested(Fee, allow_none=True, load_default=None)  # noqa: N815
    billingPerson = fields.Nested(Person, allow_none=True, load_default=None)  # noqa: N815
    shippingPerson = fields.Nested(Person, allow_none=True, load_default=None)  # noqa: N815


class Fetched(_Payload):
    """What prepare stores for an order it read: the shop's currency (Ecwid's orders carry none:
    a store has one) and the order exactly as the API answered."""

    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))
    order = fields.Dict(required=True)


class CustomerBody(_Payload):
    id = _id(required=True)
    email = _text(320)
    acceptMarketing = fields.Boolean(allow_none=True, load_default=None)  # noqa: N815
    billingPerson = fields.Nested(Person, allow_none=True, load_default=None)  # noqa: N815


ORDER, FETCHED, CUSTOMER = OrderBody(), Fetched(), CustomerBody()


def line_amount(item: dict, path: str) -> Decimal:
    """What the line cost the shopper: ``price`` (the unit price with its options) x quantity, less
    the item's share of the coupon (``couponAmount``) and of the order's other discounts
    (``discounts[].total``), both stated by Ecwid for the whole line; never below nought. Tax and
    shipping stay on the order (``tax``, ``shipping``), as the other platforms keep them."""
    if item["price"] is None:
        raise ValidationError({f"{path}.price": ["the item has no price"]})
    amount = item["price"] * item["quantity"] - (item["couponAmount"] or 0)
    amount -= sum((entry["total"] or 0 for entry in item["discounts"] or []), Decimal(0))
    if abs(amount) > MAX_AMOUNT:
        raise ValidationError({f"{path}.price": [f"line total exceeds {MAX_AMOUNT}"]})
    return max(Decimal(0), amount)


def _name(person: dict | None) -> tuple[str | None, str | None]:
    words = ((person or {}).get("name") or "").split(maxsplit=1)
    return (words[0] if words else None), (words[1] if len(words) > 1 else None)


def _customer(customer_id: int, email: str | None, person: dict | None, marketing: bool | None) -> dict:
    first, last = _name(person)
    consent = {} if marketing is None else mapped.consent(marketing, None, CONSENT_SOURCE)
    return {"id": str(customer_id), "email": email or None, "phone": (person or {}).get("phone") or None,
            "first_name": first, "last_name": last, **consent}


def _code(data: dict) -> str | None:
    code = (data["discountCoupon"] or {}).get("code")
    if isinstance(code, bool) or not isinstance(code, str | int):
        return None
    return str(code).strip()[:255] or None


def _address(person: dict | None) -> str | None:
    if not person:
        return None
    return address_key({"address1": person["street"], "zip": person["postalCode"],
                        "country_code": person["countryCode"]})


def version(data: dict) -> str:
    """This version of the order: Ecwid's ``updateTimestamp`` (unix seconds), else ``updateDate``."""
    if data.get("updateTimestamp") is not None:
        return str(data["updateTimestamp"])
    return "".join(ch for ch in str(data.get("updateDate") or "") if ch.isalnum()) or "0"


def order(body: dict) -> dict:
    """The canonical order (webhooks.shopify.payloads.order's shape) of a fetched delivery."""
    wrapped = FETCHED.load(body)
    data = ORDER.load(wrapped["order"])
    code = _code(data)
    customer = None
    if data["customerId"] is not None:
        customer = _customer(data["customerId"], data["email"], data["billingPerson"],
                             data["acceptMarketing"])
    shipping = ((data["shippingOption"] or {}).get("shippingRate") or Decimal(0)) + (
        (data["handlingFee"] or {}).get("value") or Decimal(0))
    return {
        "order_id": str(data["orderNumber"]),
        "customer": customer,
        "currency": wrapped["currency"],
        "financial_status": data["paymentStatus"],
        "fulfillment_status": data["fulfillmentStatus"],
        "placed_at": (None if data["createTimestamp"] is None
                      else datetime.fromtimestamp(data["createTimestamp"], UTC).isoformat()),
        "updated_at": data["updateDate"],
        "shipping": str(shipping),
        "tax": str(data["tax"] or Decimal(0)),
        "discount_codes": [code] if code else [],
        "discount_amounts": ({code.upper(): str(data["couponDiscount"])}
                             if code and data["couponDiscount"] is not None else {}),
        "email": data["email"] or None,
        "phone": (data["billingPerson"] or {}).get("phone") or None,
        "landing_site": None, "note_attributes": {},
        "ip_hash": digest(data["ipAddress"]),
        "address_hash": _address(data["shippingPerson"]),
        "lines": [
            {"line_id": str(item["id"]),
             "product_id": None if item["productId"] is None else str(item["productId"]),
             "variant_id": None, "sku": item["sku"], "vendor": None, "product_type": None, "tags": [],
             "on_sale": False, "quantity": item["quantity"],
             "amount": str(line_amount(item, f"order.items.{n}")), "gift_card": False}
            for n, item in enumerate(data["items"])
        ],
        "_total": data["total"], "_refunded": data["refundedAmount"], "_version": version(data),
    }


def state(payment_status: str | None) -> str:
    """PAID, PARTIALLY_REFUNDED and REFUNDED are paid (refunds reverse by amount); CANCELLED is
    cancelled; AWAITING_PAYMENT, INCOMPLETE and anything new are pending."""
    if payment_status == CANCELLED:
        return OrderState.CANCELLED
    return OrderState.PAID if payment_status in PAID else OrderState.PENDING


def snapshot(body: dict) -> dict:
    """The order as Ecwid's API states it: lines as bought, ``refunded`` of ``total`` (a REFUNDED
    order that names no amount gave all of it back)."""
    data = order(body)
    total, refunded, stamp = data.pop("_total"), data.pop("_refunded"), data.pop("_version")
    status = data["financial_status"]
    if status == REFUNDED and not refunded:
        refunded = total
    result = {"order": data, "state": state(status), "paid": status in PAID, "version": stamp}
    if total is not None:
        result["total"] = str(total)
        result["refunded"] = str(min(refunded or Decimal(0), total))
    return result


def gone(order_id: str, last: dict | None) -> dict:
    """An order Ecwid no longer has after ``order.deleted``: the last snapshot the plugin read of
    it, cancelled (its lines as they were, so nothing reads as returned); none: an empty one."""
    if last is None:
        return {"order": {"order_id": order_id, "customer": None, "lines": [], "discount_codes": [],
                          "discount_amounts": {}},
                "state": OrderState.CANCELLED, "paid": False, "version": "deleted"}
    return {**last, "state": OrderState.CANCELLED, "version": "deleted"}


def customer(body: dict) -> dict:
    """A customer read from the API: the canonical customer, marketing consent from acceptMarketing."""
    data = CUSTOMER.load(body)
    person = data["billingPerson"]
    return {"customer": {**_customer(data["id"], data["email"], person, data["acceptMarketing"]),
                         "note": None, "tags": None, "address_hash": _address(data["billingPerson"])}}
