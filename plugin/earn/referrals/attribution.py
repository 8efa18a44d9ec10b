"""Attribution: by the code at sign-up or the widget's claim, or on the friend's first paid order."""

from __future__ import annotations

import logging

from plugin.core import clock
from plugin.core.errors import Invalid, NotFound
from plugin.core.models import Customer, Order, Referral, ReferralCode
from plugin.core.status import ReferralStatus, ReferralVia
from plugin.earn.referrals.codes import code_owner, codes_at_signup, codes_on_order
from plugin.earn.referrals.rewards import pay
from plugin.earn.referrals.risk import assess, score_of
from plugin.program import versions

log = logging.getLogger(__name__)


def on_signup(customer: Customer, profile: dict, program: dict, version: int | None,
              event_id: int | None = None) -> Referral | None:
    """A sign-up naming a referral code (note or tag): attribute it, and pay a sign-up welcome."""
    if not program.get("referrals"):
        return None
    for code in codes_at_signup(profile):
        owner = code_owner(customer.shop_id, code)
        if owner is not None:
            return _attribute(customer, owner, ReferralVia.SIGNUP_CODE, program, version, profile=profile,
                              event_id=event_id)
    return None


def claim(customer: Customer, code: str) -> Referral:
    """The widget's explicit "I was invited with this code", for a shopper without orders yet."""
    version, program = versions.current(customer.shop_id)
    if not program.get("referrals"):
        raise Invalid("this store has no referral program")
    owner = code_owner(customer.shop_id, code)
    if owner is None:
        raise NotFound(f"no referral code {code!r} in this store")
    existing = Referral.get_or_none((Referral.shop == customer.shop_id) & (Referral.friend == customer.id))
    if existing is not None:
        return existing
    if Order.select().where(Order.customer == customer.id).exists():
        raise Invalid("a referral code counts only before the first order")
    return _attribute(customer, owner, ReferralVia.SIGNUP_CODE, program, version)


def on_orders(shop_id: int, program: dict, version: int | None, rows: list[dict],
              events: dict[str, int] | None = None) -> None:
    """First paid orders just recorded (rows as ``apply.orders_paid`` inserts them): attribute
    by discount code or landing parameter, or complete a referral made at sign-up."""
    rule = program.get("referrals")
    firsts = [row for row in rows if row["first_order"] and row["customer"]]
    if not rule or not firsts:
        return
    events = events or {}
    known = {ref.friend_id: ref for ref in Referral.select().where(
        (Referral.shop == shop_id) & Referral.friend.in_([row["customer"] for row in firsts]))}
    friends = {c.id: c for c in Customer.select().where(Customer.id.in_([row["customer"] for row in firsts]))}
    for row in firsts:
        friend, order = friends[row["customer"]], row["order"]
        ref = known.get(friend.id)
        if ref is None:
            for code, via in codes_on_order(order):
                owner = code_owner(shop_id, code)
                if owner is not None:
                    _attribute(friend, owner, via, program, version, order=order,
                               event_id=events.get(order["order_id"]))
                    break
        elif ref.friend_order_id is None and ref.status in (ReferralStatus.PENDING, ReferralStatus.APPROVED,
                                                             ReferralStatus.BLOCKED):
            _first_order(ref, friend, order, program, version, events.get(order["order_id"]))


def _attribute(friend: Customer, owner: ReferralCode, via: str, program: dict, version: int | None, *,
               profile: dict | None = None, order: dict | None = None,
               event_id: int | None = None) -> Referral:
    """Record the referral once per friend (the first attribution wins), scored, maybe blocked."""
    rule = program["referrals"]
    referrer = Customer.get_by_id(owner.customer_id)
    reasons = assess(friend.shop_id, rule, referrer, friend, via=via, profile=profile, order=order)
    score = score_of(reasons)
    now = clock.now()
    Referral.insert(
        shop=friend.shop_id, referrer=referrer.id, friend=friend.id, code=owner.code, attributed_via=via,
        status=ReferralStatus.BLOCKED if score >= rule["block_score"] else ReferralStatus.PENDING,
        risk_score=score, reasons=reasons,
        friend_order_id=order["order_id"] if order else None, created_at=now,
        decided_at=now if score >= rule["block_score"] else None,
    ).on_conflict_ignore().execute()
    ref = Referral.get((Referral.shop == friend.shop_id) & (Referral.friend == friend.id))
    if ref.status == ReferralStatus.BLOCKED:
        log.info("referral %s blocked: %s", ref.id, ", ".join(reasons))
    elif rule["friend_reward_on"] == "signup" or ref.friend_order_id:
        pay(ref, "friend", program, version, event_id=event_id)
    return ref


def _first_order(ref: Referral, friend: Customer, order: dict, program: dict, version: int | None,
                 event_id: int | None) -> None:
    """The friend of a sign-up referral paid a first order: check it too, then the welcome."""
    rule = program["referrals"]
    referrer = Customer.get_by_id(ref.referrer_id)
    added = [r for r in assess(ref.shop_id, rule, referrer, friend, via=ref.attributed_via, order=order)
             if r not in ref.reasons and r != "too_many_this_week"]
    ref.friend_order_id, ref.reasons = order["order_id"], ref.reasons + added
    ref.risk_score = score_of(ref.reasons)
    if ref.status == ReferralStatus.PENDING and ref.risk_score >= rule["block_score"]:
        ref.status, ref.decided_at = ReferralStatus.BLOCKED, clock.now()
    ref.save(only=[Referral.friend_order_id, Referral.reasons, Referral.risk_score, Referral.status,
                   Referral.decided_at])
    if ref.status in (ReferralStatus.PENDING, ReferralStatus.APPROVED):
        pay(ref, "friend", program, version, event_id=event_id)
