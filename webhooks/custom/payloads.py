"""A custom store's events (version 1 of our own shape) -> the canonical payloads the engine reads.

The store's developer sends these, so the schemas are strict (``unknown = RAISE``) and a body that
does not fit is a 422 naming the field. The same schemas are published as JSON Schema in the
OpenAPI document's ``webhooks`` section (plugin.admin.openapi), so every rule here is one JSON
Schema can say: ids and money are patterned strings, booleans and integers are JSON's own.
The canonical payloads have the shape webhooks.shopify.payloads produces.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from plugin.core.kinds import EventKind
from plugin.customers import contact
from webhooks import mapped
from webhooks.mapped import MAX_AMOUNT, MAX_QUANTITY
from webhooks.readers import UNSTORABLE

VERSION = 1
PAID, REFUNDED, CANCELLED = EventKind.ORDER_PAID, EventKind.ORDER_REFUNDED, EventKind.ORDER_CANCELLED
CREATED, UNINSTALLED = EventKind.CUSTOMER_CREATED, EventKind.SHOP_UNINSTALLED
PUBLISHED, UNPUBLISHED = EventKind.REVIEW_PUBLISHED, EventKind.REVIEW_UNPUBLISHED
TYPES = (CREATED, PAID, REFUNDED, CANCELLED, PUBLISHED, UNPUBLISHED, UNINSTALLED)

#: Patterns JSON Schema (ECMA 262) and Python read alike.
ID = r"^[^\s:#\x00]{1,56}$"
MONEY = r"^\d{1,12}(\.\d{1,4})?$"  # a non-negative decimal string below 10^12, at most 4 places
CURRENCY = r"^[A-Z]{3}$"
TIMESTAMP = (r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
             r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$")
REFERRAL_CODE = r"^[A-Za-z0-9]{4,32}$"
LOCALE = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}$"
CENT = Decimal("0.0001")


class Text(fields.String):
    """Text a database can store: no NUL, no lone surrogate."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if UNSTORABLE.search(text):
            raise ValidationError("must not hold NUL or a lone surrogate")
        return text


def _text(pattern: str | None = None, error: str | None = None, *, max_length: int | None = None,
          required: bool = False, **kwargs) -> Text:
    checks = ([validate.Regexp(pattern, error=error)] if pattern else []) + (
        [validate.Length(max=max_length)] if max_length else [])
    if required:
        return Text(required=True, validate=checks, **kwargs)
    return Text(load_default=None, allow_none=True, validate=checks, **kwargs)


def _id(**kwargs) -> Text:
    return _text(ID, "must be 1-56 characters without spaces, ':' or '#'", **kwargs)


def _money(**kwargs) -> Text:
    return _text(MONEY, "must be a decimal string such as \"1990.00\" (at most 4 places, below 10^12)",
                 **kwargs)


class Flag(fields.Boolean):
    """JSON's true or false, nothing truthy."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Timestamp(Text):
    """An RFC 3339 time with its offset (``2026-05-01T12:00:00+03:00``); loaded as text."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Regexp(TIMESTAMP, error="must be an ISO 8601 time with an "
                                                  "offset, e.g. 2026-05-01T12:00:00+03:00"), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("is not a real date and time") from None
        return text


