"""Finding and creating a shop's customers by their platform id."""

from __future__ import annotations

import peewee

from plugin.db import database
from plugin.models import Customer

PROFILE_FIELDS = ("email", "first_name", "last_name")


def find(shop_id: int, platform_id: str) -> Customer | None:
    return Customer.get_or_none((Customer.shop == shop_id) & (Customer.platform_id == platform_id))


def ensure(shop_id: int, platform_id: str, profile: dict | None = None) -> Customer:
    """The customer row for a platform id, created on first sight; profile fields fill blanks."""
    profile = {k: v for k, v in (profile or {}).items() if k in PROFILE_FIELDS and v}
    customer = find(shop_id, platform_id)
    if customer is None:
        try:
            with database.atomic():
                return Customer.create(shop=shop_id, platform_id=platform_id, **profile)
        except peewee.IntegrityError:  # created by a concurrent worker a moment ago
            customer = find(shop_id, platform_id)
    missing = {k: v for k, v in profile.items() if getattr(customer, k) != v}
    if missing:
        Customer.update(**missing).where(Customer.id == customer.id).execute()
        for name, value in missing.items():
            setattr(customer, name, value)
    return customer
