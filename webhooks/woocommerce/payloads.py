"""WooCommerce webhook bodies -> canonical payloads (the shapes webhooks.insales.payloads returns).

A webhook body is the REST API's resource as it stands. An order maps to a snapshot: the canonical
order (its lines as bought: WooCommerce keeps a refund apart from the order's lines, in ``refunds``),
its state and whether it was paid. An order that lists refunds is marked ``unread``: the refunds'
lines are read once from the REST API before the batch (plugin.platforms.woocommerce.adapter,
``complete``), which lowers the lines by what came back and drops ``unread``. Schemas declare only
what the engine reads; money comes as strings (a JSON number is read too).
"""

from __future__ import annotations

import re
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, fields, validate

from plugin.core.kinds import OrderState
from webhooks.mapped import MAX_AMOUNT, MAX_ID, MAX_QUANTITY
from webhooks.shopify.payloads import address_key, digest

#: The plugin's hold codes (plugin.spend.redemption.new_code). WooCommerce lowercases every coupon
#: code it stores (wc_format_coupon_code), so they are matched in any case and carried uppercased.
CODE = re.compile(r"LOY-[A-Z0-9]{10}", re.IGNORECASE)
#: WooCommerce's order statuses the plugin tells apart (its own words, not the plugin's states).
PAID_STATUSES = ("processing", "completed", "refunded")
WC_CANCELLED = "cancelled"


class _Payload(Schema):
    class Meta:
        unknown = EXCLUDE


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _optional_id() -> fields.Integer:
    """WooCommerce writes 0 for "none" (a guest's customer_id, a line's variation_id)."""
    return fields.Integer(strict=True, allow_none=True, load_default=None,
                          validate=validate.Range(min=0, max=MAX_ID))


def _money(**kwargs) -> fields.Decimal:
    if not kwargs.get("required"):
        kwargs.setdefault("load_default", None)
    kwargs.setdefault("allow_none", True)
    return fields.Decimal(allow_nan=False,
                          validate=validate.Range(min=-MAX_AMOUNT, max=MAX_AMOUNT), **kwargs)


def _text(length: int = 255) -> fields.String:
    return fields.String(allow_none=True, load_default=None, validate=validate.Length(max=length))


class Billing(_Payload):
    first_name = _text()
    last_name = _text()
    email = _text(320)
    phone = _text()


class Shipping(_Payload):
    address_1 = _text()
    address_2 = _text()
    postcode = _text(64)
    country = _text(64)


class Line(_Payload):
    id = _id(required=True)
    product_id = _optional_id()
    variation_id = _optional_id()
    sku = _text()
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=MAX_QUANTITY))
    total = _money(required=True, allow_none=False)  # after the order's discounts, before tax


class Coupon(_Payload):
    code = fields.String(required=True, validate=validate.Length(max=255))
    discount = _money()


class RefundEntry(_Payload):
    id = _id(required=True)
    total = _money()  # negative: what went back


class OrderBody(_Payload):
    id = _id(required=True)
    status = fields.String(required=True, validate=validate.Length(max=64))
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z]{3}$"))
    date_created_gmt = _text(64)
    date_modified_gmt = _text(64)
    date_paid_gmt = _text(64)
    customer_id = _optional_id()
    customer_ip_address = _text()
    billing = fields.Nested(Billing, allow_none=True, load_default=None)
    shipping = fields.Nested(Shipping, allow_none=True, load_default=None)
    line_items = fields.List(fields.Nested(Line), required=True)
    coupon_lines = fields.List(fields.Nested(Coupon), allow_none=True, load_default=list)
    refunds = fields.List(fields.Nested(RefundEntry), allow_none=True, load_default=list)
    shipping_total = _money()
    total_tax = _money()
    total = _money()


class CustomerBody(_Payload):
    id = _id(required=True)
    email = _text(320)
    first_name = _text()
    last_name = _text()
    billing = fields.Nested(Billing, allow_none=True, load_default=None)


class Deleted(_Payload):
    id = _id(required=True)


ORDER, CUSTOMER, DELETED = OrderBody(), CustomerBody(), Deleted()