class TimeZone(Text):
    """An IANA time zone name this machine knows (``Europe/Moscow``)."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(max=64), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if contact.time_zone(text) is None:
            raise ValidationError("is not a known IANA time zone, e.g. Europe/Moscow")
        return text


class _Ours(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class CustomCustomer(_Ours):
    id = _id(required=True, metadata={"description": "the store's customer id"})
    email = _text(max_length=320)
    phone = _text(max_length=64, metadata={"description": "for SMS: international format, e.g. +79161234567"})
    first_name = _text(max_length=255)
    last_name = _text(max_length=255)
    locale = _text(LOCALE, "must be a language code such as \"ru\" or \"en-GB\"", metadata={
        "description": "the shopper's language for messages (else the shop's)"})
    time_zone = TimeZone(load_default=None, allow_none=True, metadata={
        "description": "IANA time zone, e.g. Europe/Moscow: SMS quiet hours follow it (else the shop's)"})
    marketing_consent = Flag(load_default=None, allow_none=True, metadata={
        "description": "true: the shopper agreed to marketing messages (38-FZ art. 18); false: withdrew"})
    marketing_consent_at = Timestamp(load_default=None, allow_none=True, metadata={
        "description": "when the consent was given (else when this event arrives)"})


class CustomSignup(CustomCustomer):
    referral_code = _text(REFERRAL_CODE, "must be 4-32 letters or digits", metadata={
        "description": "a friend's referral code the shopper signed up with"})


class CustomOrderLine(_Ours):
    id = _id(required=True, metadata={"description": "the line's id within the order (refunds name it)"})
    product_id = _id()
    variant_id = _id()
    sku = _text(max_length=255)
    title = _text(max_length=1000)
    vendor = _text(max_length=255)
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    price = _money(required=True, metadata={"description": "the price of one unit"})
    discount = _money(metadata={"description": "taken off the whole line (all its units); default 0"})
    tags = fields.List(_text(max_length=255, required=True), load_default=list,
                       validate=validate.Length(max=100))
    product_type = _text(max_length=255)
    on_sale = Flag(load_default=False, metadata={"description": "sold below its usual price"})
    gift_card = Flag(load_default=False, metadata={"description": "a gift card earns nothing"})

    @validates_schema
    def _fits(self, data, **kwargs):
        if Decimal(data["price"]) * data["quantity"] > MAX_AMOUNT:
            raise ValidationError(f"price x quantity exceeds {MAX_AMOUNT}", "price")


class CustomOrder(_Ours):
    id = _id(required=True, metadata={"description": "the store's order id"})
    customer = fields.Nested(CustomCustomer, load_default=None, allow_none=True,
                             metadata={"description": "null: a guest order (earns nothing)"})
    currency = _text(CURRENCY, "must be an ISO 4217 code in capitals, e.g. RUB", required=True,
                     metadata={"description": "the shop's currency (another is a 422)"})
    lines = fields.List(fields.Nested(CustomOrderLine), required=True,
                        validate=validate.Length(min=1, max=1000))
    shipping = _money(metadata={"description": "what shipping cost (after its discounts); default 0"})
    tax = _money(metadata={"description": "default 0"})
    discount_codes = fields.List(_text(max_length=64, required=True), load_default=list,
                                 validate=validate.Length(max=50), metadata={
                                     "description": "codes used, the plugin's redemption codes among them"})
    placed_at = Timestamp(load_default=None, allow_none=True)


class CustomRefundLine(_Ours):
    line_id = _id(required=True)
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class CustomRefund(_Ours):
    id = _id(required=True, metadata={"description": "the refund's id: a second refund has another"})
    order_id = _id(required=True)
    lines = fields.List(fields.Nested(CustomRefundLine), required=True,
                        validate=validate.Length(min=1, max=1000),
                        metadata={"description": "each valued pro rata from the order's line"})


class CustomCancellation(_Ours):
    order_id = _id(required=True)


class CustomReview(_Ours):
    id = _id(required=True, metadata={"description": "the review's id"})
    customer = fields.Nested(CustomCustomer, required=True)
    product_id = _id(required=True)
    rating = fields.Integer(strict=True, load_default=None, allow_none=True,
                            validate=validate.Range(min=1, max=5))


class CustomLeaving(_Ours):
    """The store leaves the program: nothing to say but that (``data`` is ``{}``)."""


class CustomEvent(_Ours):
    """The envelope of every event: ``version`` (1, the default), ``type``, ``timestamp``, ``data``."""

    version = fields.Integer(strict=True, load_default=VERSION, validate=validate.OneOf((VERSION,)))
    type = Text(required=True, validate=validate.OneOf(TYPES))
    timestamp = Timestamp(required=True, metadata={"description": "when the event happened"})
    data = fields.Dict(required=True)


def _event(name: str, kind: str, data: type[Schema]) -> type[Schema]:
    fields_ = {"type": Text(required=True, validate=validate.OneOf((kind,))),
               "data": fields.Nested(data, required=True)}
    return type(name, (CustomEvent,), {**fields_, "__doc__": f"The {kind} event (version {VERSION})."})


#: type -> the schema of its whole body; these are what the OpenAPI document publishes.
EVENTS: dict[str, type[Schema]] = {
    CREATED: _event("CustomCustomerCreated", CREATED, CustomSignup),
    PAID: _event("CustomOrderPaid", PAID, CustomOrder),
    REFUNDED: _event("CustomOrderRefunded", REFUNDED, CustomRefund),
    CANCELLED: _event("CustomOrderCancelled", CANCELLED, CustomCancellation),
    PUBLISHED: _event("CustomReviewPublished", PUBLISHED, CustomReview),
    UNPUBLISHED: _event("CustomReviewUnpublished", UNPUBLISHED, CustomReview),
    UNINSTALLED: _event("CustomShopUninstalled", UNINSTALLED, CustomLeaving),
}
_LOADERS = {kind: schema() for kind, schema in EVENTS.items()}
_ENVELOPE = CustomEvent()


def load(body: dict) -> dict:
    """The validated body (raises ValidationError naming each bad field by its path)."""
    kind = body.get("type") if isinstance(body, dict) else None
    loader = _LOADERS.get(kind) if isinstance(kind, str) else None
    return (loader or _ENVELOPE).load(body)


def _customer(data: dict | None) -> dict | None:
    if data is None:
        return None
    consent = {} if data["marketing_consent"] is None else mapped.consent(
        data["marketing_consent"], data["marketing_consent_at"], "custom")
    return {"id": data["id"], "email": data["email"], "phone": data["phone"],
            "first_name": data["first_name"], "last_name": data["last_name"], "locale": data["locale"],
            "time_zone": data["time_zone"], **consent}


def _amount(text: str | None) -> Decimal:
    return Decimal(text) if text is not None else Decimal(0)


def order(body: dict) -> dict:
    data = load(body)["data"]
    return {
        "order_id": data["id"], "customer": _customer(data["customer"]), "currency": data["currency"],
        "financial_status": "paid",
        "placed_at": datetime.fromisoformat(data["placed_at"].replace("Z", "+00:00")).isoformat()
        if data["placed_at"] else None,
        "shipping": str(_amount(data["shipping"])), "tax": str(_amount(data["tax"])),
        "discount_codes": data["discount_codes"], "discount_amounts": {},
        "email": data["customer"]["email"] if data["customer"] else None,
        "phone": data["customer"]["phone"] if data["customer"] else None,
        "landing_site": None, "note_attributes": {}, "ip_hash": None, "address_hash": None,
        "lines": [
            {"line_id": line["id"], "product_id": line["product_id"], "variant_id": line["variant_id"],
             "sku": line["sku"], "vendor": line["vendor"], "product_type": line["product_type"],
             "tags": line["tags"], "on_sale": line["on_sale"], "quantity": line["quantity"],
             "amount": str(max(Decimal(0), Decimal(line["price"]) * line["quantity"]
                               - _amount(line["discount"]))),
             "gift_card": line["gift_card"]}
            for line in data["lines"]
        ],
    }


def refund(body: dict) -> dict:
    """Lines carry the quantity returned and no amount: the engine values each pro rata from the
    stored order's line (plugin.pipeline.apply.order_refunded), which this delivery does not hold."""
    data = load(body)["data"]
    return {"refund_id": data["id"], "order_id": data["order_id"],
            "lines": [{"line_id": line["line_id"], "quantity": line["quantity"]} for line in data["lines"]]}


def cancellation(body: dict) -> dict:
    return {"order_id": load(body)["data"]["order_id"]}


def customer(body: dict) -> dict:
    data = load(body)["data"]
    return {"customer": {**_customer(data), "note": data["referral_code"], "tags": None,
                         "address_hash": None}}


def review(body: dict) -> tuple[str, dict]:
    loaded = load(body)
    data = loaded["data"]
    return loaded["type"], {"review_id": data["id"], "customer": {"id": data["customer"]["id"],
                                                                  "email": data["customer"]["email"]},
                            "product_id": data["product_id"], "rating": data["rating"]}
