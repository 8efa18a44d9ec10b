"""The program document: the store's rules as JSON, validated by marshmallow.

Every error names its field by path (``earning.bands.1.points``), and cross references (a point
type or category that does not exist) are reported on the field that makes them.
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError, fields, validate, validates_schema

from plugin.core import limits

ROUNDING = ("down", "nearest", "up")
REVERSAL_POLICIES = ("pending_only", "clamp", "negative")
STACKING = ("highest", "multiply", "add")
EXPIRY_KINDS = ("never", "days", "end_of_month", "end_of_year")
ACTIVITY_LIMITS = ("once", "per_day", "per_week", "per_month", "per_year", "unlimited")
LANGUAGES = ("en", "ru")  # the languages of the widget's texts


_amount = limits.amount  # 0..10^12: beyond it Decimal's 28 digits overflow in the earning arithmetic


def _points(**kwargs) -> fields.Integer:
    kwargs.setdefault("validate", validate.Range(min=0, max=10**12))
    return fields.Integer(strict=True, **kwargs)


class Expiry(limits.StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(EXPIRY_KINDS))
    days = fields.Integer(strict=True, validate=validate.Range(min=1, max=36500), load_default=None)

    @validates_schema
    def _days(self, data, **kwargs):
        if data["kind"] == "days" and not data.get("days"):
            raise ValidationError("required when kind is 'days'", "days")


class Cap(limits.StrictSchema):
    percent = _amount(required=True, validate=validate.Range(min=0, max=100))
    category = fields.String(load_default=None)


class PointType(limits.StrictSchema):
    label = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    expiry = fields.Nested(Expiry, load_default=lambda: {"kind": "never", "days": None})
    redemption_cap = fields.Nested(Cap, load_default=None, allow_none=True)


class Category(limits.StrictSchema):
    """A category is matched from what an order line carries: no API call is needed."""

    product_types = fields.List(fields.String(), load_default=list)
    vendors = fields.List(fields.String(), load_default=list)
    sku_prefixes = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    tags = fields.List(fields.String(), load_default=list)
    product_ids = fields.List(fields.String(), load_default=list)


class Band(limits.StrictSchema):
    min = _amount(required=True, data_key="from")
    max = _amount(load_default=None, allow_none=True, data_key="to")
    points = _points(required=True)


class Rate(limits.StrictSchema):
    """A percentage, N points per M of currency, or a band table by eligible amount."""

    kind = fields.String(required=True, validate=validate.OneOf(("percent", "per_amount", "bands")))
    percent = _amount(load_default=None)
    points = _points(load_default=None)
    per = _amount(load_default=None, validate=validate.Range(min=Decimal("0.0001")))
    bands = fields.List(fields.Nested(Band), load_default=None)

    @validates_schema
    def _complete(self, data, **kwargs):
        need = {"percent": ("percent",), "per_amount": ("points", "per"), "bands": ("bands",)}
        for name in need[data["kind"]]:
            if data.get(name) in (None, []):
                raise ValidationError(f"required when kind is {data['kind']!r}", name)
        bands = data.get("bands") or []
        for n, (a, b) in enumerate(zip(bands, bands[1:], strict=False)):
            if a["max"] is None or b["min"] < a["max"]:
                raise ValidationError({n + 1: {"from": ["bands must ascend without overlapping"]}},
                                      "bands")


class CategoryRule(limits.StrictSchema):
    category = fields.String(required=True)
    rate = fields.Nested(Rate, load_default=None)
    multiplier = limits.multiplier(load_default=None)

    @validates_schema
    def _something(self, data, **kwargs):
        if data.get("rate") is None and data.get("multiplier") is None:
            raise ValidationError("give a rate or a multiplier", "rate")
        if data.get("rate") and data["rate"]["kind"] == "bands":
            raise ValidationError("a category rate is a percent or per_amount; bands apply to orders",
                                  "rate")


class Limits(limits.StrictSchema):
    per_day = _points(load_default=None, allow_none=True)
    per_month = _points(load_default=None, allow_none=True)


class Earning(limits.StrictSchema):
    point_type = fields.String(load_default="regular")
    rate = fields.Nested(Rate, required=True)
    rounding = fields.String(load_default="down", validate=validate.OneOf(ROUNDING))
    category_rules = fields.List(fields.Nested(CategoryRule), load_default=list)
    exclude_categories = fields.List(fields.String(), load_default=list)
    exclude_sale_items = fields.Boolean(load_default=False)
    include_shipping = fields.Boolean(load_default=False)
    include_tax = fields.Boolean(load_default=False)
    min_order = _amount(load_default=Decimal(0))
    first_order_min_points = _points(load_default=0)
    limits = fields.Nested(Limits, load_default=lambda: {"per_day": None, "per_month": None})
    pending_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365), load_default=0)


class Redemption(limits.StrictSchema):
    """How points pay: what one point is worth, and what they may never pay for."""

    point_value = _amount(load_default=Decimal(1), validate=validate.Range(min=Decimal("0.0001")))
    exclude_categories = fields.List(fields.String(), load_default=list)
    exclude_sale_items = fields.Boolean(load_default=False)
    hold_minutes = fields.Integer(strict=True, validate=validate.Range(min=1, max=7 * 24 * 60),
                                  load_default=30)


REWARD_KINDS = ("amount_off", "fixed_amount", "percentage", "free_shipping", "free_product", "coupon")


class Reward(limits.StrictSchema):
    """A catalog entry: what it costs in points and what discount it gives."""

    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_.-]{1,64}$"))
    kind = fields.String(required=True, validate=validate.OneOf(REWARD_KINDS))
    title = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    point_type = fields.String(load_default="regular")
    points = _points(required=True, validate=validate.Range(min=1, max=10**12))  # cost; a step for amount_off
    amount = _amount(load_default=None)
    percent = _amount(load_default=None, validate=validate.Range(min=Decimal("0.01"), max=100))
    product_id = fields.String(load_default=None)
    valid_days = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1, max=3650))
    min_order = _amount(load_default=Decimal(0))
    tiers = fields.List(fields.String(), load_default=list)  # only these tiers may redeem it; [] = all

    @validates_schema
    def _complete(self, data, **kwargs):
        need = {"fixed_amount": "amount", "coupon": "amount", "percentage": "percent",
                "free_product": "product_id"}.get(data["kind"])
        if need and data.get(need) is None:
            raise ValidationError(f"required for a {data['kind']} reward", need)
        if data["kind"] == "coupon" and not data.get("valid_days"):
            raise ValidationError("required for a coupon", "valid_days")


class Grant(limits.StrictSchema):
    points = _points(required=True)
    point_type = fields.String(load_default="regular")


class Reviews(Grant):
    monthly_cap = fields.Integer(strict=True, validate=validate.Range(min=1), load_default=None,
                                 allow_none=True)


class Activity(Grant):
    limit = fields.String(load_default="once", validate=validate.OneOf(ACTIVITY_LIMITS))


class Campaign(limits.StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_at = limits.Moment(required=True)
    ends_at = limits.Moment(required=True)
    multiplier = limits.multiplier(load_default=None)
    bonus = _points(load_default=0)
    categories = fields.List(fields.String(), load_default=list)
    customers = fields.List(fields.String(), load_default=list)

    @validates_schema
    def _window(self, data, **kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("must be after starts_at", "ends_at")
        if data.get("multiplier") is None and not data.get("bonus"):
            raise ValidationError("give a multiplier or a bonus", "multiplier")


def _texts(**kwargs) -> fields.Dict:
    """A text in the widget's languages: {"en": ..., "ru": ...}, at least one of them when it is
    required; an optional one may be {} (its default), so a stored document loads again."""
    return fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)),
                       values=fields.String(validate=validate.Length(min=1, max=500)),
                       validate=validate.Length(min=1 if kwargs.get("required") else 0), **kwargs)


class CategoryTemplate(limits.StrictSchema):
    """The store's own offer for shoppers who often buy in a category ("10% off in Coffee")."""

    category = fields.String(required=True)
    title = _texts(required=True)
    text = _texts(required=True)


