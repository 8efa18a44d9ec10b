"""The program's rules in words, for shoppers, built only from the loaded program document.

Every sentence comes from the same dict the engine evaluates (plugin.program.document.load), so
the page cannot promise what the engine does not do. Campaigns for named customers are left
out: they are personal, not public rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from plugin.core.i18n import day, money, translate
from plugin.program.earning import naive


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)


class Words:
    """Translation and formatting bound to one language and currency."""

    def __init__(self, lang: str, currency: str, program: dict):
        self.lang, self.currency, self.program = lang, currency, program

    def __call__(self, key: str, **values) -> str:
        return translate(self.lang, "rules." + key, **values)

    def points(self, n: int | Decimal) -> str:
        return translate(self.lang, "points", n=n)

    def money(self, amount: Decimal) -> str:
        return money(amount, self.currency, self.lang)

    def text(self, texts: dict | None, fallback: str) -> str:
        """A text of the program in this language, else English, else any, else ``fallback``."""
        texts = texts or {}
        return texts.get(self.lang) or texts.get("en") or next(iter(texts.values()), None) or fallback

    def point_type(self, name: str) -> str:
        spec = self.program["point_types"].get(name) or {}
        return self.text(spec.get("label"), name.replace("_", " "))

    def names(self, items: list[str]) -> str:
        return ", ".join(self("quoted", name=item) for item in items)


def describe(program: dict, lang: str, shop_currency: str, now: datetime) -> list[Section]:
    """The sections of the rules page, in order, each with its sentences; empty ones are left out."""
    w = Words(lang, shop_currency, program)  # the shop's one currency (a program names no other)
    sections = [_earning(w), _point_types(w), _redemption(w), _rewards(w), _tiers(w),
                _bonuses(w), _referrals(w), _campaigns(w, now), _transfers(w)]
    return [section for section in sections if section.lines]


def rate_sentence(w: Words, rate: dict) -> str:
    if rate["kind"] == "percent":
        return w("rate_percent", points=w.points(rate["percent"]), amount=w.money(Decimal(100)))
    if rate["kind"] == "per_amount":
        return w("rate_per_amount", points=w.points(rate["points"]), amount=w.money(rate["per"]))
    return "; ".join(
        w("band_open", low=w.money(band["min"]), points=w.points(band["points"])) if band["max"] is None
        else w("band", low=w.money(band["min"]), high=w.money(band["max"]), points=w.points(band["points"]))
        for band in rate["bands"])


def _earning(w: Words) -> Section:
    earning = w.program["earning"]
    out = Section(w("earning"), [rate_sentence(w, earning["rate"]) + ".",
                                 w("earning_type", type=w.point_type(earning["point_type"])),
                                 w("rounding_" + earning["rounding"])])
    counted = [w("counted_lines")]
    counted.append(w("with_shipping") if earning["include_shipping"] else w("without_shipping"))
    counted.append(w("with_tax") if earning["include_tax"] else w("without_tax"))
    out.lines.append(" ".join(counted))
    for rule in earning["category_rules"]:
        if rule.get("rate") is not None:
            out.lines.append(w("category_rate", category=rule["category"],
                               rate=rate_sentence(w, rule["rate"])))
        else:
            out.lines.append(w("category_multiplier", category=rule["category"], factor=rule["multiplier"]))
    if earning["exclude_categories"]:
        out.lines.append(w("earn_excluded", categories=w.names(earning["exclude_categories"])))
    if earning["exclude_sale_items"]:
        out.lines.append(w("earn_no_sale_items"))
    if earning["min_order"]:
        out.lines.append(w("min_order", amount=w.money(earning["min_order"])))
    if earning["first_order_min_points"]:
        out.lines.append(w("first_order", points=w.points(earning["first_order_min_points"])))
    limits = earning["limits"]
    if limits["per_day"] is not None:
        out.lines.append(w("limit_day", points=w.points(limits["per_day"])))
    if limits["per_month"] is not None:
        out.lines.append(w("limit_month", points=w.points(limits["per_month"])))
    if earning["pending_days"]:
        out.lines.append(w("pending", n=earning["pending_days"]))
    out.lines.append(w("reversal_" + w.program["reversal_policy"]))
    return out


def _point_types(w: Words) -> Section:
    out = Section(w("point_types"))
    for name, spec in w.program["point_types"].items():
        expiry = spec["expiry"]
        line = w.point_type(name) + ": " + (
            w("expiry_days", n=expiry["days"]) if expiry["kind"] == "days" else w("expiry_" + expiry["kind"]))
        cap = spec.get("redemption_cap")
        if cap:
            line += " " + (w("cap_category", percent=cap["percent"], category=cap["category"])
                           if cap["category"] else w("cap", percent=cap["percent"]))
        out.lines.append(line)
    return out


def _redemption(w: Words) -> Section:
    rule = w.program["redemption"]
    out = Section(w("redemption"), [w("point_value", points=w.points(1), amount=w.money(rule["point_value"])),
                                    w("hold", n=rule["hold_minutes"])])
    if rule["exclude_categories"]:
        out.lines.append(w("pay_excluded", categories=w.names(rule["exclude_categories"])))
    if rule["exclude_sale_items"]:
        out.lines.append(w("pay_no_sale_items"))
    return out


def _rewards(w: Words) -> Section:
    out = Section(w("rewards"))
    value = w.program["redemption"]["point_value"]
    for reward in w.program["rewards"]:
        cost = w.points(reward["points"])
        kind = reward["kind"]
        if kind == "amount_off":
            what = w("reward_amount_off", amount=w.money(Decimal(reward["points"]) * value), points=cost)
        elif kind in ("fixed_amount", "coupon"):
            what = w("reward_" + kind, amount=w.money(reward["amount"]), points=cost,
                     n=reward.get("valid_days") or 0)
        elif kind == "percentage":
            what = w("reward_percentage", percent=reward["percent"], points=cost)
        else:
            what = w("reward_" + kind, points=cost)
        line = w.text(reward["title"], reward["id"]) + ": " + what
        if reward["min_order"]:
            line += " " + w("reward_min_order", amount=w.money(reward["min_order"]))
        if reward.get("tiers"):
            line += " " + w("reward_tiers", tiers=w.names([_tier_title(w, t) for t in reward["tiers"]]))
        out.lines.append(line)
    return out


def _tier_title(w: Words, tier_id: str) -> str:
    tiers = (w.program.get("tiers") or {}).get("tiers") or []
    tier = next((tier for tier in tiers if tier["id"] == tier_id), None)
    return w.text(tier["title"] if tier else None, tier_id)


def _tiers(w: Words) -> Section:
    rules = w.program.get("tiers")
    out = Section(w("tiers"))
    if not rules:
        return out
    out.lines.append(w("tier_metric_" + rules["metric"]) + " " + w("tier_window_" + rules["window"]))
    for tier in rules["tiers"]:
        if tier["hidden"]:
            continue
        threshold = tier["threshold"]
        if rules["metric"] == "amount_spent":
            start = w.money(threshold)
        elif rules["metric"] == "orders":
            start = translate(w.lang, "orders", n=threshold)
        else:
            start = w.points(threshold)
        perks = []
        if tier["earn_multiplier"] != 1:
            perks.append(w("perk_multiplier", factor=tier["earn_multiplier"]))
        if tier["discount_percent"]:
            perks.append(w("perk_discount", percent=tier["discount_percent"]))
        if tier["free_shipping_threshold"] is not None:
            perks.append(w("perk_free_shipping", amount=w.money(tier["free_shipping_threshold"])))
        if tier["entry_bonus"]:
            perks.append(w("perk_entry_bonus", points=w.points(tier["entry_bonus"])))
        line = w("tier_from", tier=w.text(tier["title"], tier["id"]), start=start)
        out.lines.append(line + (": " + "; ".join(perks) if perks else ""))
    if rules["grace_days"]:
        out.lines.append(w("tier_grace", n=rules["grace_days"]))
    return out


def _bonuses(w: Words) -> Section:
    out, p = Section(w("bonuses")), w.program
    if p.get("signup") and p["signup"]["points"]:
        out.lines.append(w("signup", points=w.points(p["signup"]["points"]),
                           type=w.point_type(p["signup"]["point_type"])))
    if p.get("birthday") and p["birthday"]["points"]:
        out.lines.append(w("birthday", points=w.points(p["birthday"]["points"]),
                           type=w.point_type(p["birthday"]["point_type"])))
    if p.get("reviews") and p["reviews"]["points"]:
        line = w("review", points=w.points(p["reviews"]["points"]),
                 type=w.point_type(p["reviews"]["point_type"]))
        if p["reviews"]["monthly_cap"]:
            line += " " + w("review_cap", n=p["reviews"]["monthly_cap"])
        out.lines.append(line)
    for name, activity in (p.get("activities") or {}).items():
        if activity["points"]:
            out.lines.append(w("activity", name=name.replace("_", " "), points=w.points(activity["points"]))
                             + " " + w("activity_" + activity["limit"]))
    return out


def _referrals(w: Words) -> Section:
    rule = w.program.get("referrals")
    out = Section(w("referrals"))
    if not rule:
        return out
    out.lines.append(w("referral_friend_" + rule["friend_reward_on"], points=w.points(rule["friend_points"])))
    out.lines.append(w("referral_referrer", points=w.points(rule["referrer_points"]), n=rule["pending_days"]))
    out.lines.append(w("referral_limit", n=rule["max_per_week"]))
    return out


def _campaigns(w: Words, now: datetime) -> Section:
    out = Section(w("campaigns"))
    for campaign in w.program["campaigns"]:
        if campaign["customers"] or not naive(campaign["starts_at"]) <= now < naive(campaign["ends_at"]):
            continue
        parts = []
        if campaign.get("multiplier") is not None:
            parts.append(w("campaign_multiplier", factor=campaign["multiplier"]))
        if campaign["bonus"]:
            parts.append(w("campaign_bonus", points=w.points(campaign["bonus"])))
        line = f"{campaign['name']}: " + "; ".join(parts)
        if campaign["categories"]:
            line += " " + w("campaign_categories", categories=w.names(campaign["categories"]))
        out.lines.append(line + " " + w("campaign_until", date=day(naive(campaign["ends_at"]), w.lang)))
    return out


def _transfers(w: Words) -> Section:
    rule = w.program.get("transfers")
    out = Section(w("transfers"))
    if not rule or not rule["enabled"]:
        return out
    out.lines.append(w("transfer", points=w.points(rule["min_points"])))
    if rule["max_per_transfer"] is not None:
        out.lines.append(w("transfer_max", points=w.points(rule["max_per_transfer"])))
    if rule["max_per_day"] is not None:
        out.lines.append(w("transfer_day", points=w.points(rule["max_per_day"])))
    return out
