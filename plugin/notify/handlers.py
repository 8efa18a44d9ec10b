"""The outbox's side of the message bus: each fact a shopper or a CRM cares about becomes an
outbound message, in the fact's own transaction (plugin.core.bus runs handlers inside it).

Keys come from the fact's own idempotency key (a lot's, a hold's, a tier move's), so a replayed
fact writes nothing new. Each handler works on what the fact carries plus, at most, one query for
the shoppers' balances after it, so the worker's batches stay a few statements each.
"""

from __future__ import annotations

import math
from decimal import Decimal

from plugin import ledger
from plugin.core import clock, facts, reasons
from plugin.core.kinds import EntryKind
from plugin.core.models import Shop
from plugin.notify import outbox, types
from plugin.notify import settings as notify_settings

CENT = Decimal("0.01")
#: Debits (``points.spent`` and ``points.taken``) and the message each kind of entry becomes.
DEBIT_TYPES = {EntryKind.SPEND: types.POINTS_SPENT, EntryKind.HOLD: types.POINTS_SPENT,
               EntryKind.LATE_COMMIT: types.POINTS_SPENT, EntryKind.REVERSE: types.POINTS_REVERSED,
               EntryKind.ADJUST: types.POINTS_ADJUSTED}


def _balance(customer_id: int) -> int:
    """One shopper's points after the fact."""
    return ledger.totals([customer_id]).get(customer_id, 0)


def points_earned(fact: facts.PointsMoved) -> None:
    """Credits: an order's or a bonus's points; a birthday gift and a referral's reward have their
    own messages, a staff adjustment is ``points.adjusted``; opening balances (imports) tell no one."""
    if fact.kind == EntryKind.IMPORT or not fact.grants:
        return
    after = ledger.totals(grant.customer_id for grant in fact.grants)
    messages = []
    for grant in fact.grants:
        code = reasons.load(grant.reason).get("code", "")
        data = {"points": grant.points, "balance": after.get(grant.customer_id, 0),
                "point_type": grant.point_type, "source": grant.source.split(":", 1)[0],
                "expires_at": clock.iso(grant.expires_at)}
        if fact.kind == EntryKind.ADJUST:
            kind, data["reason"] = types.POINTS_ADJUSTED, reasons.load(grant.reason).get("text", "")
        elif code == "birthday":
            kind, data["year"] = types.BIRTHDAY_GRANTED, int(reasons.load(grant.reason)["year"])
        elif code == "referral.referrer":
            kind = types.REFERRAL_REWARDED
        else:
            kind = types.POINTS_EARNED
            if grant.source.startswith("order:"):
                data["order_id"] = grant.source.split(":", 1)[1]
        messages.append({"type": kind, "key": f"{kind}:{grant.key}", "customer": grant.customer_id,
                         "data": data})
    outbox.record_many(fact.shop_id, messages)


def points_debited(fact: facts.PointsMoved) -> None:
    """Spends, holds, late charges, reversals on a refund and staff debits."""
    kind = DEBIT_TYPES.get(fact.kind)
    if kind is not None and fact.takes:
        _taken_many(fact, kind)
        return
    if kind is None or not fact.customer_id or not fact.points:
        return
    outbox.record(fact.shop_id, kind, f"{kind}:{fact.key}", _debit_data(
        kind, fact.points, _balance(fact.customer_id), fact.point_type, fact.reason),
        customer_id=fact.customer_id)


def _debit_data(kind: str, points: int, balance: int, point_type: str, reason) -> dict:
    data = {"points": points if kind != types.POINTS_ADJUSTED else -points, "balance": balance,
            "point_type": point_type}
    if kind == types.POINTS_ADJUSTED:
        data["reason"] = reasons.load(reason).get("text", "") if reason else ""
    return data


def _taken_many(fact: facts.PointsMoved, kind: str) -> None:
    """A batch's reversals: a message per take, with the shopper's balance after the batch."""
    after = ledger.totals(take.lot.customer_id for take in fact.takes)
    outbox.record_many(fact.shop_id, [
        {"type": kind, "key": f"{kind}:{take.key}", "customer": take.lot.customer_id,
         "data": _debit_data(kind, take.points, after.get(take.lot.customer_id, 0), take.lot.point_type,
                             take.reason)}
        for take in fact.takes])


def points_expired(fact: facts.LotsExpired) -> None:
    """One message per shopper and point type for the lots that burned together (the expiry job
    burns a shopper's due lots at once), like ``points.expiring``'s. Its key is the expiry key of
    its first lot: a lot expires once, so a retried or repeated run writes no second message."""
    per_shopper: dict[tuple[int, str], list[dict]] = {}
    for lot in fact.lots:
        if lot["points"]:
            per_shopper.setdefault((lot["customer"], lot["point_type"]), []).append(lot)
    after = ledger.totals(customer_id for customer_id, _ in per_shopper)
    outbox.record_many(fact.shop_id, [
        {"type": types.POINTS_EXPIRED, "customer": customer_id,
         "key": f"{types.POINTS_EXPIRED}:expire:{min(lot['lot'] for lot in lots)}",
         "data": {"points": sum(lot["points"] for lot in lots), "balance": after.get(customer_id, 0),
                  "point_type": point_type,
                  "lots": [{"points": lot["points"], "expires_at": clock.iso(lot["expires_at"])}
                           for lot in lots]}}
        for (customer_id, point_type), lots in per_shopper.items()], at=fact.at)


