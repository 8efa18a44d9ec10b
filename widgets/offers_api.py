"""Widget offers: the shopper's ranked offers, and the events that measure them.

GET /offers answers without a cart; POST /offers takes {"cart": ..., "lang": ...} (a cart in a
query string would be awkward). Events are POST /offers/<id>/events {"type": ...}, or several
offers at once with POST /offers/events {"type": ..., "offer_ids": [...]}; both answer 204.
"""

from __future__ import annotations

from flask import g, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

from plugin.core import clock
from plugin.core.i18n import chosen
from plugin.core.kinds import OfferEventKind
from plugin.core.limits import StrictSchema
from plugin.http.bodies import json_object
from plugin.http.routes import Routes
from plugin.program import versions
from plugin.program.catalog import onto_cart
from plugin.spend import carts, offers

routes = Routes()


MAX_EVENTS = 50


class OffersRequest(StrictSchema):
    cart = fields.Nested(carts.Cart, load_default=None, allow_none=True)
    lang = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=35))


class EventRequest(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(tuple(OfferEventKind)))


class EventsRequest(EventRequest):
    offer_ids = fields.List(fields.String(validate=validate.Regexp(offers.OFFER_ID)), required=True,
                            validate=validate.Length(min=1, max=MAX_EVENTS))


class OfferOut(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    text = fields.String()
    priority = fields.Integer()
    data = fields.Dict()


class OffersOut(Schema):
    lang = fields.String()
    offers = fields.List(fields.Nested(OfferOut))


OFFERS_IN, EVENT_IN, EVENTS_IN, OFFERS_OUT = OffersRequest(), EventRequest(), EventsRequest(), OffersOut()


def _answer(cart: dict | None, lang: str | None):
    shop = g.shopper.shop
    _, program = versions.current(shop.id)
    lang = chosen(lang or request.args.get("lang"))
    lines = onto_cart(shop.id, carts.as_order(cart))["lines"] if cart else None
    now = clock.now()
    customer, holding = (offers.shopper(shop.id, g.shopper.customer_id, now) if g.shopper.signed_in
                         else (None, False))
    found = offers.build(shop, customer, program, lines=lines, lang=lang, now=now,
                         currency=(cart or {}).get("currency"), holding=holding)
    return jsonify(OFFERS_OUT.dump({"lang": lang, "offers": found}))


@routes.get("/offers")
def list_offers():
    """The shopper's offers without a cart (``?lang=ru``)."""
    return _answer(None, None)


@routes.post("/offers")
def offers_for_cart():
    """The shopper's offers for the posted cart."""
    data = json_object(OFFERS_IN)
    return _answer(data["cart"], data["lang"])


@routes.post("/offers/<offer_id>/events")
def offer_event(offer_id: str):
    """One impression, click or redemption of an offer."""
    if not offers.OFFER_ID.fullmatch(offer_id):
        raise ValidationError({"offer_id": ["not an offer id"]})
    kind = json_object(EVENT_IN)["type"]
    customer = g.shopper.customer()
    offers.record(g.shopper.shop.id, customer.id if customer else None, [offer_id], kind)
    return "", 204


@routes.post("/offers/events")
def offer_events():
    """The same event for several offers (the impressions of one render), in one insert."""
    data = json_object(EVENTS_IN)
    customer = g.shopper.customer()
    offers.record(g.shopper.shop.id, customer.id if customer else None,
                  list(dict.fromkeys(data["offer_ids"])), data["type"])
    return "", 204
