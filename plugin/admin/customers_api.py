"""Customers over the admin API: the search the dashboard's list runs, one customer as the
customer page shows them (balance, lots, tier, referrals), and the birthday the bonus is granted on."""

from __future__ import annotations

from datetime import date

from flask import g, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates

from plugin import customers, ledger, tiers
from plugin.admin.api import ENTRIES, LOTS, EntryOut, LotOut, Page, PageArgs, ReasonOut
from plugin.admin.openapi import DECIMAL, documented
from plugin.core import clock
from plugin.core.limits import StrictSchema
from plugin.core.models import Customer
from plugin.core.status import ReferralStatus
from plugin.earn import referrals
from plugin.http.bodies import json_object
from plugin.http.routes import Routes
from plugin.program import versions

routes = Routes()

EARLIEST_BIRTHDAY = date(1900, 1, 1)


class SearchArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=200),
                      metadata={"description": "words that must each match the email, a name or the id"})


class CustomerRow(Schema):
    id = fields.String(required=True, attribute="platform_id")
    email = fields.String(required=True, allow_none=True)
    first_name = fields.String(required=True, allow_none=True)
    last_name = fields.String(required=True, allow_none=True)
    balance = fields.Integer(required=True, metadata={"description": "points over every type"})
    tier = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class CustomerPage(Page):
    items = fields.List(fields.Nested(CustomerRow), required=True)


class BalanceOut(Schema):
    total = fields.Integer(required=True)
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    spendable = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class TierOut(Schema):
    id = fields.String(required=True)
    title = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    threshold = fields.String(required=True, validate=validate.Regexp(DECIMAL))
    earn_multiplier = fields.String(required=True, validate=validate.Regexp(DECIMAL))
    discount_percent = fields.String(required=True, validate=validate.Regexp(DECIMAL))
    free_shipping_threshold = fields.String(required=True, allow_none=True, validate=validate.Regexp(DECIMAL))
    entry_bonus = fields.Integer(required=True)


class TierProgressOut(Schema):
    """The tier held (or reached), the next one and how far it is (plugin.tiers.progress)."""

    metric = fields.String(required=True)
    window = fields.String(required=True)
    value = fields.String(required=True, validate=validate.Regexp(DECIMAL))
    tier = fields.Nested(TierOut, required=True)
    next = fields.Nested(TierOut, required=True, allow_none=True)
    to_next = fields.String(required=True, allow_none=True, validate=validate.Regexp(DECIMAL))
    assigned = fields.Boolean(required=True)
    downgrade_on = fields.Date(required=True, allow_none=True)


class TierChangeOut(ReasonOut):
    from_tier = fields.String(required=True, allow_none=True)
    to_tier = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class CustomerReferralOut(Schema):
    role = fields.String(required=True, validate=validate.OneOf(("invited", "invited_by")))
    other = fields.String(required=True, metadata={"description": "the other side's platform id"})
    status = fields.String(required=True, validate=validate.OneOf(tuple(ReferralStatus)))
    risk_score = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class CustomerOut(Schema):
    id = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    first_name = fields.String(required=True, allow_none=True)
    last_name = fields.String(required=True, allow_none=True)
    lifetime_earned = fields.Integer(required=True)
    birthday = fields.Date(required=True, allow_none=True)
    balance = fields.Nested(BalanceOut, required=True)
    lots = fields.List(fields.Nested(LotOut), required=True)
    recent = fields.List(fields.Nested(EntryOut), required=True)
    tier = fields.Nested(TierProgressOut, required=True, allow_none=True,
                         metadata={"description": "null when the program has no tiers"})
    tier_history = fields.List(fields.Nested(TierChangeOut), required=True)
    referrals = fields.List(fields.Nested(CustomerReferralOut), required=True)


class BirthdayIn(StrictSchema):
    birthday = fields.Date(required=True, allow_none=True)

    @validates("birthday")
    def _plausible(self, value: date | None, **kwargs) -> None:
        if value is None:
            return
        if value > clock.now().date():
            raise ValidationError("must not be in the future")
        if value < EARLIEST_BIRTHDAY:
            raise ValidationError(f"must not be before {EARLIEST_BIRTHDAY.isoformat()}")


class BirthdayOut(Schema):
    id = fields.String(required=True)
    birthday = fields.Date(required=True, allow_none=True)
    birthday_set_at = fields.DateTime(required=True, allow_none=True)


BIRTHDAY, SEARCH = BirthdayIn(), SearchArgs()
ROWS, TIER_CHANGES = CustomerRow(many=True), TierChangeOut(many=True)
REFERRALS = CustomerReferralOut(many=True)


@routes.get("/customers")
@documented("Customers, newest first, optionally matching words (email, name, platform id)",
            query=SearchArgs, response=CustomerPage)
def customer_search():
    args = SEARCH.load(request.args)
    shop_id = g.shop.id
    rows = customers.search(shop_id, args["q"], args["before"], args["limit"])
    ids = [row.id for row in rows]
    totals, held = customers.balance_totals(shop_id, ids), customers.tiers_held(shop_id, ids)
    items = [{**item, "balance": totals.get(row.id, 0), "tier": held.get(row.id)}
             for item, row in zip(ROWS.dump(rows), rows, strict=True)]
    return jsonify(items=items, next_before=rows[-1].id if len(rows) == args["limit"] else None)


@routes.get("/customers/<platform_id>")
@documented("A customer: balance by type, open lots, recent ledger entries, tier, referrals",
            response=CustomerOut)
def customer_detail(platform_id: str):
    customer = customers.require(g.shop.id, platform_id)
    balance = ledger.balances(customer)
    _, program = versions.current(g.shop.id)
    return jsonify(
        id=customer.platform_id, email=customer.email, first_name=customer.first_name,
        last_name=customer.last_name, lifetime_earned=customer.lifetime_earned,
        birthday=customer.birthday.isoformat() if customer.birthday else None,
        balance={"total": sum(balance.values()), "by_type": balance,
                 "spendable": ledger.spendable(customer)},
        lots=LOTS.dump(ledger.open_lots(customer)),
        recent=ENTRIES.dump(ledger.entries(customer, limit=20)),
        tier=tiers.progress(program, customer),
        tier_history=TIER_CHANGES.dump(tiers.history(customer)),
        referrals=REFERRALS.dump(referrals.of_customer(customer)),
    )


@routes.put("/customers/<platform_id>/birthday")
@documented("Set or clear a customer's birthday", body=BirthdayIn, response=BirthdayOut)
def customer_birthday(platform_id: str):
    """Set or clear a birthday; a change restarts the waiting period before it earns."""
    customer = customers.require(g.shop.id, platform_id)
    birthday = json_object(BIRTHDAY)["birthday"]
    if customer.birthday != birthday:
        customer.birthday, customer.birthday_set_at = birthday, clock.now()
        Customer.update(birthday=birthday, birthday_set_at=customer.birthday_set_at).where(
            Customer.id == customer.id).execute()
    return jsonify(id=customer.platform_id,
                   birthday=customer.birthday.isoformat() if customer.birthday else None,
                   birthday_set_at=customer.birthday_set_at.isoformat() if customer.birthday_set_at else None)
