"""Customer profile over the admin API: the birthday that the birthday bonus is granted on."""

from __future__ import annotations

from datetime import date

from flask import g, jsonify
from marshmallow import RAISE, Schema, ValidationError, fields, validates

from plugin import clock, customers
from plugin.admin.api import bp
from plugin.admin.openapi import documented
from plugin.bodies import json_object
from plugin.errors import NotFound
from plugin.models import Customer

EARLIEST_BIRTHDAY = date(1900, 1, 1)


class BirthdayIn(Schema):
    class Meta:
        unknown = RAISE

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


BIRTHDAY = BirthdayIn()


@bp.put("/customers/<platform_id>/birthday")
@documented("Set or clear a customer's birthday", body=BirthdayIn, response=BirthdayOut)
def customer_birthday(platform_id: str):
    """Set or clear a birthday; a change restarts the waiting period before it earns."""
    customer = customers.find(g.shop.id, platform_id)
    if customer is None:
        raise NotFound(f"no customer {platform_id!r} in this shop")
    birthday = json_object(BIRTHDAY)["birthday"]
    if customer.birthday != birthday:
        customer.birthday, customer.birthday_set_at = birthday, clock.now()
        Customer.update(birthday=birthday, birthday_set_at=customer.birthday_set_at).where(
            Customer.id == customer.id).execute()
    return jsonify(id=customer.platform_id,
                   birthday=customer.birthday.isoformat() if customer.birthday else None,
                   birthday_set_at=customer.birthday_set_at.isoformat() if customer.birthday_set_at else None)
