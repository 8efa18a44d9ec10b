"""Fraud checks: each adds to a referral's risk score with a reason (``RISK``)."""

from __future__ import annotations

import re
from datetime import timedelta

from plugin.core import clock
from plugin.core.models import Customer, Order, Referral
from plugin.core.status import ReferralVia

IP_WINDOW = timedelta(days=30)
#: Risk added by each check; one of them alone reaches the default block score of 50.
RISK = {"same_customer": 100, "own_order": 100, "same_email": 60, "same_phone": 50,
        "same_address": 50, "same_ip": 50, "too_many_this_week": 50}
GMAIL = ("gmail.com", "googlemail.com")


def normalize_email(email: str | None) -> str | None:
    """Lower case without a +tag; Gmail addresses also without dots (they all reach one inbox)."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def normalize_phone(phone: str | None) -> str | None:
    """The last ten digits: '+1 (502) 459-2181' and '502.459.2181' are one phone."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 7 else None


def assess(shop_id: int, rule: dict, referrer: Customer, friend: Customer, *, via: str,
           profile: dict | None = None, order: dict | None = None) -> list[str]:
    """The reasons this referral looks like the referrer inviting themselves (see ``RISK``)."""
    now = clock.now()
    if referrer.id == friend.id:
        reasons = ["same_customer" if via == ReferralVia.SIGNUP_CODE else "own_order"]
    else:
        reasons = []
        rows = list(Order.select(Order.order, Order.created_at).where(
            (Order.shop == shop_id) & (Order.customer == referrer.id))
            .order_by(Order.id.desc()).limit(50).tuples())
        mine = [o for o, _ in rows]
        theirs = [o for o in (profile, order) if o]

        def shared(field, normalize=lambda v: v, extra=(None, None)) -> bool:
            left = {normalize(o.get(field)) for o in theirs} | {normalize(extra[0])}
            right = {normalize(o.get(field)) for o in mine} | {normalize(extra[1])}
            return bool((left - {None}) & right)

        if shared("email", normalize_email, (friend.email, referrer.email)):
            reasons.append("same_email")
        if shared("phone", normalize_phone):
            reasons.append("same_phone")
        if shared("address_hash"):
            reasons.append("same_address")
        if order and order.get("ip_hash") and any(  # an IP is shared for a while, then reassigned
                o.get("ip_hash") == order["ip_hash"] and now - seen <= IP_WINDOW for o, seen in rows):
            reasons.append("same_ip")
    recent = Referral.select().where((Referral.referrer == referrer.id)
                                     & (Referral.created_at > now - timedelta(days=7))).count()
    if recent >= rule["max_per_week"]:
        reasons.append("too_many_this_week")
    return reasons


def score_of(reasons: list[str]) -> int:
    return sum(RISK[reason] for reason in reasons)