class Offers(limits.StrictSchema):
    """What the widget may offer a shopper besides their points (plugin.spend.offers builds them)."""

    category_templates = fields.List(fields.Nested(CategoryTemplate), load_default=list)
    free_shipping_threshold = _amount(load_default=None, allow_none=True)
    birthday_month = fields.Boolean(load_default=True)
    recommendations = fields.Integer(strict=True, validate=validate.Range(min=0, max=20),
                                     load_default=3)


TIER_METRICS = ("points_earned", "amount_spent", "orders")
TIER_WINDOWS = ("lifetime", "rolling_12_months", "calendar_year")


class Tier(limits.StrictSchema):
    """A level entered at ``threshold`` of the metric; a hidden tier is only assigned by the store."""

    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_.-]{1,64}$"))
    title = _texts(load_default=dict)
    threshold = _amount(required=True)
    earn_multiplier = limits.multiplier(load_default=Decimal(1))
    discount_percent = _amount(load_default=Decimal(0), validate=validate.Range(min=0, max=100))
    free_shipping_threshold = _amount(load_default=None, allow_none=True)
    entry_bonus = _points(load_default=0)
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


class Transfers(limits.StrictSchema):
    """Shoppers giving points to shoppers of the same store (plugin.ledger.transfers); off by default."""

    enabled = fields.Boolean(load_default=False)
    min_points = _points(load_default=1, validate=validate.Range(min=1, max=10**12))
    max_per_transfer = _points(load_default=None, allow_none=True, validate=validate.Range(min=1, max=10**12))
    max_per_day = _points(load_default=None, allow_none=True, validate=validate.Range(min=1, max=10**12))

    @validates_schema
    def _limits(self, data, **kwargs):
        for name in ("max_per_transfer", "max_per_day"):
            if data.get(name) is not None and data[name] < data["min_points"]:
                raise ValidationError("must not be below min_points", name)


