"""Badges over the admin API: the store gives a custom badge, and reads a customer's badges."""

from __future__ import annotations

from flask import g, jsonify
from marshmallow import Schema, fields, validate

from plugin import customers
from plugin.admin.api import bp
from plugin.admin.openapi import documented
from plugin.core.db import write_transaction
from plugin.core.limits import StrictSchema
from plugin.earn import games
from plugin.http.bodies import json_object


class BadgeIn(StrictSchema):
    badge = fields.String(required=True, validate=validate.Length(min=1, max=64))


class BadgeOut(Schema):
    badge = fields.String(required=True)
    earned_at = fields.DateTime(required=True)


class BadgeGiven(BadgeOut):
    points = fields.Integer(required=True)


class BadgeList(Schema):
    items = fields.List(fields.Nested(BadgeOut), required=True)


BADGE_IN = BadgeIn()


@bp.post("/customers/<platform_id>/badges")
@documented("Give a customer a custom badge", body=BadgeIn, response=BadgeGiven, status=201, also=(200,))
def badge_give(platform_id: str):
    """201 when the custom badge is given now (with its points), 200 when the customer had it."""
    data = json_object(BADGE_IN)
    with write_transaction():
        answer, given = games.award_custom(customers.require(g.shop.id, platform_id), data["badge"])
    return jsonify({**answer, "earned_at": answer["earned_at"].isoformat()}), 201 if given else 200


@bp.get("/customers/<platform_id>/badges")
@documented("A customer's badges, in the order earned", response=BadgeList)
def badge_list(platform_id: str):
    earned = games.earned_badges(customers.require(g.shop.id, platform_id))
    return jsonify(items=[{"badge": badge_id, "earned_at": at.isoformat()}
                          for badge_id, at in sorted(earned.items(), key=lambda item: item[1])])
