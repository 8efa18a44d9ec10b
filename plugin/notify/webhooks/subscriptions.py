"""A shop's webhook subscriptions: made with a checked URL and a fresh ``whsec_`` secret, listed,
deleted, paused when they fail for days and resumed by the owner; their delivery log and replay.

A subscription is never deleted for failing: after FAILING_FOR it is paused (its new messages are
logged as failed, not attempted) and the owner is told on the dashboard; resuming sends again
everything that failed since it began to fail, so nothing is lost while the receiver was broken.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime, timedelta

from peewee import IntegrityError, fn

from plugin.core import clock
from plugin.core.crypto import Vault
from plugin.core.db import database, insert_rows
from plugin.core.errors import Invalid, LoyaltyError, NotFound
from plugin.core.kinds import DeliveryChannel
from plugin.core.models import Delivery, OutboxMessage, WebhookSubscription
from plugin.core.status import DeliveryStatus, SubscriptionStatus
from plugin.notify import delivery as deliveries
from plugin.notify.types import ALL, TYPES
from plugin.notify.webhooks import guard

CHANNEL = DeliveryChannel.WEBHOOK
MAX_PER_SHOP = 20
FAILING_FOR = timedelta(days=3)  # failing this long (no success at all) pauses a subscription
PAUSED = "subscription paused"


class TooMany(LoyaltyError):
    status, code = 409, "too_many_subscriptions"


class KeyReused(LoyaltyError):
    status, code = 409, "idempotency_key_reused"


def as_dict(sub: WebhookSubscription) -> dict:
    return {"id": sub.uid, "url": sub.url, "events": sub.events, "status": sub.status,
            "failing_since": clock.iso(sub.failing_since), "paused_at": clock.iso(sub.paused_at),
            "created_at": clock.iso(sub.created_at)}


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def wants(sub: WebhookSubscription, type_name: str) -> bool:
    return ALL in sub.events or type_name in sub.events


def create(shop_id: int, url: str, events: list[str], vault: Vault,
           key: str | None = None) -> tuple[WebhookSubscription, str]:
    """A new active subscription and its secret (shown once here; ``secret`` reads it again).
    422 naming ``url`` or ``events`` when either is unacceptable, 409 past MAX_PER_SHOP."""
    unknown = sorted(set(events) - set(TYPES) - {ALL})
    if not events or unknown:
        raise Invalid("unknown event types", fields={"events": [
            f"unknown event types: {', '.join(unknown)}" if unknown else "give at least one event type"]})
    try:
        guard.check(url)
    except guard.Refused as exc:
        raise Invalid(f"url {exc}", fields={"url": [str(exc)]}) from None
    if WebhookSubscription.select().where(WebhookSubscription.shop == shop_id).count() >= MAX_PER_SHOP:
        raise TooMany(f"a shop has at most {MAX_PER_SHOP} webhook subscriptions")
    secret = new_secret()
    sub = WebhookSubscription.create(
        shop=shop_id, uid="sub_" + uuid.uuid4().hex[:24], url=url,
        events=[ALL] if ALL in events else sorted(set(events)), secret=vault.encrypt(secret),
        status=SubscriptionStatus.ACTIVE, idempotency_key=key, created_at=clock.now())
    return sub, secret


def create_once(shop_id: int, url: str, events: list[str], vault: Vault,
                key: str) -> tuple[WebhookSubscription, str, bool]:
    """``create`` under the client's Idempotency-Key: a retry gets the subscription the first call
    made, with its secret (True: replayed), never a second one; the key with another URL or other
    events is a 409. The secret stays encrypted in its row, not in a stored answer."""
    existing = _by_key(shop_id, key)
    if existing is None:
        try:
            with database.atomic():
                sub, secret = create(shop_id, url, events, vault, key)
            return sub, secret, False
        except IntegrityError:  # the same key at the same moment: the other call made it
            existing = _by_key(shop_id, key)
    if (existing.url, existing.events) != (url, [ALL] if ALL in events else sorted(set(events))):
        raise KeyReused("this Idempotency-Key made another subscription",
                        fields={"Idempotency-Key": ["used for another url or other events"]})
    return existing, vault.decrypt(existing.secret), True


def _by_key(shop_id: int, key: str) -> WebhookSubscription | None:
    return WebhookSubscription.get_or_none(
        (WebhookSubscription.shop == shop_id) & (WebhookSubscription.idempotency_key == key))


def listing(shop_id: int) -> list[WebhookSubscription]:
    return list(WebhookSubscription.select().where(WebhookSubscription.shop == shop_id)
                .order_by(WebhookSubscription.id))


def require(shop_id: int, uid: str) -> WebhookSubscription:
    sub = WebhookSubscription.get_or_none(
        (WebhookSubscription.shop == shop_id) & (WebhookSubscription.uid == uid))
    if sub is None:
        raise NotFound(f"no webhook subscription {uid!r}")
    return sub


def secret(sub: WebhookSubscription, vault: Vault) -> str:
    return vault.decrypt(sub.secret)


def delete(shop_id: int, uid: str) -> None:
    """Gone with its delivery log: the owner asked for it."""
    require(shop_id, uid).delete_instance()


def paused(shop_id: int) -> list[WebhookSubscription]:
    """The subscriptions the owner must hear about (the dashboard shows them)."""
    return list(WebhookSubscription.select().where(
        (WebhookSubscription.shop == shop_id) & (WebhookSubscription.status == SubscriptionStatus.PAUSED)))


def succeeded(sub_id: int) -> None:
    WebhookSubscription.update(failing_since=None).where(
        (WebhookSubscription.id == sub_id) & WebhookSubscription.failing_since.is_null(False)).execute()


def failing(sub_id: int, now: datetime) -> bool:
    """Note a failed attempt; pause the subscription once it has failed for FAILING_FOR.
    True when it was paused now."""
    WebhookSubscription.update(failing_since=now).where(
        (WebhookSubscription.id == sub_id) & WebhookSubscription.failing_since.is_null()).execute()
    paused_now = WebhookSubscription.update(status=SubscriptionStatus.PAUSED, paused_at=now).where(
        (WebhookSubscription.id == sub_id) & (WebhookSubscription.status == SubscriptionStatus.ACTIVE)
        & (WebhookSubscription.failing_since <= now - FAILING_FOR)).execute()
    if paused_now:
        Delivery.update(status=DeliveryStatus.FAILED, error=PAUSED).where(
            (Delivery.subscription == sub_id) & (Delivery.status == DeliveryStatus.PENDING)).execute()
    return bool(paused_now)


def resume(shop_id: int, uid: str) -> tuple[WebhookSubscription, int]:
    """Active again; every delivery that failed since it began failing is sent again. Returns the
    subscription and how many deliveries were queued."""
    sub = require(shop_id, uid)
    since = sub.failing_since or sub.paused_at
    WebhookSubscription.update(status=SubscriptionStatus.ACTIVE, paused_at=None, failing_since=None).where(
        WebhookSubscription.id == sub.id).execute()
    queued = 0
    if since is not None:
        queued = deliveries.replay(Delivery.select().where(
            (Delivery.subscription == sub.id) & (Delivery.status == DeliveryStatus.FAILED)
            & ((Delivery.last_attempt_at >= since) | (Delivery.error == PAUSED))))
    return require(shop_id, uid), queued


def log(shop_id: int, uid: str, *, status: str | None = None, before: int | None = None,
        limit: int = 50) -> list[dict]:
    """The subscription's deliveries, newest first (times naive UTC); ``before``: the ``cursor`` of
    the last row seen."""
    sub = require(shop_id, uid)
    query = (Delivery.select(Delivery, OutboxMessage).join(OutboxMessage)
             .where((Delivery.shop == shop_id) & (Delivery.subscription == sub.id)))
    if status:
        query = query.where(Delivery.status == status)
    if before:
        query = query.where(Delivery.id < before)
    return [{"cursor": d.id, "message_id": d.message.uid, "type": d.message.type, "status": d.status,
             "attempts": d.attempts, "response_code": d.response_code, "error": d.error,
             "created_at": d.created_at, "last_attempt_at": d.last_attempt_at,
             "next_attempt_at": d.next_attempt_at if d.status == DeliveryStatus.PENDING else None,
             "sent_at": d.sent_at}
            for d in query.order_by(Delivery.id.desc()).limit(limit)]


def _ensure_rows(sub: WebhookSubscription, messages: list[OutboxMessage]) -> None:
    """Delivery rows for messages of the subscription's types that have none (older than it, say)."""
    now = clock.now()
    insert_rows(Delivery, [
        {"shop": sub.shop_id, "message": m.id, "channel": CHANNEL, "target": sub.uid, "subscription": sub.id,
         "customer": m.customer_id, "status": DeliveryStatus.PENDING, "error": None, "next_attempt_at": now,
         "created_at": now} for m in messages if wants(sub, m.type)], ignore_conflicts=True)


