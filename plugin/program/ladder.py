"""The market's default tier ladder: where a program that turns tiers on starts (issue #15).

Points earned over the customer's lifetime; growing discounts, free shipping for the upper tiers,
and a hidden top tier the store gives by invitation. The owner edits it from there.
"""

from __future__ import annotations

#: The ``tiers`` section of a program document, as JSON (amounts as strings).
DEFAULT_LADDER: dict = {
    "metric": "points_earned",
    "window": "lifetime",
    "grace_days": 30,
    "tiers": [
        {"id": "novice", "title": {"ru": "Новичок", "en": "Newcomer"}, "threshold": "0",
         "discount_percent": "0"},
        {"id": "bronze", "title": {"ru": "Бронзовый", "en": "Bronze"}, "threshold": "1001",
         "discount_percent": "3"},
        {"id": "silver", "title": {"ru": "Серебряный", "en": "Silver"}, "threshold": "5001",
         "discount_percent": "5", "free_shipping_threshold": "0"},
        {"id": "gold", "title": {"ru": "Золотой", "en": "Gold"}, "threshold": "10001",
         "discount_percent": "7", "free_shipping_threshold": "0"},
        {"id": "platinum", "title": {"ru": "Платиновый", "en": "Platinum"}, "threshold": "0",
         "discount_percent": "10", "free_shipping_threshold": "0", "hidden": True},
    ],
}