GAME_ID = r"^[a-z0-9_.-]{1,64}$"
BADGE_WHEN = ("first_purchase", "first_review", "orders", "tier_reached", "custom")
CHALLENGE_GOALS = ("spend", "orders", "reviews")
QUEST_GOALS = ("order", "review", "activity")


def _unique_ids(items: list[dict], section: str) -> None:
    ids = [item["id"] for item in items]
    errors = {n: {"id": [f"{item_id!r} is used twice"]}
              for n, item_id in enumerate(ids) if ids.index(item_id) != n}
    if errors:
        raise ValidationError(errors, section)


class GameBadge(limits.StrictSchema):
    """A badge (plugin.earn.games): earned on a fact of the shopper's history, or given by the store."""

    id = fields.String(required=True, validate=validate.Regexp(GAME_ID))
    title = _texts(required=True)
    when = fields.String(required=True, validate=validate.OneOf(BADGE_WHEN))
    count = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1, max=10**6))
    tier = fields.String(load_default=None)
    points = _points(load_default=0)

    @validates_schema
    def _complete(self, data, **kwargs):
        need = {"orders": "count", "tier_reached": "tier"}.get(data["when"])
        if need and data.get(need) is None:
            raise ValidationError(f"required when 'when' is {data['when']!r}", need)