def replay_message(shop_id: int, uid: str, message_uid: str) -> int:
    """Send one message to the subscription again (or for the first time); 404 for another shop's."""
    sub = require(shop_id, uid)
    message = OutboxMessage.get_or_none((OutboxMessage.shop == shop_id) & (OutboxMessage.uid == message_uid))
    if message is None:
        raise NotFound(f"no message {message_uid!r}")
    if not wants(sub, message.type):
        raise Invalid("the subscription does not take this type", fields={"message_id": [
            f"{message.type} is not among the subscription's events"]})
    _ensure_rows(sub, [message])
    return deliveries.replay(Delivery.select().where(
        (Delivery.subscription == sub.id) & (Delivery.message == message.id)))


def replay_since(shop_id: int, uid: str, since: datetime) -> int:
    """Send again every message of the subscription's types written since a time; returns how many."""
    sub = require(shop_id, uid)
    messages = OutboxMessage.select().where(
        (OutboxMessage.shop == shop_id) & (OutboxMessage.created_at >= since)
        & OutboxMessage.dispatched_at.is_null(False))
    _ensure_rows(sub, list(messages.order_by(OutboxMessage.id)))
    return deliveries.replay(Delivery.select().where(
        (Delivery.subscription == sub.id) & Delivery.message.in_(messages.select(OutboxMessage.id))))


def counts(shop_id: int) -> dict[int, dict[str, int]]:
    """Deliveries per subscription and status, for the list page."""
    out: dict[int, dict[str, int]] = {}
    for sub_id, status, n in (Delivery.select(Delivery.subscription, Delivery.status, fn.COUNT(Delivery.id))
                              .where((Delivery.shop == shop_id) & (Delivery.channel == CHANNEL))
                              .group_by(Delivery.subscription, Delivery.status).tuples()):
        out.setdefault(sub_id, {})[status] = n
    return out
