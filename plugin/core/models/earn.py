"""Ways to earn besides orders (activation codes, activities, referrals, games) and notices to send."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.base import JSONField
from plugin.core.models.base import BaseModel
from plugin.core.models.ledger import Lot
from plugin.core.models.shops import Customer, Shop
from plugin.core.status import ReferralStatus


class ActivationCode(BaseModel):
    """A single-use code worth points (a partner club card, a discount card carried over)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    batch = pw.CharField(max_length=64)
    code = pw.CharField(max_length=64)
    points = pw.BigIntegerField()
    point_type = pw.CharField(max_length=32)
    created_at = pw.DateTimeField(default=clock.now)
    redeemed_by = pw.ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    redeemed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "activation_code"
        indexes = ((("shop", "code"), True), (("shop", "batch"), False))


class Activity(BaseModel):
    """A custom action the store reported (follow, survey...), idempotent by the store's id."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    activity_id = pw.CharField(max_length=255)
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    name = pw.CharField(max_length=64)
    points = pw.BigIntegerField(default=0)
    outcome = pw.CharField(max_length=32)  # ActivityOutcome
    lot = pw.ForeignKeyField(Lot, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("shop", "activity_id"), True), (("customer", "name"), False))


class Notice(BaseModel):
    """Something to tell a shopper later (points expiring soon...), for the notifications issue."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    kind = pw.CharField(max_length=64)
    key = pw.CharField(max_length=255)  # unique per shop: a notice is recorded once
    data = JSONField()
    created_at = pw.DateTimeField(default=clock.now)
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("shop", "key"), True), (("customer", "kind"), False))


class Badge(BaseModel):
    """A badge a customer earned (plugin.earn.games); once per badge id."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    badge_id = pw.CharField(max_length=64)
    earned_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("customer", "badge_id"), True),)


class ChallengeProgress(BaseModel):
    """How far a customer is in a time-boxed challenge (recomputed from orders, reviews)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    challenge_id = pw.CharField(max_length=64)
    progress = pw.DecimalField(max_digits=18, decimal_places=4, default=0)
    completed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "challenge_progress"
        indexes = ((("customer", "challenge_id"), True),)


class QuestProgress(BaseModel):
    """The number of a quest's ordered steps a customer has done."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    quest_id = pw.CharField(max_length=64)
    step = pw.IntegerField(default=0)
    completed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "quest_progress"
        indexes = ((("customer", "quest_id"), True),)


class LeaderboardEntry(BaseModel):
    """A shopper's opt-in to the leaderboard, under the display name they chose (never an email)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", unique=True)
    display_name = pw.CharField(max_length=40)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "leaderboard_entry"


class ReferralCode(BaseModel):
    """A customer's own referral code (plugin.earn.referrals), shared as ``?ref=<code>`` or at checkout."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", unique=True)
    code = pw.CharField(max_length=32)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "referral_code"
        indexes = ((("shop", "code"), True),)


class Referral(BaseModel):
    """A friend attributed to a referrer: pending -> rewarded, or blocked by its risk until approved."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    referrer = pw.ForeignKeyField(Customer, on_delete="CASCADE", backref="referrals_made", index=False)
    friend = pw.ForeignKeyField(Customer, on_delete="CASCADE", backref="+")
    code = pw.CharField(max_length=32)
    attributed_via = pw.CharField(max_length=32)  # ReferralVia
    status = pw.CharField(max_length=16, default=ReferralStatus.PENDING)
    risk_score = pw.IntegerField(default=0)
    reasons = JSONField(default=list)
    friend_order_id = pw.CharField(max_length=64, null=True)
    created_at = pw.DateTimeField(default=clock.now)
    decided_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("shop", "friend"), True), (("referrer", "created_at"), False),
                   (("shop", "status", "id"), False))
