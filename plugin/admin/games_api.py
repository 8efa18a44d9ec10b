"""Badges over the admin API: the store gives a custom badge, and reads a customer's badges."""

from __future__ import annotations

from flask import jsonify
from marshmallow import RAISE, Schema, fields, validate

from plugin import games
from plugin.admin.api import _customer, bp
from plugin.bodies import json_object
from plugin.db import write_transaction


class BadgeIn(Schema):
    class Meta:
        unknown = RAISE

    badge = fields.String(required=True, validate=validate.Length(min=1, max=64))


BADGE_IN = BadgeIn()


@bp.post("/customers/<platform_id>/badges")
def badge_give(platform_id: str):
    """201 when the custom badge is given now (with its points), 200 when the customer had it."""
    data = json_object(BADGE_IN)
    with write_transaction():
        answer, given = games.award_custom(_customer(platform_id), data["badge"])
    return jsonify({**answer, "earned_at": answer["earned_at"].isoformat()}), 201 if given else 200


@bp.get("/customers/<platform_id>/badges")
def badge_list(platform_id: str):
    earned = games.earned_badges(_customer(platform_id))
    return jsonify(items=[{"badge": badge_id, "earned_at": at.isoformat()}
                          for badge_id, at in sorted(earned.items(), key=lambda item: item[1])])
