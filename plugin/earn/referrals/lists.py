"""The owner's list of referrals and a customer's own, newest first."""

from __future__ import annotations

import peewee

from plugin.core.models import Customer, Referral
from plugin.customers.naming import name_of


def page(shop_id: int, *, status: str | None = None, before: int | None = None,
         limit: int = 50) -> list[Referral]:
    """Newest-first referrals of the shop, optionally of one status (the owner's review list)."""
    query = Referral.select().where(Referral.shop == shop_id)
    if status:
        query = query.where(Referral.status == status)
    if before:
        query = query.where(Referral.id < before)
    return list(query.order_by(Referral.id.desc()).limit(limit))


def of_customer(customer: Customer, limit: int = 20) -> list[dict]:
    """Friends this customer invited, and who invited them, newest first, with the other side's
    platform id (one query; the customer page and the admin API show the same list)."""
    other = Customer.alias()
    rows = (Referral.select(Referral, other.platform_id.alias("other_id"), other.first_name, other.last_name,
                            other.email)
            .join(other, peewee.JOIN.INNER, on=(
                ((Referral.referrer == customer.id) & (other.id == Referral.friend))
                | ((Referral.friend == customer.id) & (other.id == Referral.referrer))))
            .where((Referral.shop == customer.shop_id)
                   & ((Referral.referrer == customer.id) | (Referral.friend == customer.id)))
            .order_by(Referral.id.desc()).limit(limit).objects())
    return [{"role": "invited" if ref.referrer_id == customer.id else "invited_by",
             "other": ref.other_id,
             "other_name": name_of(ref.first_name, ref.last_name, ref.email, ref.other_id),
             "status": ref.status, "created_at": ref.created_at,
             "risk_score": ref.risk_score} for ref in rows]
