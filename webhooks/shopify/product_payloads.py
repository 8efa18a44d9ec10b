"""Shopify's products/* webhooks -> the catalog facts the rules read (applied by plugin.program.catalog).

Order webhooks carry no tags, product type or compare-at price; these deliveries keep a per-shop
cache of them. The body is the REST product (tags as one comma-separated string).
"""

from __future__ import annotations

from datetime import UTC

from marshmallow import EXCLUDE, Schema, fields, validate

from plugin.core.kinds import EventKind
from webhooks.mapped import Mapped

UPDATED, DELETED = EventKind.PRODUCT_UPDATED, EventKind.PRODUCT_DELETED


class _Payload(Schema):
    class Meta:
        unknown = EXCLUDE


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1), **kwargs)


def _money(**kwargs) -> fields.Decimal:
    return fields.Decimal(allow_nan=False, allow_none=True, validate=validate.Range(min=0, max=10**12),
                          **kwargs)


class Variant(_Payload):
    id = _id(required=True)
    price = _money(load_default=None)
    compare_at_price = _money(load_default=None)


class ProductBody(_Payload):
    id = _id(required=True)
    tags = fields.String(allow_none=True, load_default=None)
    product_type = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=255))
    vendor = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=255))
    updated_at = fields.AwareDateTime(allow_none=True, load_default=None, default_timezone=UTC)
    variants = fields.List(fields.Nested(Variant), allow_none=True, load_default=list)


class DeletedBody(_Payload):
    id = _id(required=True)


PRODUCT, DELETED_BODY = ProductBody(), DeletedBody()


def split_tags(tags: str | list[str] | None) -> list[str]:
    """Shopify's tags: a comma-separated string in REST bodies, a list in GraphQL answers."""
    items = tags.split(",") if isinstance(tags, str) else tags or []
    return [tag.strip()[:255] for tag in items if tag and tag.strip()]


def variant_facts(price, compare_at_price) -> dict:
    return {"price": None if price is None else str(price),
            "compare_at_price": None if compare_at_price is None else str(compare_at_price)}


def updated(body: dict) -> Mapped:
    data = PRODUCT.load(body)
    moment = data["updated_at"]
    return Mapped(UPDATED, {
        "product_id": str(data["id"]), "tags": split_tags(data["tags"]),
        "product_type": data["product_type"] or None, "vendor": data["vendor"] or None,
        "updated_at": moment.astimezone(UTC).replace(tzinfo=None).isoformat() if moment else None,
        "variants": {str(v["id"]): variant_facts(v["price"], v["compare_at_price"])
                     for v in data["variants"] or []},
    })


def deleted(body: dict) -> Mapped:
    return Mapped(DELETED, {"product_id": str(DELETED_BODY.load(body)["id"])})
