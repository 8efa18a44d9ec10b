"""Rewards: each side paid once (ledger keys ``referral:<id>:friend`` and ``referral:<id>:referrer``),
the referrer once the friend's first order is past the window; the owner's approval of a blocked one."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from plugin import ledger
from plugin.core import clock, reasons
from plugin.core.db import locking, session, write_transaction
from plugin.core.errors import Invalid, NotFound
from plugin.core.kinds import EntryKind
from plugin.core.models import Order, Referral, Shop
from plugin.core.status import ReferralStatus
from plugin.program import timing, versions

log = logging.getLogger(__name__)


def pay(ref: Referral, side: str, program: dict, version: int | None, *, event_id: int | None = None,
        actor: str | None = None, since: datetime | None = None) -> bool:
    """Grant one side's reward under the key ``referral:<id>:<side>``; False when paid before."""
    rule = program["referrals"]
    points = rule[f"{side}_points"]
    if not points:
        return False
    now = clock.now()
    pending = None
    if side == "friend" and rule["friend_reward_on"] == "first_order":  # spendable once the order is safe
        pending = timing.pending_until(rule["pending_days"], since or now)
        pending = pending if pending and pending > now else None
    written = ledger.grant_many(ref.shop_id, [ledger.Grant(
        ref.friend_id if side == "friend" else ref.referrer_id, points, source=f"referral:{ref.id}",
        rule={"referral": ref.id, "side": side}, key=f"referral:{ref.id}:{side}",
        point_type=rule["point_type"], event_id=event_id, actor=actor, program_version=version,
        reason=reasons.referral("friend" if side == "friend" else "referrer"),
        expires_at=timing.expires_at(program, rule["point_type"], now), pending_until=pending)],
        kind=EntryKind.BONUS)
    return bool(written)


def _settle(ref: Referral, order: Order | None, program: dict, version: int | None, *,
            actor: str | None = None) -> int:
    """Pay what is due once the friend's first order is past the window: void if it was taken
    back, else both sides (each once). Returns the rewards written."""
    if order is None:
        return 0
    now = clock.now()
    if order.cancelled or order.refunded > 0:
        Referral.update(status=ReferralStatus.VOID, decided_at=now).where(Referral.id == ref.id).execute()
        return 0
    if order.created_at > now - timedelta(days=program["referrals"]["pending_days"]):
        return 0
    paid = (pay(ref, "friend", program, version, actor=actor, since=order.created_at)
            + pay(ref, "referrer", program, version, actor=actor))
    Referral.update(status=ReferralStatus.REWARDED, decided_at=now).where(Referral.id == ref.id).execute()
    return paid


def _friend_order(ref: Referral) -> Order | None:
    if not ref.friend_order_id:
        return None
    return Order.get_or_none((Order.shop == ref.shop_id) & (Order.platform_id == ref.friend_order_id))


def approve(shop_id: int, referral_id: int, actor: str) -> Referral:
    """The owner lets a blocked referral through: the friend is paid now, the referrer once the
    friend's first order is past the window (now, if it already is). Approving again is a no-op."""
    with write_transaction():
        ref = locking(Referral.select().where(
            (Referral.id == referral_id) & (Referral.shop == shop_id))).first()
        if ref is None:
            raise NotFound(f"no referral {referral_id} in this shop")
        if ref.status != ReferralStatus.BLOCKED:
            return ref
        version, program = versions.current(shop_id)
        if not program.get("referrals"):
            raise Invalid("this store has no referral program")
        ref.status, ref.decided_at = ReferralStatus.APPROVED, clock.now()
        ref.save(only=[Referral.status, Referral.decided_at])
        order = _friend_order(ref)
        if program["referrals"]["friend_reward_on"] == "signup" or order is not None:
            pay(ref, "friend", program, version, actor=actor, since=order.created_at if order else None)
        _settle(ref, order, program, version, actor=actor)
        return Referral.get_by_id(ref.id)


def reward_due(batch_size: int = 500) -> int:
    """RQ cron job: settle pending and approved referrals whose friend's first order is past the
    program's pending window (rewarded, or void if it was refunded or cancelled)."""
    written = 0
    with session():
        for shop_id in [row.id for row in Shop.select(Shop.id).where(Shop.active).order_by(Shop.id)]:
            version, program = versions.current(shop_id)
            if program.get("referrals"):
                written += _reward_shop(shop_id, version, program, batch_size)
    if written:
        log.info("paid %s referral rewards", written)
    return written


def _reward_shop(shop_id: int, version: int | None, program: dict, batch_size: int) -> int:
    written, after = 0, 0
    cutoff = clock.now() - timedelta(days=program["referrals"]["pending_days"])
    while True:
        with write_transaction():
            refs = list(locking(
                Referral.select(Referral).join(Order, on=(
                    (Order.shop == Referral.shop) & (Order.platform_id == Referral.friend_order_id)))
                .where((Referral.shop == shop_id)
                       & Referral.status.in_((ReferralStatus.PENDING, ReferralStatus.APPROVED))
                       & (Order.created_at <= cutoff) & (Referral.id > after))
                .order_by(Referral.id).limit(batch_size)))
            orders = {o.platform_id: o for o in Order.select().where(
                (Order.shop == shop_id) & Order.platform_id.in_([r.friend_order_id for r in refs]))}
            for ref in refs:
                written += _settle(ref, orders.get(ref.friend_order_id), program, version)
        if len(refs) < batch_size:
            return written
        after = refs[-1].id
