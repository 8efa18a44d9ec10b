"""Widget endpoints that spend: quote a cart, redeem points for a discount, cancel, follow up."""

from __future__ import annotations

import re

from flask import g, jsonify, request
from marshmallow import Schema, fields, validate

from plugin import customers, ledger
from plugin.core.errors import LoyaltyError, NotFound, Unauthorized
from plugin.core.limits import StrictSchema
from plugin.core.models import Hold, Shop
from plugin.http.bodies import json_object
from plugin.http.idempotency import for_shopper, idempotent
from plugin.http.routes import Routes
from plugin.http.runtime import runtime
from plugin.platforms import hold_codes, registry
from plugin.platforms.contract import Access
from plugin.program import order_points, versions
from plugin.program.catalog import onto_cart
from plugin.spend import carts, redemption, rewards
from plugin.tiers import perks as tier_perks
from widgets.schemas import UtcDateTime

routes = Routes()

IDEMPOTENCY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


class QuoteRequest(StrictSchema):
    cart = fields.Nested(carts.Cart, required=True)


class RedeemRequest(QuoteRequest):
    points = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=10**9))
    point_type = fields.String(load_default="regular", validate=validate.Length(min=1, max=32))


class RewardRequest(StrictSchema):
    """A reward for this cart; without one (a launcher on a page that knows no cart) only a coupon
    applies, and the catalog says so of the others."""

    cart = fields.Nested(carts.Cart, load_default=None, allow_none=True)
    steps = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=10**6))
    lang = fields.String(load_default="en", validate=validate.OneOf(("en", "ru")))


class RedemptionOut(Schema):
    id = fields.Integer()
    code = fields.String()
    points = fields.Integer()
    point_type = fields.String()
    amount = fields.Decimal(as_string=True, places=2)
    currency = fields.String()
    status = fields.String()
    reward = fields.String()
    expires_at = UtcDateTime()  # naive UTC in the database; without the offset a browser reads local time


QUOTE, REDEEM, REWARD, REDEMPTION = QuoteRequest(), RedeemRequest(), RewardRequest(), RedemptionOut()


def _signed_in():
    shopper = g.shopper
    if not shopper.signed_in:
        raise Unauthorized("sign in to use your points")
    return shopper


@routes.post("/quote")
def quote():
    """What this cart earns, what points may pay for it and what the shopper's tier takes off:
    priced after the tier's standing discount and the points discount held, as the order will be."""
    shopper = g.shopper
    cart = json_object(QUOTE)["cart"]
    order = onto_cart(shopper.shop.id, carts.as_order(cart))
    _, program = versions.current(shopper.shop.id)
    # One statement: the customer, their tier row (the tier's prices and its multiplier) and what
    # the points quote reads of them (a first order? a discount held?).
    customer, row, quoting = (tier_perks.find_for_quote(shopper.shop.id, shopper.customer_id, program)
                              if shopper.signed_in else (None, None, None))
    tier = tier_perks.tier_in(program, row)
    paid = tier_perks.discounted(order, tier)
    # What the worker will credit for this cart placed now, after the points discount held for it.
    # A cart priced in another currency than the shop's earns on amounts only the store converts:
    # no figure rather than one in the wrong currency.
    foreign = bool(cart.get("currency")) and cart["currency"].upper() != shopper.shop.currency
    earns = None if foreign else order_points.quote(
        program, customer, shopper.customer_id if shopper.signed_in else None, paid, row, quoting)
    benefits = tier_perks.for_cart(tier, order) if tier and tier_perks.has_benefits(tier) else None
    return jsonify(payable=redemption.quote(shopper.shop.id, customer, paid["lines"]),
                   earns=earns and {"points": earns.points, "point_type": earns.point_type,
                                    "notes": earns.notes},
                   tier_benefits=benefits)


def _priced(shop_id: int, cart: dict | None, tier: dict | None) -> dict | None:
    """The cart as an order priced after the shopper's tier; None without a cart."""
    return cart and tier_perks.discounted(onto_cart(shop_id, carts.as_order(cart)), tier)


