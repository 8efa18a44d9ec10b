"""Finding, searching and creating a shop's customers by their platform id."""

from __future__ import annotations

import peewee
from peewee import fn

from plugin.core.db import insert_rows
from plugin.core.errors import NotFound
from plugin.core.models import Balance, Customer, CustomerTier
from plugin.core.prepared import Prepared
from plugin.customers import contact

PROFILE_FIELDS = ("email", "first_name", "last_name")
MAX_TERMS = 5


def find(shop_id: int, platform_id: str) -> Customer | None:
    rows = _by_platform_id(shop_id, platform_id)
    return rows[0] if rows else None


def finding(shop_id: int, platform_id: str) -> peewee.ModelSelect:
    """``find``'s query, for a read that wants more of the shopper in the same statement: columns
    it adds (aliased subqueries on the customer's id, or columns of a table it joins) arrive as
    attributes of the customer row."""
    return (Customer.select().where((Customer.shop == shop_id) & (Customer.platform_id == platform_id))
            .limit(1).objects())


@Prepared
def _by_platform_id(shop_id: int, platform_id: str):
    return finding(shop_id, platform_id)


def require(shop_id: int, platform_id: str) -> Customer:
    """The shop's customer, or NotFound (404): another shop's customer is not found either."""
    customer = find(shop_id, platform_id)
    if customer is None:
        raise NotFound(f"no customer {platform_id!r} in this shop")
    return customer


def search(shop_id: int, text: str, before: int | None, limit: int) -> list[Customer]:
    """Newest first; every word must match the email, a name (contains) or the platform id (equal)."""
    query = Customer.select().where(Customer.shop == shop_id)
    for term in text.split()[:MAX_TERMS]:
        query = query.where(Customer.email.contains(term) | Customer.first_name.contains(term)
                            | Customer.last_name.contains(term) | (Customer.platform_id == term))
    if before:
        query = query.where(Customer.id < before)
    return list(query.order_by(Customer.id.desc()).limit(limit))


def balance_totals(shop_id: int, ids: list[int]) -> dict[int, int]:
    """Each listed customer's balance over every point type (absent: no balance row yet)."""
    if not ids:
        return {}
    rows = (Balance.select(Balance.customer, fn.SUM(Balance.points))
            .where((Balance.shop == shop_id) & Balance.customer.in_(ids)).group_by(Balance.customer).tuples())
    return {customer_id: int(total) for customer_id, total in rows}


def tiers_held(shop_id: int, ids: list[int]) -> dict[int, str]:
    """The tier id each listed customer holds (absent: none yet)."""
    if not ids:
        return {}
    return dict(CustomerTier.select(CustomerTier.customer, CustomerTier.tier_id)
                .where((CustomerTier.shop == shop_id) & CustomerTier.customer.in_(ids)).tuples())


def ensure(shop_id: int, platform_id: str, profile: dict | None = None) -> Customer:
    """The customer row for a platform id, created on first sight; profile fields fill blanks."""
    return ensure_many(shop_id, {platform_id: profile})[platform_id]


def ensure_many(shop_id: int, profiles: dict[str, dict | None]) -> dict[str, Customer]:
    """Customers by platform id, creating the missing ones in one statement (concurrent-safe);
    the profile's names and e-mail fill blanks, its contact details and consent (plugin.customers.contact)
    are kept up to date."""
    wanted = {pid: {k: v for k, v in (profile or {}).items() if k in PROFILE_FIELDS and v}
              for pid, profile in profiles.items()}

    def load() -> dict[str, Customer]:
        return {c.platform_id: c for c in Customer.select().where(
            (Customer.shop == shop_id) & Customer.platform_id.in_(list(wanted)))}

    found = load()
    missing = [pid for pid in wanted if pid not in found]
    if missing:  # a concurrent worker may create some of them first: ignore, then read back
        insert_rows(Customer, [
            {"shop": shop_id, "platform_id": pid, **{f: wanted[pid].get(f) for f in PROFILE_FIELDS},
             **contact.columns(profiles[pid] or {})}
            for pid in missing
        ], ignore_conflicts=True)
        found = load()
    for pid, profile in wanted.items():
        customer = found[pid]
        changed = {k: v for k, v in profile.items() if getattr(customer, k) != v}
        changed.update(contact.changes(customer, profiles[pid] or {}))
        if changed:
            Customer.update(**changed).where(Customer.id == customer.id).execute()
            for name, value in changed.items():
                setattr(customer, name, value)
    return found
