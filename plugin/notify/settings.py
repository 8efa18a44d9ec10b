"""A shop's notification settings, with the defaults a shop that never opened the page gets.

Once mail is configured (the environment's ``LOYALTY_SMTP_URL`` or the shop's own server), the
service messages marked ``default_on`` in plugin.notify.types go out by e-mail; the owner turns
each off or on, per channel. SMS is off until the owner picks a gateway and the messages for it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from plugin.core import clock
from plugin.core.kinds import DeliveryChannel
from plugin.core.models import NotifySettings, Shop
from plugin.notify.types import TYPES


@dataclass(frozen=True)
class Settings:
    language: str  # the shoppers' language when a shopper has none of their own
    time_zone: str  # IANA name, for quiet hours and dates, when a shopper has none
    email: dict[str, bool] = field(default_factory=dict)  # type -> on/off (absent: the type's default)
    sms: dict[str, bool] = field(default_factory=dict)  # type -> on/off (absent: off)
    mail_from: str | None = None  # the shop's own sender (overrides LOYALTY_MAIL_FROM)
    sms_provider: str | None = None  # plugin.notify.sms provider name; None: no SMS
    sms_config: dict = field(default_factory=dict)  # the provider's settings, without its secret
    quiet_hours: tuple[int, int] = (21, 9)  # no SMS from 21:00 to 09:00, shopper's time
    sms_daily_cap: int = 2  # SMS per shopper per day, at most
    tier_approach_percent: int = 10  # "you are X from <tier>" once within this share of its threshold
    brand_colour: str = "#2f6f4f"
    logo_url: str | None = None

    def enabled(self, channel: str, type_name: str) -> bool:
        kind = TYPES[type_name]
        if not kind.shopper:
            return False
        if channel == DeliveryChannel.EMAIL:
            return self.email.get(type_name, kind.default_on)
        if channel == DeliveryChannel.SMS:
            return self.sms_provider is not None and self.sms.get(type_name, False)
        return False


def defaults(shop: Shop) -> Settings:
    russian = shop.currency == "RUB"
    return Settings(language="ru" if russian else "en", time_zone="Europe/Moscow" if russian else "UTC")


FIELDS = {f.name for f in dataclasses.fields(Settings)}


def load(shop: Shop) -> Settings:
    row = NotifySettings.get_or_none(NotifySettings.shop == shop.id)
    base = defaults(shop)
    if row is None:
        return base
    stored = {name: value for name, value in row.data.items() if name in FIELDS}
    if "quiet_hours" in stored:
        stored["quiet_hours"] = tuple(stored["quiet_hours"])
    return dataclasses.replace(base, **stored)


def save(shop: Shop, **changes) -> Settings:
    """Store changed fields (validated by the caller: the admin API's schema); returns the result."""
    unknown = set(changes) - FIELDS
    if unknown:
        raise ValueError(f"no such setting: {', '.join(sorted(unknown))}")
    merged = dataclasses.replace(load(shop), **changes)
    data = {name: value for name, value in dataclasses.asdict(merged).items()}
    (NotifySettings.insert(shop=shop.id, data=data, updated_at=clock.now())
     .on_conflict(conflict_target=[NotifySettings.shop],
                  update={NotifySettings.data: data, NotifySettings.updated_at: clock.now()})
     .execute())
    return merged
