"""Referrals: a code per customer, attribution on the server, fraud checks, rewards. No HTTP.

A friend is attributed by a code, never by a cookie alone, so a link opened on a phone and an
order placed on a laptop still count: the code at sign-up (the Shopify customer's note or a
``ref:<code>`` tag, or the widget's explicit claim), or on the friend's first paid order (a
discount code equal to a referral code, or ``ref=<code>`` in the order's landing site). The
link shared is the store's own ``https://<shop domain>/?ref=<code>``.

Each fraud check adds to the risk score with a reason; at the program's ``block_score`` the
referral is blocked until the owner approves it. Rewards carry the ledger keys
``referral:<id>:friend`` and ``referral:<id>:referrer``, so each side is paid at most once.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import peewee

from plugin import ledger
from plugin.core import clock
from plugin.core.db import database, locking, session, write_transaction
from plugin.core.errors import Invalid, NotFound
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, Order, Referral, ReferralCode, Shop
from plugin.core.status import ReferralStatus, ReferralVia
from plugin.program import timing, versions

log = logging.getLogger(__name__)

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
CODE_LENGTH = 8
IP_WINDOW = timedelta(days=30)
#: Risk added by each check; one of them alone reaches the default block score of 50.
RISK = {"same_customer": 100, "own_order": 100, "same_email": 60, "same_phone": 50,
        "same_address": 50, "same_ip": 50, "too_many_this_week": 50}
_CODE_IN_TEXT = re.compile(r"\bref(?:erral)?\s*[:=#]?\s*([A-Za-z0-9]{4,32})\b", re.IGNORECASE)
GMAIL = ("gmail.com", "googlemail.com")
SHARE_TEXTS = {
    "en": "Join me at {shop} and get {points} points on your first order: {link}",
    "ru": "Присоединяйся к {shop} и получи {points} баллов за первый заказ: {link}",
}
SHARE_TEXTS_SIGNUP = {
    "en": "Join me at {shop} and get {points} points when you sign up: {link}",
    "ru": "Присоединяйся к {shop} и получи {points} баллов за регистрацию: {link}",
}


def normalize_email(email: str | None) -> str | None:
    """Lower case without a +tag; Gmail addresses also without dots (they all reach one inbox)."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def normalize_phone(phone: str | None) -> str | None:
    """The last ten digits: '+1 (502) 459-2181' and '502.459.2181' are one phone."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 7 else None


# --- codes and links ----------------------------------------------------------------------------

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
    texts = SHARE_TEXTS_SIGNUP if rule.get("friend_reward_on") == "signup" else SHARE_TEXTS
    return {lang: text.format(shop=shop.name or shop.domain, points=rule.get("friend_points", 0),
                              link=link_for(shop, code)) for lang, text in texts.items()}


def _owner(shop_id: int, code: str | None) -> ReferralCode | None:
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


# --- risk ---------------------------------------------------------------------------------------

def assess(shop_id: int, rule: dict, referrer: Customer, friend: Customer, *, via: str,
           profile: dict | None = None, order: dict | None = None) -> list[str]:
    """The reasons this referral looks like the referrer inviting themselves (see ``RISK``)."""
    now = clock.now()
    if referrer.id == friend.id:
        reasons = ["same_customer" if via == ReferralVia.SIGNUP_CODE else "own_order"]
    else:
        reasons = []
        rows = list(Order.select(Order.order, Order.created_at).where(
            (Order.shop == shop_id) & (Order.customer == referrer.id))
            .order_by(Order.id.desc()).limit(50).tuples())
        mine = [o for o, _ in rows]
        theirs = [o for o in (profile, order) if o]

        def shared(field, normalize=lambda v: v, extra=(None, None)) -> bool:
            left = {normalize(o.get(field)) for o in theirs} | {normalize(extra[0])}
            right = {normalize(o.get(field)) for o in mine} | {normalize(extra[1])}
            return bool((left - {None}) & right)

        if shared("email", normalize_email, (friend.email, referrer.email)):
            reasons.append("same_email")
        if shared("phone", normalize_phone):
            reasons.append("same_phone")
        if shared("address_hash"):
            reasons.append("same_address")
        if order and order.get("ip_hash") and any(  # an IP is shared for a while, then reassigned
                o.get("ip_hash") == order["ip_hash"] and now - seen <= IP_WINDOW for o, seen in rows):
            reasons.append("same_ip")
    recent = Referral.select().where((Referral.referrer == referrer.id)
                                     & (Referral.created_at > now - timedelta(days=7))).count()
    if recent >= rule["max_per_week"]:
        reasons.append("too_many_this_week")
    return reasons


def _score(reasons: list[str]) -> int:
    return sum(RISK[reason] for reason in reasons)


# --- attribution --------------------------------------------------------------------------------

def on_signup(customer: Customer, profile: dict, program: dict, version: int | None,
              event_id: int | None = None) -> Referral | None:
    """A sign-up naming a referral code (note or tag): attribute it, and pay a sign-up welcome."""
    if not program.get("referrals"):
        return None
    for code in codes_at_signup(profile):
        owner = _owner(customer.shop_id, code)
        if owner is not None:
            return _attribute(customer, owner, ReferralVia.SIGNUP_CODE, program, version, profile=profile,
                              event_id=event_id)
    return None


def claim(customer: Customer, code: str) -> Referral:
    """The widget's explicit "I was invited with this code", for a shopper without orders yet."""
    version, program = versions.current(customer.shop_id)
    if not program.get("referrals"):
        raise Invalid("this store has no referral program")
    owner = _owner(customer.shop_id, code)
    if owner is None:
        raise NotFound(f"no referral code {code!r} in this store")
    existing = Referral.get_or_none((Referral.shop == customer.shop_id) & (Referral.friend == customer.id))
    if existing is not None:
        return existing
    if Order.select().where(Order.customer == customer.id).exists():
        raise Invalid("a referral code counts only before the first order")
    return _attribute(customer, owner, ReferralVia.SIGNUP_CODE, program, version)


