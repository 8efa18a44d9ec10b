"""The document's optional features: offers, tiers, transfers, games and referrals."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError, fields, validate, validates_schema

from plugin.core import limits
from plugin.program.document import base


class CategoryTemplate(limits.StrictSchema):
    """The store's own offer for shoppers who often buy in a category ("10% off in Coffee")."""

    category = fields.String(required=True)
    title = base.texts(required=True)
    text = base.texts(required=True)


class Offers(limits.StrictSchema):
    """What the widget may offer a shopper besides their points (plugin.spend.offers builds them)."""

    category_templates = fields.List(fields.Nested(CategoryTemplate), load_default=list)
    free_shipping_threshold = base.amount(load_default=None, allow_none=True)
    birthday_month = fields.Boolean(load_default=True)
    recommendations = fields.Integer(strict=True, validate=validate.Range(min=0, max=20),
                                     load_default=3)


TIER_METRICS = ("points_earned", "amount_spent", "orders")
TIER_WINDOWS = ("lifetime", "rolling_12_months", "calendar_year")


class Tier(limits.StrictSchema):
    """A level entered at ``threshold`` of the metric; a hidden tier is only assigned by the store."""

    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_.-]{1,64}$"))
    title = base.texts(load_default=dict)
    threshold = base.amount(required=True)
    earn_multiplier = limits.multiplier(load_default=Decimal(1))
    discount_percent = base.amount(load_default=Decimal(0), validate=validate.Range(min=0, max=100))
    free_shipping_threshold = base.amount(load_default=None, allow_none=True)
    entry_bonus = base.points(load_default=0)
    hidden = fields.Boolean(load_default=False)


class Tiers(limits.StrictSchema):
    """Tiers by a metric over a window (plugin.tiers): up at once, down after the grace period."""

    metric = fields.String(required=True, validate=validate.OneOf(TIER_METRICS))
    window = fields.String(load_default="lifetime", validate=validate.OneOf(TIER_WINDOWS))
    grace_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=3650), load_default=30)
    tiers = fields.List(fields.Nested(Tier), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _ladder(self, data, **kwargs):
        """Ids are unique; visible thresholds ascend from 0 (a hidden tier's threshold is unused)."""
        errors: dict = {}
        ids = [tier["id"] for tier in data["tiers"]]
        visible = [(n, tier) for n, tier in enumerate(data["tiers"]) if not tier["hidden"]]
        for n, tier_id in enumerate(ids):
            if ids.index(tier_id) != n:
                errors.setdefault(n, {}).setdefault("id", []).append(f"{tier_id!r} is used twice")
        if not visible:
            errors.setdefault(0, {}).setdefault("hidden", []).append("at least one tier must be visible")
        elif visible[0][1]["threshold"] != 0:
            errors.setdefault(visible[0][0], {}).setdefault("threshold", []).append(
                "the first tier starts at 0")
        for (_, a), (m, b) in zip(visible, visible[1:], strict=False):
            if b["threshold"] <= a["threshold"]:
                errors.setdefault(m, {}).setdefault("threshold", []).append("thresholds must ascend")
        if errors:
            raise ValidationError(errors, "tiers")


class Widget(limits.StrictSchema):
    """How the shopper's widget shows itself: ``launcher`` puts a floating button on every page
    that loads the script (the store embeds it once), opening balance, tier and rewards."""

    launcher = fields.Boolean(load_default=False)


class Transfers(limits.StrictSchema):
    """Shoppers giving points to shoppers of the same store (plugin.ledger.transfers); off by default."""

    enabled = fields.Boolean(load_default=False)
    min_points = base.points(load_default=1, validate=validate.Range(min=1, max=10**12))
    max_per_transfer = base.points(load_default=None, allow_none=True,
                                   validate=validate.Range(min=1, max=10**12))
    max_per_day = base.points(load_default=None, allow_none=True, validate=validate.Range(min=1, max=10**12))

    @validates_schema
    def _limits(self, data, **kwargs):
        for name in ("max_per_transfer", "max_per_day"):
            if data.get(name) is not None and data[name] < data["min_points"]:
                raise ValidationError("must not be below min_points", name)


GAME_ID = r"^[a-z0-9_.-]{1,64}$"
BADGE_WHEN = ("first_purchase", "first_review", "orders", "tier_reached", "custom")
CHALLENGE_GOALS = ("spend", "orders", "reviews")
QUEST_GOALS = ("order", "review", "activity")



class GameBadge(limits.StrictSchema):
    """A badge (plugin.earn.games): earned on a fact of the shopper's history, or given by the store."""

    id = fields.String(required=True, validate=validate.Regexp(GAME_ID))
    title = base.texts(required=True)
    when = fields.String(required=True, validate=validate.OneOf(BADGE_WHEN))
    count = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1, max=10**6))
    tier = fields.String(load_default=None)
    points = base.points(load_default=0)

    @validates_schema
    def _complete(self, data, **kwargs):
        need = {"orders": "count", "tier_reached": "tier"}.get(data["when"])
        if need and data.get(need) is None:
            raise ValidationError(f"required when 'when' is {data['when']!r}", need)


