"""Personalized offers for the widget: built from the shopper's points, orders and the program.

Each offer is ``{"id", "kind", "title", "text", "priority", "data"}``; the id is stable per kind
and subject (``expiring:2026-11-11``, ``recommendation:632910392``) so impressions, clicks and
redemptions of the same offer add up. Texts are in the shopper's language (en, ru).

Ranking is one documented score from 0 to 100, highest first:

- expiring points: 60 + 40 x urgency (1 - days left / the program's warning window)
- points cover this cart: 50 + 40 x the share of the cart the points can pay
- birthday month: 45
- progress to the next reward: 30 + 40 x the share of its cost already earned
- free shipping: 30 + 30 x cart total / threshold with a cart; 25 without one
- a category bought often: 20 + 30 x the share of the shopper's orders with that category
- a recommended product: 10 + 10 x its co-purchase count / the top one's

Anonymous visitors (and shoppers never seen) get only the generic offer: free shipping.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from peewee import fn

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.i18n import chosen, month_day, price, translate
from plugin.core.kinds import OfferEventKind
from plugin.core.models import CoPurchase, Customer, Hold, Lot, OfferEvent, Order, Shop
from plugin.core.prepared import Prepared
from plugin.core.status import HoldStatus
from plugin.program.caps import payable
from plugin.program.earning import categories_of

#: Orders of the shopper read for categories and past products (the newest ones).
RECENT_ORDERS = 200
#: A category is "bought often" when at least this many of those orders hold it.
MIN_CATEGORY_ORDERS = 2
SAFE_SUBJECT = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
OFFER_ID = re.compile(r"^[a-z_]{1,32}(:[A-Za-z0-9_.-]{1,80})?$")
DEFAULTS = {"category_templates": [], "free_shipping_threshold": None, "birthday_month": True,
            "recommendations": 3}


# --- texts ---------------------------------------------------------------------------------------

def points(n: int, lang: str) -> str:
    return translate(lang, "points", n=n)


def localized(text, lang: str, fallback: str = "") -> str:
    """A store-written text: a plain string, or {"en": ..., "ru": ...} read in the shopper's
    language, then English, then any."""
    if isinstance(text, str):
        return text or fallback
    if isinstance(text, dict) and text:
        return text.get(lang) or text.get("en") or next(iter(text.values()))
    return fallback


# --- building ----------------------------------------------------------------------------------

def _subject(value) -> str:
    """An id-safe subject; anything else (a gid://, spaces) is a short stable hash of it."""
    text = str(value)
    return text if SAFE_SUBJECT.fullmatch(text) else "h" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _offer(kind: str, subject, lang: str, priority: float, data: dict, *, text_key: str | None = None,
           **values) -> dict:
    key = f"offer.{text_key or kind}."
    return {"id": kind if subject is None else f"{kind}:{_subject(subject)}", "kind": kind,
            "title": translate(lang, key + "title", **values),
            "text": translate(lang, key + "text", **values),
            "priority": max(0, min(100, round(priority))), "data": data}


def shopper(shop_id: int, platform_id: str, now: datetime) -> tuple[Customer | None, bool]:
    """The shopper's customer row (None: never seen) and whether they hold a discount at ``now``,
    in one statement: what ``build`` takes as ``customer`` and ``holding``."""
    rows = _shopper(shop_id, platform_id, now)
    return (rows[0], bool(rows[0].holding)) if rows else (None, False)


@Prepared
def _shopper(shop_id: int, platform_id: str, now: datetime):
    held = Hold.select(Hold.id).where(_holds(Customer.id, now))
    return customers.finding(shop_id, platform_id).select_extend(fn.EXISTS(held).alias("holding"))


def build(shop: Shop, customer: Customer | None, program: dict, *, lines: list[dict] | None = None,
          lang: str = "en", now: datetime | None = None, currency: str | None = None,
          holding: bool | None = None) -> list[dict]:
    """The shopper's offers, ranked (see the module docstring); ``lines`` is the cart, if any,
    and ``currency`` the cart's own. Amounts are the shop's currency: a cart priced in another is
    not compared with them (converted and unconverted amounts are never mixed). ``holding``: whether
    the customer holds a discount now, if the caller read it with them (``shopper``)."""
    now, lang = now or clock.now(), chosen(lang)
    settings = {**DEFAULTS, **(program.get("offers") or {})}
    priced = lines if not currency or currency.upper() == shop.currency else None
    currency = shop.currency
    found = _free_shipping(settings, priced, currency, lang)
    if customer is not None:
        lots = ledger.lots_held(customer.id)  # one read: what is spendable and what expires soon
        spendable = ledger.spendable_among(lots, now)
        orders = [order for (order,) in _recent_orders(shop.id, customer.id)]
        if holding is None:
            holding = bool(_held(customer.id, now))
        if not holding:  # a discount is already held: no second "spend N points"
            found += _cart_cover(program, priced, spendable, currency, lang)
        found += _reward_progress(program, spendable, lang)
        found += _expiring(program, lots, now, lang)
        found += _category(program, settings, orders, lang)
        found += _birthday(program, settings, customer, now, lang)
        found += _recommendations(shop, settings, orders, lines, lang)
    return sorted(found, key=lambda offer: (-offer["priority"], offer["id"]))


@Prepared
def _recent_orders(shop_id: int, customer_id: int):
    return (Order.select(Order.order).where((Order.shop == shop_id) & (Order.customer == customer_id)
                                            & ~Order.cancelled)
            .order_by(Order.id.desc()).limit(RECENT_ORDERS).tuples())


@Prepared
def _held(customer_id: int, now: datetime):
    return Hold.select(Hold.id).where(_holds(customer_id, now)).limit(1).tuples()


def _holds(customer, now: datetime):
    """The condition on Hold of a discount (points or reward) ``customer`` holds at ``now``."""
    return (Hold.customer == customer) & (Hold.status == HoldStatus.HELD) & (Hold.expires_at > now)


def _subtotal(lines: list[dict]) -> Decimal:
    return sum((Decimal(line["amount"]) for line in lines), Decimal(0))


def _free_shipping(settings: dict, lines, currency: str, lang: str) -> list[dict]:
    threshold = settings["free_shipping_threshold"]
    if threshold is None or threshold <= 0:
        return []
    shown = price(threshold, currency, lang)
    data = {"threshold": str(threshold), "currency": currency, "missing": None}
    if not lines:
        return [_offer("free_shipping", None, lang, 25, data, text_key="free_shipping_any",
                       threshold=shown)]
    total = _subtotal(lines)
    if total >= threshold:
        return []
    missing = threshold - total
    return [_offer("free_shipping", None, lang, 30 + 30 * total / threshold,
                   {**data, "missing": str(missing)}, missing=price(missing, currency, lang),
                   threshold=shown)]


def _cart_cover(program: dict, lines, spendable: dict[str, int], currency: str, lang: str) -> list[dict]:
    if not lines:
        return []
    usable = payable(program, lines, spendable)["total"]
    total = _subtotal(lines)
    if usable <= 0 or total <= 0:
        return []
    amount = Decimal(usable) * program["redemption"]["point_value"]
    share = min(amount / total, Decimal(1))
    data = {"points": usable, "amount": str(amount.quantize(Decimal("0.01"))), "currency": currency,
            "share": str(share.quantize(Decimal("0.01")))}
    return [_offer("cart_cover", None, lang, 50 + 40 * share, data,
                   amount=price(amount, currency, lang), points=points(usable, lang))]


def _rewards(program: dict) -> list[dict]:
    """Catalog rewards that cost points; tolerant of the section being absent or shaped otherwise."""
    section = program.get("rewards") or []
    if isinstance(section, dict):
        section = section.get("catalog") or [{"id": k, **v} for k, v in section.items()
                                             if isinstance(v, dict)]
    return [r for r in section if isinstance(r, dict) and isinstance(r.get("points"), int)
            and r["points"] > 0 and r.get("active", True) is not False]


def _reward_progress(program: dict, spendable: dict[str, int], lang: str) -> list[dict]:
    """The reward closest to reach that the shopper cannot afford yet."""
    have_all = sum(spendable.values())
    candidates = []
    for reward in _rewards(program):
        have = max(spendable.get(reward["point_type"], 0) if reward.get("point_type") else have_all, 0)
        if have < reward["points"]:
            reward_id = str(reward.get("id", reward["points"]))
            candidates.append((reward["points"] - have, reward_id, have, reward))
    if not candidates:
        return []
    missing, reward_id, have, reward = min(candidates, key=lambda c: (c[0], c[1]))
    need = reward["points"]
    data = {"reward_id": reward_id, "points": have, "cost": need, "missing": missing}
    return [_offer("reward_progress", reward_id, lang, 30 + 40 * have / need, data,
                   missing=points(missing, lang), have=points(have, lang), need=points(need, lang),
                   reward=localized(reward.get("title"), lang, reward_id))]


def _expiring(program: dict, lots: list[Lot], now: datetime, lang: str) -> list[dict]:
    window = program["expiry_warning_days"]
    lots = ledger.expiring_among(lots, now, window) if window else []
    if not lots:
        return []
    soonest, total = lots[0].expires_at, sum(lot.remaining for lot in lots)
    days_left = max(1, -(-(soonest - now) // timedelta(days=1)))  # started days count as whole
    data = {"points": total, "expires_at": clock.iso(soonest), "days_left": days_left}
    return [_offer("expiring", soonest.date().isoformat(), lang, 60 + 40 * (1 - days_left / window),
                   data, n=total, points=points(total, lang), date=month_day(soonest, lang))]


def _categories(program: dict, order: dict) -> set[str]:
    return {name for line in order.get("lines") or [] for name in categories_of(program, line)}


def _category(program: dict, settings: dict, orders: list[dict], lang: str) -> list[dict]:
    """The store's template for the templated category most of the shopper's orders hold."""
    templates = {t["category"]: t for t in settings["category_templates"]}
    if not templates or not orders:
        return []
    counts = Counter(name for order in orders for name in _categories(program, order) if name in templates)
    ranked = sorted(((n, name) for name, n in counts.items() if n >= MIN_CATEGORY_ORDERS),
                    key=lambda item: (-item[0], item[1]))
    if not ranked:
        return []
    n, name = ranked[0]
    template = templates[name]
    return [{"id": f"category:{_subject(name)}", "kind": "category",
             "title": localized(template["title"], lang), "text": localized(template["text"], lang),
             "priority": round(20 + 30 * n / len(orders)), "data": {"category": name, "orders": n}}]


def _birthday(program: dict, settings: dict, customer: Customer, now: datetime, lang: str) -> list[dict]:
    if not settings["birthday_month"] or customer.birthday is None or customer.birthday.month != now.month:
        return []
    gift = (program.get("birthday") or {}).get("points") or 0
    data = {"month": now.month, "points": gift or None}
    if gift:
        return [_offer("birthday", now.year, lang, 45, data, text_key="birthday_gift",
                       points=points(gift, lang))]
    return [_offer("birthday", now.year, lang, 45, data)]


def past_products(orders: list[dict]) -> list[str]:
    return sorted({line["product_id"] for order in orders for line in order.get("lines") or []
                   if line.get("product_id")})


def _recommendations(shop: Shop, settings: dict, orders: list[dict], lines, lang: str) -> list[dict]:
    """Products most often bought together with the shopper's past ones, not already theirs."""
    past = past_products(orders)
    if not settings["recommendations"] or not past:
        return []
    exclude = set(past) | {line["product_id"] for line in lines or [] if line.get("product_id")}
    rows = _bought_with(shop.id, tuple(past), tuple(sorted(exclude)), settings["recommendations"])
    if not rows:
        return []
    top = int(rows[0][1])
    return [_offer("recommendation", product_id, lang, 10 + 10 * int(count) / top,
                   {"product_id": product_id, "score": int(count)})
            for product_id, count in rows]


@Prepared
def _bought_with(shop_id: int, products: tuple[str, ...], exclude: tuple[str, ...], limit: int):
    """The products bought most often with ``products``, none of ``exclude``: (id, orders)."""
    score = fn.SUM(CoPurchase.count)
    return (CoPurchase.select(CoPurchase.other_product_id, score)
            .where((CoPurchase.shop == shop_id) & CoPurchase.product_id.in_(products)
                   & CoPurchase.other_product_id.not_in(exclude))
            .group_by(CoPurchase.other_product_id).order_by(score.desc(), CoPurchase.other_product_id)
            .limit(limit).tuples())


# --- analytics ---------------------------------------------------------------------------------

def record(shop_id: int, customer_id: int | None, offer_ids: list[str], kind: str) -> int:
    """Store one event of ``kind`` per offer id, in one statement; returns how many."""
    if kind not in tuple(OfferEventKind):
        raise ValueError(f"unknown offer event {kind!r}")
    now = clock.now()
    OfferEvent.insert_many([
        {"shop": shop_id, "customer": customer_id, "offer_id": offer_id, "kind": kind, "created_at": now}
        for offer_id in offer_ids
    ]).execute()
    return len(offer_ids)