def on_orders(shop_id: int, program: dict, version: int | None, rows: list[dict],
              events: dict[str, int] | None = None) -> None:
    """First paid orders just recorded (rows as ``apply.orders_paid`` inserts them): attribute
    by discount code or landing parameter, or complete a referral made at sign-up."""
    rule = program.get("referrals")
    firsts = [row for row in rows if row["first_order"] and row["customer"]]
    if not rule or not firsts:
        return
    events = events or {}
    known = {ref.friend_id: ref for ref in Referral.select().where(
        (Referral.shop == shop_id) & Referral.friend.in_([row["customer"] for row in firsts]))}
    friends = {c.id: c for c in Customer.select().where(Customer.id.in_([row["customer"] for row in firsts]))}
    for row in firsts:
        friend, order = friends[row["customer"]], row["order"]
        ref = known.get(friend.id)
        if ref is None:
            for code, via in codes_on_order(order):
                owner = _owner(shop_id, code)
                if owner is not None:
                    _attribute(friend, owner, via, program, version, order=order,
                               event_id=events.get(order["order_id"]))
                    break
        elif ref.friend_order_id is None and ref.status in (ReferralStatus.PENDING, ReferralStatus.APPROVED,
                                                             ReferralStatus.BLOCKED):
            _first_order(ref, friend, order, program, version, events.get(order["order_id"]))


def _attribute(friend: Customer, owner: ReferralCode, via: str, program: dict, version: int | None, *,
               profile: dict | None = None, order: dict | None = None,
               event_id: int | None = None) -> Referral:
    """Record the referral once per friend (the first attribution wins), scored, maybe blocked."""
    rule = program["referrals"]
    referrer = Customer.get_by_id(owner.customer_id)
    reasons = assess(friend.shop_id, rule, referrer, friend, via=via, profile=profile, order=order)
    score = _score(reasons)
    now = clock.now()
    Referral.insert(
        shop=friend.shop_id, referrer=referrer.id, friend=friend.id, code=owner.code, attributed_via=via,
        status=ReferralStatus.BLOCKED if score >= rule["block_score"] else ReferralStatus.PENDING,
        risk_score=score, reasons=reasons,
        friend_order_id=order["order_id"] if order else None, created_at=now,
        decided_at=now if score >= rule["block_score"] else None,
    ).on_conflict_ignore().execute()
    ref = Referral.get((Referral.shop == friend.shop_id) & (Referral.friend == friend.id))
    if ref.status == ReferralStatus.BLOCKED:
        log.info("referral %s blocked: %s", ref.id, ", ".join(reasons))
    elif rule["friend_reward_on"] == "signup" or ref.friend_order_id:
        _pay(ref, "friend", program, version, event_id=event_id)
    return ref