class Challenge(limits.StrictSchema):
    """A goal within a window: "spend 3000 this week -> 300 points"."""

    id = fields.String(required=True, validate=validate.Regexp(GAME_ID))
    title = base.texts(required=True)
    goal = fields.String(required=True, validate=validate.OneOf(CHALLENGE_GOALS))
    target = base.amount(required=True, validate=validate.Range(min=Decimal("0.0001")))
    starts_at = limits.Moment(required=True)
    ends_at = limits.Moment(required=True)
    points = base.points(load_default=0)

    @validates_schema
    def _window(self, data, **kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("must be after starts_at", "ends_at")


class QuestStep(limits.StrictSchema):
    goal = fields.String(required=True, validate=validate.OneOf(QUEST_GOALS))
    name = fields.String(load_default=None, validate=validate.Regexp(GAME_ID))  # an activity's name

    @validates_schema
    def _name(self, data, **kwargs):
        if data.get("name") is not None and data["goal"] != "activity":
            raise ValidationError("only an activity step names an action", "name")


class Quest(limits.StrictSchema):
    """Ordered steps with a final reward: a step counts only after the previous one."""

    id = fields.String(required=True, validate=validate.Regexp(GAME_ID))
    title = base.texts(required=True)
    steps = fields.List(fields.Nested(QuestStep), required=True, validate=validate.Length(min=1, max=20))
    points = base.points(load_default=0)


class Leaderboard(limits.StrictSchema):
    """An opt-in leaderboard: only shoppers who chose a display name appear, under that name."""

    enabled = fields.Boolean(load_default=False)
    metric = fields.String(load_default="points_earned", validate=validate.OneOf(("points_earned",)))
    window = fields.String(load_default="month", validate=validate.OneOf(("month", "lifetime")))
    size = fields.Integer(strict=True, load_default=10, validate=validate.Range(min=1, max=100))


class Games(limits.StrictSchema):
    badges = fields.List(fields.Nested(GameBadge), load_default=list)
    challenges = fields.List(fields.Nested(Challenge), load_default=list)
    quests = fields.List(fields.Nested(Quest), load_default=list)
    leaderboard = fields.Nested(Leaderboard, load_default=None, allow_none=True)

    @validates_schema
    def _ids(self, data, **kwargs):
        for section in ("badges", "challenges", "quests"):
            base.unique_ids(data.get(section) or [], section)


REFERRAL_REWARD_ON = ("signup", "first_order")


class Referrals(limits.StrictSchema):
    """Invite a friend (plugin.earn.referrals): the friend's welcome reward and the referrer's, paid
    once the friend's first order is past ``pending_days``; risky referrals wait for the owner."""

    referrer_points = base.points(required=True)
    friend_points = base.points(required=True)
    friend_reward_on = fields.String(load_default="first_order", validate=validate.OneOf(REFERRAL_REWARD_ON))
    point_type = fields.String(load_default="regular")
    pending_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365), load_default=14)
    max_per_week = fields.Integer(strict=True, validate=validate.Range(min=1, max=10000), load_default=10)
    block_score = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000), load_default=50)