class Challenge(limits.StrictSchema):
    """A goal within a window: "spend 3000 this week -> 300 points"."""

    id = fields.String(required=True, validate=validate.Regexp(GAME_ID))
    title = _texts(required=True)
    goal = fields.String(required=True, validate=validate.OneOf(CHALLENGE_GOALS))
    target = _amount(required=True, validate=validate.Range(min=Decimal("0.0001")))
    starts_at = limits.Moment(required=True)
    ends_at = limits.Moment(required=True)
    points = _points(load_default=0)

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
    title = _texts(required=True)
    steps = fields.List(fields.Nested(QuestStep), required=True, validate=validate.Length(min=1, max=20))
    points = _points(load_default=0)


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
            _unique_ids(data.get(section) or [], section)


REFERRAL_REWARD_ON = ("signup", "first_order")


class Referrals(limits.StrictSchema):
    """Invite a friend (plugin.earn.referrals): the friend's welcome reward and the referrer's, paid
    once the friend's first order is past ``pending_days``; risky referrals wait for the owner."""

    referrer_points = _points(required=True)
    friend_points = _points(required=True)
    friend_reward_on = fields.String(load_default="first_order", validate=validate.OneOf(REFERRAL_REWARD_ON))
    point_type = fields.String(load_default="regular")
    pending_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365), load_default=14)
    max_per_week = fields.Integer(strict=True, validate=validate.Range(min=1, max=10000), load_default=10)
    block_score = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000), load_default=50)