def _create_on_platform(shop: Shop, customer_id: str):
    """The shop's platform makes the hold's discount (Shopify: a single-use code for this customer);
    on platforms without one the plugin's own code is the discount."""
    platform, access = registry.of(shop), Access(runtime().settings, runtime().vault)
    return lambda hold: platform.make_code(shop, hold, customer_id, access)


def _hold(data: dict, make_discount) -> tuple:
    """Redeem under the request's Idempotency-Key: (response body, 201 new or 200 a retry).
    ``make_discount(customer, order, tier)`` gets the order priced after the shopper's tier."""
    shopper = _signed_in()
    key = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY.match(key):
        raise LoyaltyError("an Idempotency-Key header (8 to 128 letters, digits, _.:-) is required")
    customer = customers.ensure(shopper.shop.id, shopper.customer_id)
    _, program = versions.current(shopper.shop.id)
    tier = tier_perks.tier_of(program, customer)
    order = _priced(shopper.shop.id, data["cart"], tier) or rewards.NO_CART_ORDER
    key = f"widget:{shopper.customer_id}:{key}"  # one shopper's key never answers another's retry
    existed = Hold.select().where((Hold.shop == shopper.shop.id) & (Hold.idempotency_key == key)).exists()
    hold = redemption.redeem(customer, discount=make_discount(customer, order, tier), lines=order["lines"],
                             key=key, currency=(data["cart"] or {}).get("currency") or shopper.shop.currency,
                             on_created=_create_on_platform(shopper.shop, shopper.customer_id))
    return jsonify(redemption=REDEMPTION.dump(hold)), 200 if existed else 201


@routes.post("/redeem")
@idempotent(for_shopper)
def redeem():
    """Hold points straight off this cart; the same Idempotency-Key returns the same code."""
    data = json_object(REDEEM)
    _, program = versions.current(g.shopper.shop.id)
    return _hold(data, lambda customer, order, tier: redemption.points_off(program, data["points"],
                                                                            data["point_type"]))


@routes.post("/rewards")
def reward_catalog():
    """The catalog for this cart: what each reward gives here, or why it cannot apply yet."""
    shopper = g.shopper
    data = json_object(REWARD)
    customer = shopper.customer()
    _, program = versions.current(shopper.shop.id)
    tier = tier_perks.tier_of(program, customer)
    order = _priced(shopper.shop.id, data["cart"], tier)
    return jsonify(rewards=rewards.catalog(program, order, ledger.spendable(customer) if customer else {},
                                           data["lang"], tier_id=tier and tier["id"],
                                           currency=shopper.shop.currency))


@routes.post("/rewards/<reward_id>/redeem")
@idempotent(for_shopper)
def reward_redeem(reward_id: str):
    data = json_object(REWARD)
    _, program = versions.current(g.shopper.shop.id)
    return _hold(data, lambda customer, order, tier: rewards.discount_for(
        program, reward_id, order, ledger.spendable(customer), data["steps"], tier_id=tier and tier["id"]))


def _own_hold(hold_id: int) -> Hold:
    shopper = _signed_in()
    hold = Hold.get_or_none((Hold.id == hold_id) & (Hold.shop == shopper.shop.id))
    customer = customers.find(shopper.shop.id, shopper.customer_id)
    if hold is None or customer is None or hold.customer_id != customer.id:
        raise NotFound("no such redemption")
    return hold


@routes.get("/redemptions/<int:hold_id>")
def redemption_detail(hold_id: int):
    return jsonify(redemption=REDEMPTION.dump(_own_hold(hold_id)))


@routes.post("/redemptions/<int:hold_id>/cancel")
@idempotent(for_shopper)
def redemption_cancel(hold_id: int):
    """Withdraw the code, then free the points; ``releasing`` while the platform cannot be reached
    (a job retries, and the points come back once the code is dead)."""
    hold = _own_hold(hold_id)
    redemption.cancel(hold, kill=hold_codes.killer(Access(runtime().settings, runtime().vault)))
    return jsonify(redemption=REDEMPTION.dump(Hold.get_by_id(hold.id)))
