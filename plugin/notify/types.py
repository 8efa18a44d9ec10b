"""The kinds of outbound message: what each tells, whether a shopper may get it by e-mail or SMS,
whether it is on by default once mail is set up, and whether it is marketing (needs consent).

Every message also goes to the webhook subscriptions that asked for its type, whatever the shop
chose for e-mail and SMS. Service messages (balance, expiry, tier) need no consent under 38-FZ
art. 18; marketing messages (offers, campaigns) go only to shoppers who gave it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MessageType:
    name: str
    shopper: bool = True  # may go to the shopper by e-mail or SMS (else only to webhooks)
    default_on: bool = False  # e-mail is on by default once the shop has mail
    marketing: bool = False


POINTS_EARNED = "points.earned"
POINTS_SPENT = "points.spent"
POINTS_REVERSED = "points.reversed"
POINTS_EXPIRING = "points.expiring"
POINTS_EXPIRED = "points.expired"
POINTS_ADJUSTED = "points.adjusted"
TIER_CHANGED = "tier.changed"
TIER_DOWNGRADE_WARNING = "tier.downgrade_warning"
TIER_APPROACHING = "tier.approaching"
REWARD_ISSUED = "reward.issued"
REFERRAL_REWARDED = "referral.rewarded"
BIRTHDAY_GRANTED = "birthday.granted"
REDEMPTION_COMMITTED = "redemption.committed"
REDEMPTION_RELEASED = "redemption.released"
CAMPAIGN_STARTED = "campaign.started"

TYPES: dict[str, MessageType] = {t.name: t for t in (
    MessageType(POINTS_EARNED, default_on=True),
    MessageType(POINTS_SPENT),
    MessageType(POINTS_REVERSED),
    MessageType(POINTS_EXPIRING, default_on=True),
    MessageType(POINTS_EXPIRED, default_on=True),
    MessageType(POINTS_ADJUSTED),
    MessageType(TIER_CHANGED, default_on=True),
    MessageType(TIER_DOWNGRADE_WARNING, default_on=True),
    MessageType(TIER_APPROACHING, default_on=True),
    MessageType(REWARD_ISSUED),
    MessageType(REFERRAL_REWARDED, default_on=True),
    MessageType(BIRTHDAY_GRANTED, default_on=True),
    MessageType(REDEMPTION_COMMITTED, shopper=False),
    MessageType(REDEMPTION_RELEASED, shopper=False),
    MessageType(CAMPAIGN_STARTED, marketing=True),
)}

ALL = "*"  # a subscription or an unsubscription that covers every type