class ProgramDocument(limits.StrictSchema):
    currency = fields.String(load_default=None, allow_none=True, validate=validate.Length(equal=3))
    point_types = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=32)),
                              values=fields.Nested(PointType), required=True,
                              validate=validate.Length(min=1))
    categories = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)),
                             values=fields.Nested(Category), load_default=dict)
    earning = fields.Nested(Earning, required=True)
    reversal_policy = fields.String(load_default="clamp", validate=validate.OneOf(REVERSAL_POLICIES))
    redemption = fields.Nested(Redemption, load_default=lambda: {
        "point_value": Decimal(1), "exclude_categories": [], "exclude_sale_items": False,
        "hold_minutes": 30})
    signup = fields.Nested(Grant, load_default=None, allow_none=True)
    birthday = fields.Nested(Grant, load_default=None, allow_none=True)
    reviews = fields.Nested(Reviews, load_default=None, allow_none=True)
    activities = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z0-9_.-]{1,64}$")),
                             values=fields.Nested(Activity), load_default=dict)
    campaigns = fields.List(fields.Nested(Campaign), load_default=list)
    rewards = fields.List(fields.Nested(Reward), load_default=list)
    campaign_stacking = fields.String(load_default="highest", validate=validate.OneOf(STACKING))
    expiry_warning_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365),
                                         load_default=14)
    # the longest a customer token the store's backend signs may live (widgets.identity)
    customer_token_max_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=365),
                                             load_default=30)
    offers = fields.Nested(Offers, load_default=None, allow_none=True)
    games = fields.Nested(Games, load_default=None, allow_none=True)
    transfers = fields.Nested(Transfers, load_default=None, allow_none=True)
    tiers = fields.Nested(Tiers, load_default=None, allow_none=True)
    referrals = fields.Nested(Referrals, load_default=None, allow_none=True)

    @validates_schema
    def _references(self, data, **kwargs):
        """Point types and categories named anywhere must be defined; errors name the field."""
        types, cats, errors = data["point_types"], data.get("categories") or {}, {}

        def need(value, known, path, what):
            if value is not None and value not in known:
                node = errors
                for key in path[:-1]:
                    node = node.setdefault(key, {})
                node.setdefault(path[-1], []).append(f"unknown {what} {value!r}")

        earning = data["earning"]
        need(earning["point_type"], types, ["earning", "point_type"], "point type")
        for n, rule in enumerate(earning["category_rules"]):
            need(rule["category"], cats, ["earning", "category_rules", n, "category"], "category")
        for n, name in enumerate(earning["exclude_categories"]):
            need(name, cats, ["earning", "exclude_categories", n], "category")
        for section in ("signup", "birthday", "reviews", "referrals"):
            if data.get(section):
                need(data[section]["point_type"], types, [section, "point_type"], "point type")
        for name, activity in (data.get("activities") or {}).items():
            need(activity["point_type"], types, ["activities", name, "point_type"], "point type")
        for name, point_type in types.items():
            cap = point_type.get("redemption_cap")
            if cap:
                need(cap["category"], cats, ["point_types", name, "redemption_cap", "category"],
                     "category")
        for n, reward in enumerate(data.get("rewards") or []):
            need(reward["point_type"], types, ["rewards", n, "point_type"], "point type")
        ids = [reward["id"] for reward in data.get("rewards") or []]
        for n, reward_id in enumerate(ids):
            if ids.index(reward_id) != n:
                errors.setdefault("rewards", {}).setdefault(n, {}).setdefault("id", []).append(
                    f"{reward_id!r} is used twice")
        for n, name in enumerate(data["redemption"]["exclude_categories"]):
            need(name, cats, ["redemption", "exclude_categories", n], "category")
        for n, campaign in enumerate(data.get("campaigns") or []):
            for m, name in enumerate(campaign["categories"]):
                need(name, cats, ["campaigns", n, "categories", m], "category")
        templated = set()
        for n, template in enumerate((data.get("offers") or {}).get("category_templates") or []):
            need(template["category"], cats, ["offers", "category_templates", n, "category"],
                 "category")
            if template["category"] in templated:
                errors.setdefault("offers", {}).setdefault("category_templates", {}).setdefault(
                    n, {}).setdefault("category", []).append("this category has a template already")
            templated.add(template["category"])
        if errors:
            raise ValidationError(errors)


    @validates_schema
    def _game_references(self, data, **kwargs):
        """A tier_reached badge names one of the program's tiers, an activity step its action."""
        games, errors = data.get("games") or {}, {}
        tiers = {tier["id"] for tier in (data.get("tiers") or {}).get("tiers") or []}
        for n, badge in enumerate(games.get("badges") or []):
            if badge["when"] == "tier_reached" and badge["tier"] not in tiers:
                errors.setdefault("badges", {})[n] = {"tier": [f"unknown tier {badge['tier']!r}"]}
        for n, quest in enumerate(games.get("quests") or []):
            for m, step in enumerate(quest["steps"]):
                if step.get("name") is not None and step["name"] not in (data.get("activities") or {}):
                    errors.setdefault("quests", {}).setdefault(n, {}).setdefault("steps", {})[m] = {
                        "name": [f"unknown action {step['name']!r}"]}
        if errors:
            raise ValidationError({"games": errors})

    @validates_schema
    def _reward_tiers(self, data, **kwargs):
        """A tier-only reward names tiers the program has."""
        tiers = {tier["id"] for tier in (data.get("tiers") or {}).get("tiers") or []}
        errors = {n: {"tiers": [f"unknown tier {t!r}" for t in reward["tiers"] if t not in tiers]}
                  for n, reward in enumerate(data.get("rewards") or []) if set(reward["tiers"]) - tiers}
        if errors:
            raise ValidationError({"rewards": errors})

SCHEMA = ProgramDocument()

#: The program a new shop runs until its owner writes one (what issue #2 hard-coded).
DEFAULT = {
    "point_types": {"regular": {"expiry": {"kind": "never"}}},
    "earning": {"point_type": "regular", "rate": {"kind": "percent", "percent": "5"},
                "rounding": "down"},
    "reversal_policy": "clamp",
    "signup": {"points": 100, "point_type": "regular"},
}


def load(document: dict) -> dict:
    """Validate a program document (raises ValidationError naming each bad field)."""
    if not isinstance(document, dict):
        raise ValidationError({"_schema": ["the program must be a JSON object"]})
    return SCHEMA.load(document)


def dump(program: dict) -> dict:
    """The document as JSON again (Decimals as strings), as stored and served."""
    return SCHEMA.dump(program)
