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

#: What each message's ``data`` holds, by example: the template editor previews with these and a
#: test send uses them. Points are integers, money and dates strings (ISO 8601, UTC); every
#: message about points carries the shopper's ``balance`` after the fact.
SAMPLES: dict[str, dict] = {
    POINTS_EARNED: {"points": 120, "balance": 860, "point_type": "regular", "source": "order",
                    "order_id": "1001", "expires_at": "2027-12-06T00:00:00+00:00"},
    POINTS_SPENT: {"points": 300, "balance": 560, "point_type": "regular"},
    POINTS_REVERSED: {"points": 40, "balance": 520, "point_type": "regular", "order_id": "1001"},
    POINTS_EXPIRING: {"points": 250, "balance": 860, "expires_at": "2026-12-20T00:00:00+00:00",
                      "lots": [{"points": 150, "expires_at": "2026-12-20T00:00:00+00:00"},
                               {"points": 100, "expires_at": "2026-12-31T00:00:00+00:00"}]},
    POINTS_EXPIRED: {"points": 150, "balance": 710, "point_type": "regular",
                     "lots": [{"points": 100, "expires_at": "2026-12-05T00:00:00+00:00"},
                              {"points": 50, "expires_at": "2026-12-06T00:00:00+00:00"}]},
    POINTS_ADJUSTED: {"points": -50, "balance": 660, "point_type": "regular",
                      "reason": "Goodwill correction"},
    TIER_CHANGED: {"from_tier": "silver", "from_name": "Silver", "to_tier": "gold", "to_name": "Gold",
                   "direction": "up"},
    TIER_DOWNGRADE_WARNING: {"tier": "gold", "tier_name": "Gold", "to_tier": "silver", "to_name": "Silver",
                             "on": "2027-01-01T00:00:00+00:00"},
    TIER_APPROACHING: {"tier": "gold", "tier_name": "Gold", "missing": "1500.00", "measure": "spend",
                       "currency": "RUB"},
    REWARD_ISSUED: {"reward": "free-shipping", "reward_name": "Free shipping", "points": 200,
                    "code": "LOY-7F3K2Q", "balance": 460},
    REFERRAL_REWARDED: {"points": 500, "balance": 1360, "friend": "Anna"},
    BIRTHDAY_GRANTED: {"points": 300, "balance": 1160, "year": 2026},
    REDEMPTION_COMMITTED: {"hold_id": 42, "code": "LOY-7F3K2Q", "points": 300, "order_id": "1002"},
    REDEMPTION_RELEASED: {"hold_id": 43, "code": "LOY-9XQ4TT", "points": 300},
    CAMPAIGN_STARTED: {"name": "Double points weekend", "factor": "2",
                       "ends_at": "2026-12-08T00:00:00+00:00"},
}
