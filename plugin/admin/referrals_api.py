"""The owner's referral review: list referrals (blocked ones first to look at) and approve one."""

from __future__ import annotations

from flask import g, jsonify, request
from marshmallow import Schema, fields, validate

from plugin.admin.api import Page, PageArgs, page
from plugin.admin.openapi import documented
from plugin.core.models import Customer, Referral
from plugin.core.status import ReferralStatus
from plugin.earn import referrals
from plugin.http.routes import Routes

routes = Routes()


class ReferralArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(tuple(ReferralStatus)))


class ReferralOut(Schema):
    id = fields.Integer()
    code = fields.String()
    attributed_via = fields.String()
    status = fields.String()
    risk_score = fields.Integer()
    reasons = fields.List(fields.String())
    friend_order_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class ReferralRow(ReferralOut):
    referrer = fields.String(required=True, metadata={"description": "the referrer's platform id"})
    friend = fields.String(required=True, metadata={"description": "the friend's platform id"})


class ReferralPage(Page):
    items = fields.List(fields.Nested(ReferralRow), required=True)


class ApprovedOut(Schema):
    referral = fields.Nested(ReferralRow, required=True)


ARGS, MANY = ReferralArgs(), ReferralOut(many=True)


def _dump(rows: list[Referral]) -> list[dict]:
    """Referrals with the referrer's and friend's platform ids (one query for the whole page)."""
    ids = {r.referrer_id for r in rows} | {r.friend_id for r in rows}
    platform = dict(Customer.select(Customer.id, Customer.platform_id).where(Customer.id.in_(list(ids)))
                    .tuples()) if ids else {}
    return [{**item, "referrer": platform[row.referrer_id], "friend": platform[row.friend_id]}
            for item, row in zip(MANY.dump(rows), rows, strict=True)]


@routes.get("/referrals")
@documented("Referrals, newest first (filter by status to review blocked ones)", query=ReferralArgs,
            response=ReferralPage)
def referral_list():
    args = ARGS.load(request.args)
    rows = referrals.page(g.shop.id, status=args["status"], before=args["before"], limit=args["limit"])
    return jsonify(page(rows, args["limit"], _dump))


@routes.post("/referrals/<int:referral_id>/approve")
@documented("Approve a referral", response=ApprovedOut, errors=(422,))
def referral_approve(referral_id: int):
    """Pays the friend now and the referrer once the friend's order is past the window; idempotent."""
    return jsonify(referral=_dump([referrals.approve(g.shop.id, referral_id, actor="owner")])[0])
