"""The webhook channel: one delivery per message and subscription that asked for its type, sent as
Standard Webhooks (``webhook-id`` is the message's uid, so a receiver drops a retry it has seen),
with timeouts, without following redirects, and in order per shopper per subscription: a later
message for a shopper waits while an earlier one to the same subscription is still pending."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import requests
from peewee import fn
from standardwebhooks import Webhook

from plugin.config import load_settings
from plugin.core import clock
from plugin.core.crypto import Vault
from plugin.core.kinds import DeliveryChannel
from plugin.core.models import Customer, Delivery, OutboxMessage, Shop, WebhookSubscription
from plugin.core.status import DeliveryStatus, SubscriptionStatus
from plugin.notify import delivery
from plugin.notify.settings import Settings
from plugin.notify.webhooks import guard, subscriptions

TIMEOUT = (5, 15)  # seconds to connect, then to wait for the answer
WAITING = "waiting for an earlier message to this shopper"
USER_AGENT = "loyalty-plugin-webhooks/1"


def payload(message: OutboxMessage, shop: Shop, customer: Customer | None) -> bytes:
    """The body every subscription gets: ``{"type", "timestamp", "data"}``, the shop and the
    shopper inside ``data``; no personal fields left for a shopper whose data was erased."""
    data = {**message.data, "shop": {"domain": shop.domain, "platform": shop.platform}}
    if customer is not None:
        person = {} if customer.redacted_at else {
            "email": customer.email, "first_name": customer.first_name, "last_name": customer.last_name,
            "phone": customer.phone, "locale": customer.locale}
        data["customer"] = {"id": customer.platform_id, **person}
    body = {"type": message.type, "timestamp": clock.iso(message.created_at),
            "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def post(http: requests.Session, url: str, message_uid: str, body: bytes,
         signer: Webhook) -> tuple[int | None, str | None]:
    """One attempt: (HTTP status, None) on a 2xx, else (status or None, what went wrong)."""
    try:
        addresses = guard.check(url)  # again now: the host's DNS answer may have changed since
    except guard.Refused as exc:
        return None, f"refused: url {exc}"
    sent_at = clock.now()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "webhook-id": message_uid,
               "webhook-timestamp": str(int(sent_at.replace(tzinfo=UTC).timestamp())),
               "webhook-signature": signer.sign(message_uid, sent_at, body)}
    if addresses:
        url, headers["Host"] = guard.pin(url, addresses[0])
    try:
        with http.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False,
                       stream=True) as response:
            if 200 <= response.status_code < 300:
                return response.status_code, None
            excerpt = response.raw.read(300, decode_content=True).decode("utf-8", "replace")
            return response.status_code, f"HTTP {response.status_code}: {excerpt}".strip()
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]


class WebhookChannel:
    name = DeliveryChannel.WEBHOOK

    def plan(self, shop: Shop, settings: Settings, messages: list[OutboxMessage],
             customers: dict[int, Customer]) -> list[dict]:
        """A row per message and subscription that wants its type; a paused subscription's row is
        logged failed at once (resuming sends it)."""
        subs = subscriptions.listing(shop.id)
        paused = {sub.id for sub in subs if sub.status == SubscriptionStatus.PAUSED}
        return [{"message": m.id, "channel": self.name, "target": sub.uid, "subscription": sub.id,
                 "customer": m.customer_id,
                 "status": DeliveryStatus.FAILED if sub.id in paused else DeliveryStatus.PENDING,
                 "error": subscriptions.PAUSED if sub.id in paused else None}
                for m in messages for sub in subs if subscriptions.wants(sub, m.type)]

    def send_due(self, now: datetime, limit: int = 200) -> int:
        claimed = delivery.due(self.name, now, limit)
        if not claimed:
            return 0
        messages = _by_id(OutboxMessage, {d.message_id for d in claimed})
        subs = _by_id(WebhookSubscription, {d.subscription_id for d in claimed})
        shops = _by_id(Shop, {d.shop_id for d in claimed})
        customers = _by_id(Customer, {m.customer_id for m in messages.values() if m.customer_id})
        vault = Vault(load_settings().secret_key)
        signers: dict[int, Webhook] = {}
        bodies: dict[int, bytes] = {}
        sent = 0
        with requests.Session() as http:
            http.trust_env = False  # straight to the checked address, never through an environment proxy
            for scheme in ("https://", "http://"):
                http.mount(scheme, guard.PinnedAdapter())
            earliest = _earliest_pending_elsewhere(claimed)
            for d in claimed:
                sub = subs[d.subscription_id]
                if sub.status == SubscriptionStatus.PAUSED:
                    delivery.failed(d, subscriptions.PAUSED, clock.now(), permanent=True)
                    continue
                key = (d.subscription_id, d.customer_id)
                behind = d.customer_id and earliest.get(key, d.message_id) < d.message_id
                if behind and _wait_for_earlier(d, now):
                    continue
                message = messages[d.message_id]
                if message.id not in bodies:
                    customer = customers.get(message.customer_id)
                    bodies[message.id] = payload(message, shops[d.shop_id], customer)
                if sub.id not in signers:
                    try:
                        signers[sub.id] = Webhook(subscriptions.secret(sub, vault))
                    except ValueError as exc:  # LOYALTY_SECRET_KEY changed: retried, and the log says why
                        delivery.failed(d, str(exc), clock.now())
                        continue
                code, error = post(http, sub.url, message.uid, bodies[message.id], signers[sub.id])
                if _record(d, sub, code, error):
                    sent += 1
                elif d.customer_id:
                    earliest[key] = min(earliest.get(key, d.message_id), d.message_id)  # later ones wait
        return sent


def _record(d: Delivery, sub: WebhookSubscription, code: int | None, error: str | None) -> bool:
    """Note the attempt on the delivery and on the subscription's health; True when it was sent."""
    if error is None:
        delivery.succeeded(d, clock.now(), code=code)
        if sub.failing_since is not None:
            subscriptions.succeeded(sub.id)
            sub.failing_since = None
        return True
    delivery.failed(d, error, clock.now(), code=code)
    sub.failing_since = sub.failing_since or clock.now()
    if subscriptions.failing(sub.id, clock.now()):
        sub.status = SubscriptionStatus.PAUSED
    return False


