"""A referral code per customer, the link and share texts, and the codes a sign-up or an order names."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlsplit

import peewee

from plugin.core.db import database
from plugin.core.i18n import LANGUAGES, translate
from plugin.core.models import Customer, ReferralCode, Shop
from plugin.core.status import ReferralVia

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
CODE_LENGTH = 8
_CODE_IN_TEXT = re.compile(r"\bref(?:erral)?\s*[:=#]?\s*([A-Za-z0-9]{4,32})\b", re.IGNORECASE)


def code_for(customer: Customer) -> ReferralCode:
    """The customer's referral code, created on first use (concurrent calls agree on one)."""
    for _ in range(5):
        found = ReferralCode.get_or_none(ReferralCode.customer == customer.id)
        if found is not None:
            return found
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with database.atomic():
                return ReferralCode.create(shop=customer.shop_id, customer=customer.id, code=code)
        except peewee.IntegrityError:  # the customer got a code meanwhile, or the code is taken
            continue
    raise RuntimeError("could not allocate a referral code")


def link_for(shop: Shop, code: str) -> str:
    return f"https://{shop.domain}/?ref={code}"


def share_texts(shop: Shop, program: dict, code: str) -> dict[str, str]:
    """The texts of the share buttons, in the widget's languages."""
    rule = program.get("referrals") or {}
    key = "referral.share." + ("signup" if rule.get("friend_reward_on") == "signup" else "first_order")
    return {lang: translate(lang, key, shop=shop.name or shop.domain, link=link_for(shop, code),
                            points=translate(lang, "points", n=rule.get("friend_points", 0)))
            for lang in LANGUAGES}


def code_owner(shop_id: int, code: str | None) -> ReferralCode | None:
    if not code:
        return None
    return ReferralCode.get_or_none((ReferralCode.shop == shop_id)
                                    & (ReferralCode.code == code.strip().upper()))


def codes_at_signup(profile: dict) -> list[str]:
    """Codes a sign-up names: ``ref:<code>`` in the note or tags, or a note that is only a code."""
    note, tags = (profile.get("note") or "").strip(), profile.get("tags") or ""
    found = _CODE_IN_TEXT.findall(note) + _CODE_IN_TEXT.findall(tags.replace(",", " "))
    if re.fullmatch(r"[A-Za-z0-9]{4,32}", note):
        found.append(note)
    return found


def codes_on_order(order: dict) -> list[tuple[str, str]]:
    """(code, how) candidates of an order: its discount codes, then ``ref`` in its landing site."""
    found = [(code, ReferralVia.ORDER_DISCOUNT_CODE) for code in order.get("discount_codes") or []]
    landing = order.get("landing_site") or ""
    found += [(code, ReferralVia.LANDING_PARAM) for code in parse_qs(urlsplit(landing).query).get("ref", [])]
    ref = (order.get("note_attributes") or {}).get("ref")
    if ref:
        found.append((ref, ReferralVia.LANDING_PARAM))  # a theme that copies ?ref= into the cart attributes
    return found