def codes(coupons: list[dict] | None) -> tuple[list[str], dict[str, str]]:
    """The plugin's codes among the order's coupons (uppercased), with the amount each took."""
    found, amounts = [], {}
    for coupon in coupons or []:
        match = CODE.fullmatch(coupon["code"].strip())
        if match is None:
            continue
        code = match.group(0).upper()
        if code not in found:
            found.append(code)
            if coupon["discount"] is not None:
                amounts[code] = str(coupon["discount"])
    return found, amounts


def state(status: str) -> str:
    """processing, completed (and refunded: it was paid) are paid; cancelled is cancelled; pending,
    on-hold, failed, checkout-draft and any status a plugin adds are pending."""
    if status == WC_CANCELLED:
        return OrderState.CANCELLED
    return OrderState.PAID if status in PAID_STATUSES else OrderState.PENDING


def _customer(data: dict) -> dict | None:
    """The order's customer: none for a guest (customer_id 0), else its id and billing contacts."""
    if not data["customer_id"]:
        return None
    billing = data["billing"] or {}
    return {"id": str(data["customer_id"]), "email": billing.get("email") or None,
            "phone": billing.get("phone") or None, "first_name": billing.get("first_name") or None,
            "last_name": billing.get("last_name") or None}


def _id_text(value: int | None) -> str | None:
    return str(value) if value else None


def order(body: dict) -> dict:
    """The canonical order (webhooks.shopify.payloads.order's shape), its lines as bought."""
    return _read(body)[0]


def _read(body: dict) -> tuple[dict, dict]:
    data = ORDER.load(body)
    found, amounts = codes(data["coupon_lines"])
    billing, shipping = data["billing"] or {}, data["shipping"] or {}
    return {
        "order_id": str(data["id"]),
        "customer": _customer(data),
        "currency": data["currency"].upper(),
        "financial_status": data["status"],
        "fulfillment_status": None,
        "placed_at": data["date_created_gmt"],
        "updated_at": data["date_modified_gmt"],
        "shipping": str(data["shipping_total"] or Decimal(0)),
        "tax": str(data["total_tax"] or Decimal(0)),
        "discount_codes": found,
        "discount_amounts": amounts,
        "email": billing.get("email") or None,
        "phone": billing.get("phone") or None,
        "landing_site": None, "note_attributes": {},
        "ip_hash": digest(data["customer_ip_address"]),
        "address_hash": address_key({
            "address1": shipping.get("address_1"), "address2": shipping.get("address_2"),
            "zip": shipping.get("postcode"), "country_code": shipping.get("country")}),
        "lines": [
            {"line_id": str(line["id"]), "product_id": _id_text(line["product_id"]),
             "variant_id": _id_text(line["variation_id"]), "sku": line["sku"] or None, "vendor": None,
             "product_type": None, "tags": [], "on_sale": False, "quantity": line["quantity"],
             "amount": str(max(Decimal(0), line["total"] or Decimal(0))), "gift_card": False}
            for line in data["line_items"]
        ],
    }, data


def snapshot(body: dict) -> dict:
    """The order as it stands; ``refunds`` (their ids, the order's total) and ``unread`` when it
    lists any."""
    canonical, data = _read(body)
    status = data["status"]
    result = {"order": canonical, "state": state(status),
              "paid": status in PAID_STATUSES or bool(data["date_paid_gmt"]),
              "version": data["date_modified_gmt"] or ""}
    refunds = [str(refund["id"]) for refund in data["refunds"] or []]
    if refunds:  # what prepare reads: the refunds' ids, and the total a refund is a share of
        result["refunds"] = {"ids": refunds, "total": str(data["total"] or Decimal(0))}
        result["unread"] = f"refunds {', '.join(refunds[:10])} of order {data['id']} not read yet"
    return result


def deletion(body: dict) -> dict:
    """order.deleted (``{"id": N}``): the order's cancellation."""
    return {"order_id": str(DELETED.load(body)["id"])}


def customer(body: dict) -> dict:
    """customer.created: the canonical customer. WooCommerce core has no marketing consent flag,
    so the profile says nothing of consent."""
    data = CUSTOMER.load(body)
    billing = data["billing"] or {}
    return {"customer": {"id": str(data["id"]), "email": data["email"] or billing.get("email") or None,
                         "phone": billing.get("phone") or None,
                         "first_name": data["first_name"] or billing.get("first_name") or None,
                         "last_name": data["last_name"] or billing.get("last_name") or None,
                         "note": None, "tags": None, "address_hash": None}}
