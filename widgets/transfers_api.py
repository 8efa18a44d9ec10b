"""Widget endpoint for giving points to another shopper of the same store."""

from __future__ import annotations

from flask import g, jsonify, request
from marshmallow import fields, validate

from plugin.core.errors import LoyaltyError, Unauthorized
from plugin.core.limits import StrictSchema
from plugin.http.bodies import json_object
from plugin.http.idempotency import for_shopper, idempotent
from plugin.ledger import transfers
from widgets.api import bp
from widgets.redeem_api import IDEMPOTENCY


class TransferRequest(StrictSchema):
    to = fields.String(required=True, validate=validate.Length(min=1, max=320))  # email or customer id
    points = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=10**9))
    point_type = fields.String(load_default="regular", validate=validate.Length(min=1, max=32))


TRANSFER = TransferRequest()


@bp.post("/transfers")
@idempotent(for_shopper)
def transfer():
    """Give points; the same Idempotency-Key answers a retry with the first transfer (200)."""
    shopper = g.shopper
    if not shopper.signed_in:
        raise Unauthorized("sign in to give points")
    key = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY.match(key):
        raise LoyaltyError("an Idempotency-Key header (8 to 128 letters, digits, _.:-) is required")
    data = json_object(TRANSFER)
    done = transfers.send(shopper.shop.id, shopper.customer_id, data["to"], data["point_type"],
                          data["points"], key=key)
    body = {"to": data["to"], "points": done.points, "point_type": done.point_type,
            "left_today": done.left_today}
    return jsonify(transfer=body), 200 if done.replayed else 201