def _by_id(model, ids: set) -> dict:
    return {row.id: row for row in model.select().where(model.id.in_(list(ids)))} if ids else {}


def _earliest_pending_elsewhere(claimed: list[Delivery]) -> dict[tuple[int, int], int]:
    """Per (subscription, shopper) of the batch, the earliest message still pending outside it (a
    retry not due yet, or another sender's): one query a batch, so the common case costs nothing."""
    keyed = [d for d in claimed if d.customer_id]
    if not keyed:
        return {}
    rows = (Delivery.select(Delivery.subscription, Delivery.customer, fn.MIN(Delivery.message)).where(
        (Delivery.channel == DeliveryChannel.WEBHOOK) & (Delivery.status == DeliveryStatus.PENDING)
        & Delivery.id.not_in([d.id for d in claimed])
        & Delivery.subscription.in_(list({d.subscription_id for d in keyed}))
        & Delivery.customer.in_(list({d.customer_id for d in keyed})))
        .group_by(Delivery.subscription, Delivery.customer).tuples())
    return {(sub_id, customer_id): message_id for sub_id, customer_id, message_id in rows}


def _wait_for_earlier(d: Delivery, now: datetime) -> bool:
    """When an earlier message for the same shopper to the same subscription is still pending, this
    one waits until that one's next attempt (no attempt counted) and True is returned."""
    if d.customer_id is None:
        return False
    earlier = (Delivery.select(Delivery.next_attempt_at).where(
        (Delivery.subscription == d.subscription_id) & (Delivery.customer == d.customer_id)
        & (Delivery.status == DeliveryStatus.PENDING) & (Delivery.message < d.message_id))
        .order_by(Delivery.next_attempt_at).first())
    if earlier is None:
        return False
    Delivery.update(next_attempt_at=max(earlier.next_attempt_at, now), error=WAITING).where(
        Delivery.id == d.id).execute()
    return True


CHANNEL = WebhookChannel()
