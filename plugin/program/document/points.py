"""The document's sections about points: their types and expiry, earning, redemption, rewards and grants."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError, fields, validate, validates_schema

from plugin.core import limits
from plugin.program.document import base
from plugin.program.document.base import ACTIVITY_LIMITS, EXPIRY_KINDS, ROUNDING


class Expiry(limits.StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(EXPIRY_KINDS))
    days = fields.Integer(strict=True, validate=validate.Range(min=1, max=36500), load_default=None)

    @validates_schema
    def _days(self, data, **kwargs):
        if data["kind"] == "days" and not data.get("days"):
            raise ValidationError("required when kind is 'days'", "days")


class Cap(limits.StrictSchema):
    percent = base.amount(required=True, validate=validate.Range(min=0, max=100))
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
    min = base.amount(required=True, data_key="from")
    max = base.amount(load_default=None, allow_none=True, data_key="to")
    points = base.points(required=True)


class Rate(limits.StrictSchema):
    """A percentage, N points per M of currency, or a band table by eligible amount."""

    kind = fields.String(required=True, validate=validate.OneOf(("percent", "per_amount", "bands")))
    percent = base.amount(load_default=None)
    points = base.points(load_default=None)
    per = base.amount(load_default=None, validate=validate.Range(min=Decimal("0.0001")))
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
    per_day = base.points(load_default=None, allow_none=True)
    per_month = base.points(load_default=None, allow_none=True)


class Earning(limits.StrictSchema):
    point_type = fields.String(load_default="regular")
    rate = fields.Nested(Rate, required=True)
    rounding = fields.String(load_default="down", validate=validate.OneOf(ROUNDING))
    category_rules = fields.List(fields.Nested(CategoryRule), load_default=list)
    exclude_categories = fields.List(fields.String(), load_default=list)
    exclude_sale_items = fields.Boolean(load_default=False)
    include_shipping = fields.Boolean(load_default=False)
    include_tax = fields.Boolean(load_default=False)
    min_order = base.amount(load_default=Decimal(0))
    first_order_min_points = base.points(load_default=0)
    limits = fields.Nested(Limits, load_default=lambda: {"per_day": None, "per_month": None})
    pending_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365), load_default=0)


class Redemption(limits.StrictSchema):
    """How points pay: what one point is worth, and what they may never pay for."""

    point_value = base.amount(load_default=Decimal(1), validate=validate.Range(min=Decimal("0.0001")))
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
    # the cost; a step for amount_off
    points = base.points(required=True, validate=validate.Range(min=1, max=10**12))
    amount = base.amount(load_default=None)
    percent = base.amount(load_default=None, validate=validate.Range(min=Decimal("0.01"), max=100))
    product_id = fields.String(load_default=None)
    valid_days = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1, max=3650))
    min_order = base.amount(load_default=Decimal(0))
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
    points = base.points(required=True)
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
    bonus = base.points(load_default=0)
    categories = fields.List(fields.String(), load_default=list)
    customers = fields.List(fields.String(), load_default=list)

    @validates_schema
    def _window(self, data, **kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("must be after starts_at", "ends_at")
        if data.get("multiplier") is None and not data.get("bonus"):
            raise ValidationError("give a multiplier or a bonus", "multiplier")
