"""The program document: the store's rules as JSON, validated by marshmallow.

Every error names its field by path (``earning.bands.1.points``), and cross references (a point
type or category that does not exist) are reported on the field that makes them.
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

ROUNDING = ("down", "nearest", "up")
REVERSAL_POLICIES = ("pending_only", "clamp", "negative")
STACKING = ("highest", "multiply", "add")
EXPIRY_KINDS = ("never", "days", "end_of_month", "end_of_year")
ACTIVITY_LIMITS = ("once", "per_day", "per_week", "per_month", "per_year", "unlimited")
LANGUAGES = ("en", "ru")  # the languages of the widget's texts


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _amount(**kwargs) -> fields.Decimal:
    kwargs.setdefault("validate", validate.Range(min=0))
    return fields.Decimal(as_string=True, allow_nan=False, **kwargs)


def _points(**kwargs) -> fields.Integer:
    kwargs.setdefault("validate", validate.Range(min=0, max=10**12))
    return fields.Integer(strict=True, **kwargs)


class Expiry(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(EXPIRY_KINDS))
    days = fields.Integer(strict=True, validate=validate.Range(min=1, max=36500), load_default=None)

    @validates_schema
    def _days(self, data, **kwargs):
        if data["kind"] == "days" and not data.get("days"):
            raise ValidationError("required when kind is 'days'", "days")


class Cap(_Strict):
    percent = _amount(required=True, validate=validate.Range(min=0, max=100))
    category = fields.String(load_default=None)


class PointType(_Strict):
    label = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    expiry = fields.Nested(Expiry, load_default=lambda: {"kind": "never", "days": None})
    redemption_cap = fields.Nested(Cap, load_default=None, allow_none=True)


class Category(_Strict):
    """A category is matched from what an order line carries: no API call is needed."""

    product_types = fields.List(fields.String(), load_default=list)
    vendors = fields.List(fields.String(), load_default=list)
    sku_prefixes = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    tags = fields.List(fields.String(), load_default=list)
    product_ids = fields.List(fields.String(), load_default=list)


class Band(_Strict):
    min = _amount(required=True, data_key="from")
    max = _amount(load_default=None, allow_none=True, data_key="to")
    points = _points(required=True)


class Rate(_Strict):
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


class CategoryRule(_Strict):
    category = fields.String(required=True)
    rate = fields.Nested(Rate, load_default=None)
    multiplier = _amount(load_default=None)

    @validates_schema
    def _something(self, data, **kwargs):
        if data.get("rate") is None and data.get("multiplier") is None:
            raise ValidationError("give a rate or a multiplier", "rate")
        if data.get("rate") and data["rate"]["kind"] == "bands":
            raise ValidationError("a category rate is a percent or per_amount; bands apply to orders",
                                  "rate")


class Limits(_Strict):
    per_day = _points(load_default=None, allow_none=True)
    per_month = _points(load_default=None, allow_none=True)


class Earning(_Strict):
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


class Redemption(_Strict):
    """How points pay: what one point is worth, and what they may never pay for."""

    point_value = _amount(load_default=Decimal(1), validate=validate.Range(min=Decimal("0.0001")))
    exclude_categories = fields.List(fields.String(), load_default=list)
    exclude_sale_items = fields.Boolean(load_default=False)
    hold_minutes = fields.Integer(strict=True, validate=validate.Range(min=1, max=7 * 24 * 60),
                                  load_default=30)


REWARD_KINDS = ("amount_off", "fixed_amount", "percentage", "free_shipping", "free_product", "coupon")


class Reward(_Strict):
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

    @validates_schema
    def _complete(self, data, **kwargs):
        need = {"fixed_amount": "amount", "coupon": "amount", "percentage": "percent",
                "free_product": "product_id"}.get(data["kind"])
        if need and data.get(need) is None:
            raise ValidationError(f"required for a {data['kind']} reward", need)
        if data["kind"] == "coupon" and not data.get("valid_days"):
            raise ValidationError("required for a coupon", "valid_days")


class Grant(_Strict):
    points = _points(required=True)
    point_type = fields.String(load_default="regular")


class Reviews(Grant):
    monthly_cap = fields.Integer(strict=True, validate=validate.Range(min=1), load_default=None,
                                 allow_none=True)


class Activity(Grant):
    limit = fields.String(load_default="once", validate=validate.OneOf(ACTIVITY_LIMITS))


class Campaign(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    multiplier = _amount(load_default=None)
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
    """A text in the widget's languages: {"en": ..., "ru": ...}, at least one of them."""
    return fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)),
                       values=fields.String(validate=validate.Length(min=1, max=500)),
                       validate=validate.Length(min=1), **kwargs)


class CategoryTemplate(_Strict):
    """The store's own offer for shoppers who often buy in a category ("10% off in Coffee")."""

    category = fields.String(required=True)
    title = _texts(required=True)
    text = _texts(required=True)


class Offers(_Strict):
    """What the widget may offer a shopper besides their points (plugin.offers builds them)."""

    category_templates = fields.List(fields.Nested(CategoryTemplate), load_default=list)
    free_shipping_threshold = _amount(load_default=None, allow_none=True)
    birthday_month = fields.Boolean(load_default=True)
    recommendations = fields.Integer(strict=True, validate=validate.Range(min=0, max=20),
                                     load_default=3)


class ProgramDocument(_Strict):
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
    offers = fields.Nested(Offers, load_default=None, allow_none=True)

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
        for section in ("signup", "birthday", "reviews"):
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