def _first_order(ref: Referral, friend: Customer, order: dict, program: dict, version: int | None,
                 event_id: int | None) -> None:
    """The friend of a sign-up referral paid a first order: check it too, then the welcome."""
    rule = program["referrals"]
    referrer = Customer.get_by_id(ref.referrer_id)
    added = [r for r in assess(ref.shop_id, rule, referrer, friend, via=ref.attributed_via, order=order)
             if r not in ref.reasons and r != "too_many_this_week"]
    ref.friend_order_id, ref.reasons = order["order_id"], ref.reasons + added
    ref.risk_score = _score(ref.reasons)
    if ref.status == ReferralStatus.PENDING and ref.risk_score >= rule["block_score"]:
        ref.status, ref.decided_at = ReferralStatus.BLOCKED, clock.now()
    ref.save(only=[Referral.friend_order_id, Referral.reasons, Referral.risk_score, Referral.status,
                   Referral.decided_at])
    if ref.status in (ReferralStatus.PENDING, ReferralStatus.APPROVED):
        _pay(ref, "friend", program, version, event_id=event_id)


# --- rewards ------------------------------------------------------------------------------------

def _pay(ref: Referral, side: str, program: dict, version: int | None, *, event_id: int | None = None,
         actor: str | None = None, since: datetime | None = None) -> bool:
    """Grant one side's reward under the key ``referral:<id>:<side>``; False when paid before."""
    rule = program["referrals"]
    points = rule[f"{side}_points"]
    if not points:
        return False
    now = clock.now()
    pending = None
    if side == "friend" and rule["friend_reward_on"] == "first_order":  # spendable once the order is safe
        pending = timing.pending_until(rule["pending_days"], since or now)
        pending = pending if pending and pending > now else None
    written = ledger.grant_many(ref.shop_id, [ledger.Grant(
        ref.friend_id if side == "friend" else ref.referrer_id, points, source=f"referral:{ref.id}",
        rule={"referral": ref.id, "side": side}, key=f"referral:{ref.id}:{side}",
        point_type=rule["point_type"], event_id=event_id, actor=actor, program_version=version,
        reason="welcome: invited by a friend" if side == "friend" else "a friend you invited ordered",
        expires_at=timing.expires_at(program, rule["point_type"], now), pending_until=pending)],
        kind=EntryKind.BONUS)
    return bool(written)


def _settle(ref: Referral, order: Order | None, program: dict, version: int | None, *,
            actor: str | None = None) -> int:
    """Pay what is due once the friend's first order is past the window: void if it was taken
    back, else both sides (each once). Returns the rewards written."""
    if order is None:
        return 0
    now = clock.now()
    if order.cancelled or order.refunded > 0:
        Referral.update(status=ReferralStatus.VOID, decided_at=now).where(Referral.id == ref.id).execute()
        return 0
    if order.created_at > now - timedelta(days=program["referrals"]["pending_days"]):
        return 0
    paid = (_pay(ref, "friend", program, version, actor=actor, since=order.created_at)
            + _pay(ref, "referrer", program, version, actor=actor))
    Referral.update(status=ReferralStatus.REWARDED, decided_at=now).where(Referral.id == ref.id).execute()
    return paid


def _friend_order(ref: Referral) -> Order | None:
    if not ref.friend_order_id:
        return None
    return Order.get_or_none((Order.shop == ref.shop_id) & (Order.platform_id == ref.friend_order_id))


