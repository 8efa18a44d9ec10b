"""Widget games: the shopper's badges, challenges, quests and the opt-in leaderboard.

GET /games answers visitors too (nothing earned yet). POST /leaderboard {"display_name"} joins
the leaderboard under a name the shopper chose (never an email), DELETE /leaderboard leaves it.
"""

from __future__ import annotations

from flask import g, jsonify
from marshmallow import Schema, ValidationError, fields, validate

from plugin import customers
from plugin.core.db import write_transaction
from plugin.core.errors import Unauthorized
from plugin.core.limits import StrictSchema
from plugin.earn import games
from plugin.http.bodies import json_object
from plugin.program import versions
from widgets.api import bp


def _display_name(value: str) -> None:
    if "@" in value:
        raise ValidationError("choose a name, not an email address")
    if not value.strip() or not value.isprintable():
        raise ValidationError("must be printable text")


class JoinRequest(StrictSchema):
    display_name = fields.String(required=True, validate=[validate.Length(min=1, max=40), _display_name])


class BadgeOut(Schema):
    id = fields.String()
    title = fields.Dict()
    when = fields.String()
    points = fields.Integer()
    earned = fields.Boolean()
    earned_at = fields.DateTime()


class ChallengeOut(Schema):
    id = fields.String()
    title = fields.Dict()
    goal = fields.String()
    target = fields.Decimal(as_string=True)
    progress = fields.Decimal(as_string=True)
    points = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    status = fields.String()
    completed_at = fields.DateTime()


class StepOut(Schema):
    goal = fields.String()
    name = fields.String()


class QuestOut(Schema):
    id = fields.String()
    title = fields.Dict()
    points = fields.Integer()
    steps = fields.List(fields.Nested(StepOut))
    step = fields.Integer()
    next = fields.Nested(StepOut, allow_none=True)
    completed_at = fields.DateTime()


class RankOut(Schema):
    rank = fields.Integer()
    display_name = fields.String()
    points = fields.Integer()


class MeOut(Schema):
    opted_in = fields.Boolean()
    display_name = fields.String()


class LeaderboardOut(Schema):
    window = fields.String()
    size = fields.Integer()
    entries = fields.List(fields.Nested(RankOut))
    me = fields.Nested(MeOut, allow_none=True)


class GamesOut(Schema):
    signed_in = fields.Boolean()
    badges = fields.List(fields.Nested(BadgeOut))
    challenges = fields.List(fields.Nested(ChallengeOut))
    quests = fields.List(fields.Nested(QuestOut))
    leaderboard = fields.Nested(LeaderboardOut, allow_none=True)


JOIN_IN, GAMES_OUT, ME_OUT = JoinRequest(), GamesOut(), MeOut()


def _me(entry) -> dict:
    return {"opted_in": entry is not None, "display_name": entry.display_name if entry else None}


@bp.get("/games")
def games_view():
    shopper = g.shopper
    _, program = versions.current(shopper.shop.id)
    customer = shopper.customer()
    board = (program.get("games") or {}).get("leaderboard")
    leaderboard = None
    if board and board["enabled"]:
        leaderboard = {"window": board["window"], "size": board["size"],
                       "entries": games.leaderboard(shopper.shop.id, program),
                       "me": _me(games.entry_of(customer)) if shopper.signed_in else None}
    return jsonify(GAMES_OUT.dump({"signed_in": shopper.signed_in, **games.summary(customer, program),
                                   "leaderboard": leaderboard}))


def _signed_in() -> str:
    if not g.shopper.signed_in:
        raise Unauthorized("sign in to join the leaderboard")
    return g.shopper.customer_id


@bp.post("/leaderboard")
def leaderboard_join():
    """Join (or rename): the leaderboard shows only this name."""
    customer_id = _signed_in()
    data = json_object(JOIN_IN)
    shop = g.shopper.shop
    _, program = versions.current(shop.id)
    with write_transaction():
        entry = games.opt_in(customers.ensure(shop.id, customer_id), data["display_name"].strip(), program)
    return jsonify(ME_OUT.dump(_me(entry)))


@bp.delete("/leaderboard")
def leaderboard_leave():
    """Leave the leaderboard (always allowed); answers the new state."""
    customer_id = _signed_in()
    customer = customers.find(g.shopper.shop.id, customer_id)
    if customer is not None:
        with write_transaction():
            games.opt_out(customer)
    return jsonify(ME_OUT.dump(_me(None)))
