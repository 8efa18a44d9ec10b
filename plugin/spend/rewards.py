"""The rewards catalog: what each reward would give on this cart, or why it cannot apply yet.

Every reward becomes an amount off this order (the code the store applies is single-use and for
this shopper only), except a coupon, which is for a later order and valid for its own days.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal

from plugin.program import caps
from plugin.spend.redemption import CENT, Discount, RedemptionError


def _title(reward: dict, lang: str) -> str:
    return reward["title"].get(lang) or reward["title"].get("en") or reward["id"]


def _value(reward: dict, order: dict, payable_amount: Decimal) -> tuple[Decimal, str | None]:
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
        return shipping, None if shipping > 0 else "this cart has no shipping to pay"
    line = next((line for line in order["lines"] if line.get("product_id") == reward["product_id"]), None)
    if line is None:
        return Decimal(0), "add the product to the cart first"
    return Decimal(line["amount"]) / max(line.get("quantity") or 1, 1), None


def _tiers_only(program: dict, reward: dict, tier_id: str | None, lang: str) -> str | None:
    """Why a tier-only reward is closed to a shopper of another tier (None: open to them)."""
    if not reward["tiers"] or tier_id in reward["tiers"]:
        return None
    titles = {tier["id"]: tier["title"].get(lang) or tier["title"].get("en") or tier["id"]
              for tier in (program.get("tiers") or {}).get("tiers", [])}
    return "for " + ", ".join(titles.get(t, t) for t in reward["tiers"]) + " members"


def catalog(program: dict, order: dict, spendable: dict[str, int], lang: str = "en",
            tier_id: str | None = None) -> list[dict]:
    """Each reward with what it gives on this cart and, when it cannot apply, the reason. A
    tier-only reward is listed to everyone (it shows what the next tiers open), closed to others."""
    value = program["redemption"]["point_value"]
    pays = caps.payable(program, order["lines"], spendable)
    payable_amount = Decimal(pays["amount"])
    out = []
    for reward in program["rewards"]:
        reward = {**reward, "amount_per_step": Decimal(reward["points"]) * value}
        amount, why = _value(reward, order, payable_amount)
        why = _tiers_only(program, reward, tier_id, lang) or why
        have = spendable.get(reward["point_type"], 0)
        cap = pays["by_type"].get(reward["point_type"], 0) * value
        if why is None and have < reward["points"]:
            why = f"needs {reward['points']} points; you have {have}"
        elif why is None and payable_amount < reward["min_order"] and reward["kind"] != "coupon":
            why = f"for orders from {reward['min_order']}"
        elif why is None and reward["kind"] != "coupon" and amount > cap:
            why = f"points may pay at most {cap.quantize(CENT)} of this cart"
        out.append({"id": reward["id"], "kind": reward["kind"], "title": _title(reward, lang),
                    "points": reward["points"], "point_type": reward["point_type"],
                    "amount": str(amount.quantize(CENT)), "valid_days": reward["valid_days"],
                    "tiers": reward["tiers"],
                    "available": why is None, "why": why})
    return out


def discount_for(program: dict, reward_id: str, order: dict, spendable: dict[str, int],
                 steps: int = 1, tier_id: str | None = None) -> Discount:
    """The discount a reward gives on this cart; RedemptionError saying why when it cannot."""
    reward = next((r for r in program["rewards"] if r["id"] == reward_id), None)
    if reward is None:
        raise RedemptionError(f"no reward {reward_id!r}", fields={"reward": ["unknown"]})
    entry = next(e for e in catalog(program, order, spendable, tier_id=tier_id) if e["id"] == reward_id)
    closed = _tiers_only(program, reward, tier_id, "en")
    if closed:
        raise RedemptionError(closed, fields={"reward": [closed]})
    if reward["kind"] == "amount_off":
        amount = Decimal(steps) * reward["points"] * program["redemption"]["point_value"]
        return Discount(steps * reward["points"], reward["point_type"], amount.quantize(CENT),
                        reward=reward_id)
    if not entry["available"]:
        raise RedemptionError(entry["why"], fields={"reward": [entry["why"]]})
    valid = timedelta(days=reward["valid_days"]) if reward["kind"] == "coupon" else None
    return Discount(reward["points"], reward["point_type"], Decimal(entry["amount"]), valid_for=valid,
                    for_this_cart=reward["kind"] != "coupon", reward=reward_id)
