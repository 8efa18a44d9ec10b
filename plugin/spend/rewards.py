"""The rewards catalog: what each reward would give on this cart, or why it cannot apply yet.

Every reward becomes an amount off this order (the code the store applies is single-use and for
this shopper only), except a coupon, which is for a later order and valid for its own days.
Why a reward cannot apply is a code with its parameters (``reason``), rendered in the shopper's
language from the catalogue keys ``reward.why.<code>`` (``why``), so a widget needs no texts of
its own. Without a cart (a launcher on a page that knows none) only a coupon can be redeemed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal

from plugin.core import i18n
from plugin.program import caps
from plugin.spend.redemption import CENT, Discount, RedemptionError

#: Why a reward cannot apply, in the order they are checked.
NO_CART, TIERS, POINTS = "no_cart", "tiers", "points"
NO_SHIPPING, NOT_IN_CART, EXCLUDED = "no_shipping", "not_in_cart", "excluded"
MIN_ORDER, CAP = "min_order", "cap"
NO_CART_ORDER = {"shipping": "0", "tax": "0", "currency": None, "lines": []}


def _title(reward: dict, lang: str) -> str:
    return reward["title"].get(lang) or reward["title"].get("en") or reward["id"]


def _value(program: dict, reward: dict, order: dict, payable_amount: Decimal) -> tuple[Decimal, dict | None]:
    """The amount a reward takes off this order, or why it gives nothing here."""
    kind = reward["kind"]
    if kind in ("fixed_amount", "coupon"):
        return reward["amount"], None
    if kind == "amount_off":
        return reward["amount_per_step"], None  # one step; the shopper picks how many
    if kind == "percentage":
        return (payable_amount * reward["percent"] / 100).quantize(CENT, rounding=ROUND_FLOOR), None
    if kind == "free_shipping":
        shipping = Decimal(order.get("shipping") or 0)
        return shipping, None if shipping > 0 else {"code": NO_SHIPPING}
    line = next((line for line in order["lines"] if line.get("product_id") == reward["product_id"]), None)
    if line is None:
        return Decimal(0), {"code": NOT_IN_CART}
    unit = Decimal(line["amount"]) / max(line.get("quantity") or 1, 1)
    if not Decimal(caps.payable(program, [line], {})["amount"]):
        return unit, {"code": EXCLUDED}  # a gift card, a sale item or an excluded category
    return unit, None


def _tiers_only(program: dict, reward: dict, tier_id: str | None, lang: str) -> dict | None:
    """Why a tier-only reward is closed to a shopper of another tier (None: open to them)."""
    if not reward["tiers"] or tier_id in reward["tiers"]:
        return None
    titles = {tier["id"]: tier["title"].get(lang) or tier["title"].get("en") or tier["id"]
              for tier in (program.get("tiers") or {}).get("tiers", [])}
    return {"code": TIERS, "tiers": ", ".join(titles.get(t, t) for t in reward["tiers"])}


def why(reason: dict | None, lang: str, currency: str | None) -> str | None:
    """The reason in the shopper's language; amounts with the shop's currency when it is known."""
    if reason is None:
        return None
    values = {name: (i18n.price(value, currency, lang) if currency else i18n.number(value, lang))
              if isinstance(value, Decimal) else value for name, value in reason.items() if name != "code"}
    return i18n.translate(lang, "reward.why." + reason["code"], **values)


def _reason(program: dict, reward: dict, order: dict, pays: dict, have: int, tier_id: str | None,
            lang: str) -> tuple[Decimal, dict | None]:
    """What the reward gives here and the first reason it cannot apply (None: it can)."""
    payable_amount = Decimal(pays["amount"])
    amount, reason = _value(program, reward, order, payable_amount)
    later = reward["kind"] == "coupon"  # for a later order: this cart's minimum and caps do not apply
    cap = pays["by_type"].get(reward["point_type"], 0) * program["redemption"]["point_value"]
    if not order["lines"] and not later:
        reason = {"code": NO_CART}  # what an empty cart lacks says nothing: it is not the cart yet
    if have < reward["points"]:
        reason = {"code": POINTS, "n": reward["points"], "have": have}
    reason = _tiers_only(program, reward, tier_id, lang) or reason
    if reason is None and not later and payable_amount < reward["min_order"]:
        reason = {"code": MIN_ORDER, "minimum": reward["min_order"]}
    elif reason is None and not later and amount > cap:
        reason = {"code": CAP, "amount": cap.quantize(CENT)}
    return amount, reason


def catalog(program: dict, order: dict | None, spendable: dict[str, int], lang: str = "en",
            tier_id: str | None = None, currency: str | None = None) -> list[dict]:
    """Each reward with what it gives on this cart (None: no cart), whether the shopper's points
    and tier afford it, and, when it cannot apply, the reason. A tier-only reward is listed to
    everyone (it shows what the next tiers open), closed to others."""
    order = order or NO_CART_ORDER
    value = program["redemption"]["point_value"]
    pays = caps.payable(program, order["lines"], spendable)
    out = []
    for reward in program["rewards"]:
        reward = {**reward, "amount_per_step": Decimal(reward["points"]) * value}
        have = spendable.get(reward["point_type"], 0)
        amount, reason = _reason(program, reward, order, pays, have, tier_id, lang)
        plain = {k: str(v) if isinstance(v, Decimal) else v for k, v in (reason or {}).items()}
        out.append({"id": reward["id"], "kind": reward["kind"], "title": _title(reward, lang),
                    "points": reward["points"], "point_type": reward["point_type"],
                    "amount": str(amount.quantize(CENT)), "valid_days": reward["valid_days"],
                    "tiers": reward["tiers"], "min_order": str(reward["min_order"]),
                    "affordable": have >= reward["points"] and not (reason and reason["code"] == TIERS),
                    "available": reason is None, "reason": plain or None,
                    "why": why(reason, lang, currency)})
    return out


def discount_for(program: dict, reward_id: str, order: dict | None, spendable: dict[str, int],
                 steps: int = 1, tier_id: str | None = None) -> Discount:
    """The discount a reward gives on this cart; RedemptionError saying why when it cannot."""
    reward = next((r for r in program["rewards"] if r["id"] == reward_id), None)
    if reward is None:
        raise RedemptionError(f"no reward {reward_id!r}", fields={"reward": ["unknown"]})
    entry = next(e for e in catalog(program, order, spendable, tier_id=tier_id) if e["id"] == reward_id)
    if entry["reason"] and entry["reason"]["code"] in (TIERS, NO_CART):
        raise RedemptionError(entry["why"], fields={"reward": [entry["why"]]})
    if reward["kind"] == "amount_off":
        amount = Decimal(steps) * reward["points"] * program["redemption"]["point_value"]
        return Discount(steps * reward["points"], reward["point_type"], amount.quantize(CENT),
                        reward=reward_id)
    if not entry["available"]:
        raise RedemptionError(entry["why"], fields={"reward": [entry["why"]]})
    valid = timedelta(days=reward["valid_days"]) if reward["kind"] == "coupon" else None
    return Discount(reward["points"], reward["point_type"], Decimal(entry["amount"]), valid_for=valid,
                    for_this_cart=reward["kind"] != "coupon", reward=reward_id)
