"""The whole program document: its sections, the references between them, the default program."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError, fields, validate, validates_schema

from plugin.core import limits
from plugin.program.document.base import REVERSAL_POLICIES, STACKING
from plugin.program.document.features import Games, Offers, Referrals, Tiers, Transfers, Widget
from plugin.program.document.points import (
    Activity,
    Campaign,
    Category,
    Earning,
    Grant,
    PointType,
    Redemption,
    Reviews,
    Reward,
)


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
    widget = fields.Nested(Widget, load_default=lambda: {"launcher": False})

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
