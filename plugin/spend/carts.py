"""A cart as the admin preview and the widget send it, and its canonical order lines."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, validate

from plugin.core.limits import StrictSchema

# A bound keeps the earning arithmetic within Decimal's 28 digits (1e308 prices were a 500).
MAX_AMOUNT = Decimal(10**9)
_money = {"allow_nan": False, "validate": validate.Range(min=0, max=MAX_AMOUNT)}


class CartLine(StrictSchema):
    line_id = fields.String(load_default=None)
    product_id = fields.String(load_default=None, allow_none=True)
    sku = fields.String(load_default=None, allow_none=True)
    vendor = fields.String(load_default=None, allow_none=True)
    product_type = fields.String(load_default=None, allow_none=True)
    tags = fields.List(fields.String(), load_default=list)
    quantity = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=100_000))
    price = fields.Decimal(required=True, **_money)
    discount = fields.Decimal(load_default=Decimal(0), **_money)
    on_sale = fields.Boolean(load_default=False)
    gift_card = fields.Boolean(load_default=False)


class Cart(StrictSchema):
    customer_id = fields.String(load_default=None, allow_none=True)
    currency = fields.String(load_default=None, allow_none=True, validate=validate.Length(equal=3))
    lines = fields.List(fields.Nested(CartLine), required=True, validate=validate.Length(min=1, max=500))
    shipping = fields.Decimal(load_default=Decimal(0), **_money)
    tax = fields.Decimal(load_default=Decimal(0), **_money)


CART = Cart()


def as_order(cart: dict) -> dict:
    """The cart in the canonical order shape the earning engine and the caps read."""
    return {
        "shipping": str(cart["shipping"]), "tax": str(cart["tax"]), "currency": cart.get("currency"),
        "lines": [{**line, "line_id": line["line_id"] or str(n),
                   "amount": str(max(line["price"] * line["quantity"] - line["discount"], Decimal(0)))}
                  for n, line in enumerate(cart["lines"], 1)],
    }
