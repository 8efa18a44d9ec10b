"""Widget endpoints for inviting friends: the shopper's code, link and share texts; a claim."""

from __future__ import annotations

from flask import g, jsonify
from marshmallow import fields, validate

from plugin import customers
from plugin.core.db import write_transaction
from plugin.core.errors import Unauthorized
from plugin.core.limits import StrictSchema
from plugin.earn import referrals
from plugin.http.bodies import json_object
from plugin.program import versions
from widgets.api import bp


class ClaimRequest(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9]{4,32}$"))


CLAIM = ClaimRequest()


def _signed_in():
    if not g.shopper.signed_in:
        raise Unauthorized("sign in to invite friends")
    return g.shopper


@bp.get("/referral")
def referral():
    """The shopper's code and link with share texts (ru/en); off when the program has no referrals."""
    shopper = _signed_in()
    _, program = versions.current(shopper.shop.id)
    rule = program.get("referrals")
    if not rule:
        return jsonify(enabled=False)
    with write_transaction():  # the code is made on first use: the customer row comes with it
        code = referrals.code_for(customers.ensure(shopper.shop.id, shopper.customer_id)).code
    return jsonify(enabled=True, code=code, link=referrals.link_for(shopper.shop, code),
                   share=referrals.share_texts(shopper.shop, program, code),
                   friend_points=rule["friend_points"], referrer_points=rule["referrer_points"],
                   friend_reward_on=rule["friend_reward_on"], point_type=rule["point_type"])


@bp.post("/referral/claim")
def referral_claim():
    """A new shopper names the code they were invited with (attribution on the server)."""
    shopper = _signed_in()
    data = json_object(CLAIM)
    with write_transaction():
        ref = referrals.claim(customers.ensure(shopper.shop.id, shopper.customer_id), data["code"])
    return jsonify(status=ref.status, attributed_via=ref.attributed_via), 201
