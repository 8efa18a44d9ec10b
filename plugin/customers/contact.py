"""How to reach a shopper and what they agreed to, from what their platform says: the phone as E.164
digits, their language and time zone, and marketing consent (38-FZ art. 18: when and where it was
given; a platform that says it was withdrawn clears it).

A canonical customer profile (webhooks.mapped) may carry ``phone``, ``locale``, ``time_zone`` and
``marketing_consent`` (True, False, or absent/None when the platform does not say), with
``marketing_consent_at`` (ISO 8601) and ``marketing_consent_source``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plugin.core import clock
from plugin.core.models import Customer

CONSENT = ("marketing_consent_at", "marketing_consent_source")
COLUMNS = ("phone", "locale", "time_zone", *CONSENT)
LANGUAGE = re.compile(r"^([a-z]{2,3})(?:[-_][A-Za-z0-9]+)*$", re.IGNORECASE)


def phone_digits(raw: str | None) -> str | None:
    """E.164 without the plus (what SMS gateways take); a Russian 8-prefix becomes 7; None if unusable."""
    digits = re.sub(r"\D", "", raw or "")
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits if 10 <= len(digits) <= 15 else None


def language(raw: str | None) -> str | None:
    """The language of a locale: ``ru-RU`` -> ``ru``."""
    match = LANGUAGE.match(raw or "")
    return match.group(1).lower() if match else None


def time_zone(raw: str | None) -> str | None:
    if not raw or len(raw) > 64:
        return None
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return raw


def _moment(raw: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None
    except ValueError:
        moment = None
    if moment is None:
        return clock.now()
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def stated(profile: dict) -> dict:
    """The Customer columns a profile states (absent where it says nothing)."""
    found = {"phone": phone_digits(profile.get("phone")), "locale": language(profile.get("locale")),
             "time_zone": time_zone(profile.get("time_zone"))}
    found = {name: value for name, value in found.items() if value}
    consent = profile.get("marketing_consent")
    if consent is True:
        found.update(marketing_consent_at=_moment(profile.get("marketing_consent_at")),
                     marketing_consent_source=(profile.get("marketing_consent_source") or "platform")[:64])
    elif consent is False:
        found.update(dict.fromkeys(CONSENT))
    return found


def columns(profile: dict) -> dict:
    """Every contact column of a new customer (None where the profile says nothing)."""
    return {**dict.fromkeys(COLUMNS), **stated(profile)}


def changes(customer: Customer, profile: dict) -> dict:
    """What to update on a customer: consent already recorded keeps when and where it was first given;
    a redacted shopper (plugin.privacy) gets no contact details back."""
    if customer.redacted_at:
        return {}
    found = stated(profile)
    if customer.marketing_consent_at and found.get("marketing_consent_at"):
        for name in CONSENT:
            found.pop(name)
    return {name: value for name, value in found.items() if getattr(customer, name) != value}