def points_expiring(fact: facts.PointsExpiring) -> None:
    """One reminder per shopper for all their lots newly inside the warning window."""
    after = ledger.totals(fact.lots)
    outbox.record_many(fact.shop_id, [
        {"type": types.POINTS_EXPIRING, "key": f"{types.POINTS_EXPIRING}:{cid}:{lots[0]['lot']}",
         "customer": cid,
         "data": {"points": sum(lot["points"] for lot in lots), "balance": after.get(cid, 0),
                  "expires_at": clock.iso(min(lot["expires_at"] for lot in lots)),
                  "lots": [{"points": lot["points"], "point_type": lot["point_type"],
                            "expires_at": clock.iso(lot["expires_at"])} for lot in lots]}}
        for cid, lots in fact.lots.items()], at=fact.at)


def _title(tier: dict | None, lang: str) -> str | None:
    if tier is None:
        return None
    titles = tier.get("title") or {}
    return titles.get(lang) or next(iter(titles.values()), None) or tier["id"]


def tiers_evaluated(fact: facts.TiersEvaluated) -> None:
    """A tier reached or lost (a first placement on the lowest tier is no news), a downgrade
    announced, and "you are X from <tier>" once a year per tier when a shopper comes close."""
    shop = Shop.get_by_id(fact.shop_id)
    settings = notify_settings.load(shop)
    lang = settings.language
    all_tiers = (fact.program.get("tiers") or {}).get("tiers", [])
    by_id = {tier["id"]: tier for tier in all_tiers}
    visible = [tier for tier in all_tiers if not tier["hidden"]]
    rank = {tier["id"]: n for n, tier in enumerate(all_tiers)}
    stamp = fact.at.isoformat(timespec="seconds")

    def name(tier_id: str | None) -> str | None:
        return _title(by_id.get(tier_id), lang)

    messages = []
    for cid, old, new, _ in fact.moved:
        if old is None and visible and new == visible[0]["id"]:
            continue
        up = old is None or rank.get(new, 0) > rank.get(old, -1)
        messages.append({"type": types.TIER_CHANGED, "key": f"{types.TIER_CHANGED}:{cid}:{stamp}",
                         "customer": cid,
                         "data": {"from_tier": old, "from_name": name(old), "to_tier": new,
                                  "to_name": name(new), "direction": "up" if up else "down"}})
    for cid, tier, down_to, on in fact.warned:
        messages.append({"type": types.TIER_DOWNGRADE_WARNING,
                         "key": f"{types.TIER_DOWNGRADE_WARNING}:{cid}:{tier}:{on.date().isoformat()}",
                         "customer": cid,
                         "data": {"tier": tier, "tier_name": name(tier), "to_tier": down_to,
                                  "to_name": name(down_to), "on": clock.iso(on)}})
    messages += _approaching(fact, settings, visible, lang, shop.currency)
    outbox.record_many(fact.shop_id, messages, at=fact.at)


def _approaching(fact: facts.TiersEvaluated, settings: notify_settings.Settings, visible: list[dict],
                 lang: str, currency: str) -> list[dict]:
    rules = fact.program.get("tiers") or {}
    order = [tier["id"] for tier in visible]
    share = Decimal(settings.tier_approach_percent) / 100
    messages = []
    for cid, value in fact.values.items():
        current = fact.tiers.get(cid)
        if current not in order or order.index(current) + 1 >= len(order):
            continue
        target = visible[order.index(current) + 1]
        threshold = Decimal(target["threshold"])
        missing = threshold - Decimal(value)
        if not (0 < missing <= threshold * share):
            continue
        measure = {"amount_spent": "spend", "orders": "orders"}.get(rules.get("metric"), "points")
        data = {"tier": target["id"], "tier_name": _title(target, lang), "measure": measure,
                "missing": str(missing.quantize(CENT)) if measure == "spend" else str(math.ceil(missing))}
        if measure == "spend":
            data["currency"] = currency
        messages.append({"type": types.TIER_APPROACHING,
                         "key": f"{types.TIER_APPROACHING}:{cid}:{target['id']}:{fact.at.year}",
                         "customer": cid, "data": data})
    return messages


def hold_moved(fact: facts.HoldMoved) -> None:
    """A reward's code issued; a redemption's code used by a paid order, or given back."""
    hold = fact.hold
    kind = {facts.HOLD_PLACED: types.REWARD_ISSUED, facts.HOLD_COMMITTED: types.REDEMPTION_COMMITTED,
            facts.HOLD_RELEASED: types.REDEMPTION_RELEASED}[fact.name]
    if kind == types.REWARD_ISSUED and not hold.reward:
        return  # plain points off: the widget shows its code, points.spent tells the rest
    data = {"hold_id": hold.id, "code": hold.code, "points": hold.points, "point_type": hold.point_type}
    if kind == types.REWARD_ISSUED:
        data |= {"reward": hold.reward, "balance": _balance(hold.customer_id)}
    if hold.order_id:
        data["order_id"] = hold.order_id
    outbox.record(hold.shop_id, kind, f"{kind}:{hold.id}", data, customer_id=hold.customer_id)


HANDLERS = {
    facts.POINTS_EARNED: points_earned,
    facts.POINTS_SPENT: points_debited,
    facts.POINTS_TAKEN: points_debited,
    facts.POINTS_EXPIRED: points_expired,
    facts.POINTS_EXPIRING: points_expiring,
    facts.TIERS_EVALUATED: tiers_evaluated,
    facts.HOLD_PLACED: hold_moved,
    facts.HOLD_COMMITTED: hold_moved,
    facts.HOLD_RELEASED: hold_moved,
}