def approve(shop_id: int, referral_id: int, actor: str) -> Referral:
    """The owner lets a blocked referral through: the friend is paid now, the referrer once the
    friend's first order is past the window (now, if it already is). Approving again is a no-op."""
    with write_transaction():
        ref = locking(Referral.select().where(
            (Referral.id == referral_id) & (Referral.shop == shop_id))).first()
        if ref is None:
            raise NotFound(f"no referral {referral_id} in this shop")
        if ref.status != ReferralStatus.BLOCKED:
            return ref
        version, program = versions.current(shop_id)
        if not program.get("referrals"):
            raise Invalid("this store has no referral program")
        ref.status, ref.decided_at = ReferralStatus.APPROVED, clock.now()
        ref.save(only=[Referral.status, Referral.decided_at])
        order = _friend_order(ref)
        if program["referrals"]["friend_reward_on"] == "signup" or order is not None:
            _pay(ref, "friend", program, version, actor=actor, since=order.created_at if order else None)
        _settle(ref, order, program, version, actor=actor)
        return Referral.get_by_id(ref.id)


def reward_due(batch_size: int = 500) -> int:
    """RQ cron job: settle pending and approved referrals whose friend's first order is past the
    program's pending window (rewarded, or void if it was refunded or cancelled)."""
    written = 0
    with session():
        for shop_id in [row.id for row in Shop.select(Shop.id).where(Shop.active).order_by(Shop.id)]:
            version, program = versions.current(shop_id)
            if program.get("referrals"):
                written += _reward_shop(shop_id, version, program, batch_size)
    if written:
        log.info("paid %s referral rewards", written)
    return written


def _reward_shop(shop_id: int, version: int | None, program: dict, batch_size: int) -> int:
    written, after = 0, 0
    cutoff = clock.now() - timedelta(days=program["referrals"]["pending_days"])
    while True:
        with write_transaction():
            refs = list(locking(
                Referral.select(Referral).join(Order, on=(
                    (Order.shop == Referral.shop) & (Order.platform_id == Referral.friend_order_id)))
                .where((Referral.shop == shop_id)
                       & Referral.status.in_((ReferralStatus.PENDING, ReferralStatus.APPROVED))
                       & (Order.created_at <= cutoff) & (Referral.id > after))
                .order_by(Referral.id).limit(batch_size)))
            orders = {o.platform_id: o for o in Order.select().where(
                (Order.shop == shop_id) & Order.platform_id.in_([r.friend_order_id for r in refs]))}
            for ref in refs:
                written += _settle(ref, orders.get(ref.friend_order_id), program, version)
        if len(refs) < batch_size:
            return written
        after = refs[-1].id


def page(shop_id: int, *, status: str | None = None, before: int | None = None,
         limit: int = 50) -> list[Referral]:
    """Newest-first referrals of the shop, optionally of one status (the owner's review list)."""
    query = Referral.select().where(Referral.shop == shop_id)
    if status:
        query = query.where(Referral.status == status)
    if before:
        query = query.where(Referral.id < before)
    return list(query.order_by(Referral.id.desc()).limit(limit))


def of_customer(customer: Customer, limit: int = 20) -> list[dict]:
    """Friends this customer invited, and who invited them, newest first, with the other side's
    platform id (one query; the customer page and the admin API show the same list)."""
    other = Customer.alias()
    rows = (Referral.select(Referral, other.platform_id.alias("other_id"))
            .join(other, peewee.JOIN.INNER, on=(
                ((Referral.referrer == customer.id) & (other.id == Referral.friend))
                | ((Referral.friend == customer.id) & (other.id == Referral.referrer))))
            .where((Referral.shop == customer.shop_id)
                   & ((Referral.referrer == customer.id) | (Referral.friend == customer.id)))
            .order_by(Referral.id.desc()).limit(limit).objects())
    return [{"role": "invited" if ref.referrer_id == customer.id else "invited_by",
             "other": ref.other_id, "status": ref.status, "created_at": ref.created_at,
             "risk_score": ref.risk_score} for ref in rows]
