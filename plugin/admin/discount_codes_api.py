"""What a redemption code is worth, for a store whose checkout applies the plugin's own codes
(a custom store): the checkout asks before it takes the money off, and the paid order that
carries the code commits it (plugin.spend.redemption.commit)."""

from __future__ import annotations

from flask import g, jsonify
from marshmallow import Schema, fields, validate

from plugin.admin.openapi import DECIMAL, documented
from plugin.core import clock
from plugin.core.errors import NotFound
from plugin.core.models import Customer, Hold
from plugin.core.status import HoldStatus
from plugin.http.routes import Routes

routes = Routes()

MAX_CODE = 64  # Hold.code's column


class DiscountCodeOut(Schema):
    code = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(tuple(HoldStatus)), metadata={
        "description": "held: waiting for its order; committed: an order used it; released: its points "
                       "went back (timed out, cancelled); releasing: on its way to released"})
    valid = fields.Boolean(required=True, metadata={
        "description": "whether the checkout may take the amount off now (held and not expired)"})
    amount = fields.String(required=True, validate=validate.Regexp(DECIMAL),
                           metadata={"description": "the money off, in the shop's currency"})
    currency = fields.String(required=True, allow_none=True)
    point_type = fields.String(required=True)
    points = fields.Integer(required=True)
    customer_id = fields.String(required=True, metadata={"description": "the store's customer id"})
    expires_at = fields.DateTime(required=True, metadata={"description": "when a held code is released"})
    order_id = fields.String(required=True, allow_none=True,
                             metadata={"description": "the order that used it, once committed"})


OUT = DiscountCodeOut()


@routes.get("/discount-codes/<code>")
@documented("What a redemption code is worth and whether the checkout may apply it", response=DiscountCodeOut)
def discount_code(code: str):
    """404 for a code this shop never issued. Apply the amount only while ``valid``; the paid order
    that lists the code in ``discount_codes`` commits it (one used after release is charged again)."""
    wanted = code.strip().upper()
    found = (Hold.select(Hold, Customer.platform_id.alias("customer_platform_id")).join(Customer)
             .where((Hold.shop == g.shop.id) & (Hold.code == wanted)).objects().first()
             if 0 < len(wanted) <= MAX_CODE else None)
    if found is None:
        raise NotFound("no such discount code")
    valid = found.status == HoldStatus.HELD and found.expires_at > clock.now()
    return jsonify(OUT.dump({
        "code": found.code, "status": found.status, "valid": valid, "amount": str(found.amount),
        "currency": found.currency, "point_type": found.point_type, "points": found.points,
        "customer_id": found.customer_platform_id, "expires_at": found.expires_at,
        "order_id": found.order_id}))
