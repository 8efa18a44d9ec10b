"""The WooCommerce webhook receiver: ``POST /webhooks/woocommerce/<shop id>``.

Every webhook the plugin creates carries a secret of its own (topics.webhook_secret, per shop and
topic); WooCommerce signs the raw body with it (``X-WC-Webhook-Signature``: base64 HMAC-SHA256)
and names the topic in ``X-WC-Webhook-Topic``. A signed body is stored whatever it holds (invalid
when it does not fit) and answered 200. The one unsigned request is the ping WooCommerce sends
when a webhook is saved (form body ``webhook_id=N``): it needs a 200, and is recorded (ignored)
only when N is a webhook the plugin made for this shop, so unsigned requests cannot fill the inbox.
"""

from __future__ import annotations

import hashlib
import re

from plugin.core.errors import LoyaltyError, Unauthorized
from plugin.core.models import PlatformObject, Shop
from plugin.core.status import EventStatus
from plugin.customers import shops
from webhooks import inbox, receiving, signatures, stored
from webhooks.mapped import MAX_ID, Mapped
from webhooks.receiving import Answer, Delivery
from webhooks.woocommerce.topics import PING, PLATFORM, PREFIX, WEBHOOK_KIND, webhook_secret

ROUTE = f"{PREFIX}/<shop_id>"

SIGNATURE, TOPIC, DELIVERY = "X-WC-Webhook-Signature", "X-WC-Webhook-Topic", "X-WC-Webhook-Delivery-ID"
PING_BODY = re.compile(rb"^webhook_id=(.*)$", re.DOTALL)
MAX_TOPIC = 128


class MalformedPing(LoyaltyError):
    status, code = 400, "malformed_ping"


def valid(secret: str, raw_body: bytes, header: str | None) -> bool:
    """WooCommerce's signature: base64(HMAC-SHA256(raw body, the webhook's secret)), constant time
    (WC_Webhook::generate_signature): the same construction as Shopify's, with the webhook's secret."""
    return signatures.shopify_valid(secret, raw_body, header)


def sign(secret: str, raw_body: bytes) -> str:
    """The header value WooCommerce sends (tests and the conformance driver sign with it)."""
    return signatures.shopify_sign(secret, raw_body)


def shop_of(shop_id: str) -> Shop | None:
    """The WooCommerce shop the address names (any other text is no shop: 401, never a 404 or 500)."""
    if not (shop_id.isascii() and shop_id.isdigit() and 0 < int(shop_id) <= MAX_ID):
        return None
    return shops.for_receiver_id(PLATFORM, int(shop_id))


def delivery_id(delivery: Delivery, topic: str) -> str:
    """WooCommerce's delivery id (a new one per attempt: the business key deduplicates), else a digest."""
    given = (delivery.header(DELIVERY) or "").strip()
    if given:
        return given[:255]
    return "sha256:" + hashlib.sha256(topic.encode() + b"\n" + delivery.raw).hexdigest()


def _ping(shop: Shop, raw: bytes) -> Answer:
    """The save-time ping: 200 always; recorded once per webhook the plugin made for this shop."""
    match = PING_BODY.match(raw.strip())
    number = match.group(1).decode("ascii", "replace") if match else ""
    if not (number.isascii() and number.isdigit() and 0 < len(number) <= 19 and 0 < int(number) <= MAX_ID):
        raise MalformedPing("a ping's body is webhook_id=<the webhook's id>")
    ours = PlatformObject.select().where(
        (PlatformObject.shop == shop.id) & (PlatformObject.kind == WEBHOOK_KIND)
        & (PlatformObject.platform_id == str(int(number)))).exists()
    if not ours:
        return {"status": "ping"}
    stored_ping = inbox.store(shop, PLATFORM, PING, f"ping:{int(number)}", raw.decode("ascii", "replace"),
                              Mapped(None, status=EventStatus.IGNORED, note=f"ping of webhook {int(number)}"))
    return {"status": "ping", "event_id": stored_ping.id if stored_ping else None}


def receive(delivery: Delivery) -> Answer:
    raw = delivery.raw
    shop = shop_of(delivery.args["shop_id"])
    if shop is None:
        raise Unauthorized("unknown shop")
    header, topic = delivery.header(SIGNATURE), (delivery.header(TOPIC) or "").strip()
    if not header and not topic and raw.startswith(b"webhook_id="):
        return _ping(shop, raw)
    if not topic or len(topic) > MAX_TOPIC or not valid(
            webhook_secret(delivery.runtime.vault, shop.id, topic), raw, header):
        raise Unauthorized("webhook signature does not match")
    # Signed: stored whatever it holds (invalid when its keys cannot be read), never a 4xx.
    return receiving.accept(shop, PLATFORM, topic, delivery_id(delivery, topic), raw,
                            stored.read(PLATFORM, topic, raw))
