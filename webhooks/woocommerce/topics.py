"""WooCommerce's topics, secrets and address: every topic of a shop goes to
``/webhooks/woocommerce/<shop id>``, the topic in ``X-WC-Webhook-Topic``, each webhook signed with
a secret of its own, derived from the vault per shop and topic (never stored).

order.created and order.updated carry the whole order and map to one ``order.snapshot`` (keyed by
the order's id and ``date_modified_gmt``: WooCommerce's delivery id changes with every attempt, so
the business key is what stores a version once); plugin.pipeline.snapshots derives paid, refunded
and cancelled. A snapshot whose order lists refunds is ``unread`` until the platform's ``prepare``
has read their lines (plugin.platforms.woocommerce.adapter). order.deleted is the order's
cancellation, under the same key the derivation gives one, so the two are one fact.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from plugin.core.crypto import Vault
from plugin.core.kinds import EventKind
from webhooks import mapped as facts
from webhooks.contract import Address, Inbound, Topic
from webhooks.mapped import Mapped
from webhooks.readers import Unreadable, field, platform_id
from webhooks.woocommerce import payloads

PLATFORM = "woocommerce"
PATH = "/webhooks/woocommerce/<shop_id>"  # as manifest.json declares it
PREFIX = "/webhooks/woocommerce"
ORDER_TOPICS = ("order.created", "order.updated")
DELETED, CUSTOMER = "order.deleted", "customer.created"
WEBHOOK_KIND = "woocommerce.webhook"  # PlatformObject: a webhook the plugin created on the store
PING = "webhook.ping"  # the topic a stored ping gets (WooCommerce sends it without one)
#: WooCommerce's GMT timestamps ("2017-03-22T19:28:08", no zone: UTC by name).
_GMT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z?$")


def webhook_secret(vault: Vault, shop_id: int, topic: str) -> str:
    """The secret the plugin gives the shop's webhook for ``topic`` (derived, never stored)."""
    return vault.derive(f"woocommerce-webhook:{topic}", shop_id)


def address(where: Address, topic: str) -> str:
    """Every topic of a shop to one URL: the topic travels in ``X-WC-Webhook-Topic``."""
    return f"{where.base_url}{PREFIX}/{where.shop_id}"


def version(value: Any, order: Any) -> str:
    """``date_modified_gmt`` as WooCommerce writes it, else a digest of the order."""
    if isinstance(value, str) and _GMT.match(value):
        return value.removesuffix("Z")
    text = json.dumps(order, sort_keys=True, default=str, ensure_ascii=False)
    return "sha256-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def snapshot_key(order: Any) -> str:
    """The business key of one version of an order: ``order.snapshot:<order id>:<date_modified_gmt>``."""
    return (f"{EventKind.ORDER_SNAPSHOT}:{platform_id(order, 'id')}:"
            f"{version(field(order, 'date_modified_gmt'), order)}")


def _snapshot_keys(body: Any) -> Mapped:
    return Mapped(EventKind.ORDER_SNAPSHOT, business_key=snapshot_key(body), subject=platform_id(body, "id"))


def _snapshot(body: dict) -> Mapped:
    data = payloads.snapshot(body)
    return Mapped(EventKind.ORDER_SNAPSHOT, data, snapshot_key(body), subject=data["order"]["order_id"])


def _deleted_keys(body: Any) -> Mapped:
    return facts.order_cancelled(None, platform_id(body, "id"))


def _deleted(body: dict) -> Mapped:
    data = payloads.deletion(body)
    return facts.order_cancelled(data, data["order_id"])


def _customer_keys(body: Any) -> Mapped:
    if not isinstance(body, dict):
        raise Unreadable("body", "must be a JSON object")
    return facts.customer_created(None, platform_id(body, "id"))


def _customer(body: dict) -> Mapped:
    data = payloads.customer(body)
    return facts.customer_created(data, data["customer"]["id"])


TOPICS: dict[str, Topic] = {
    **{topic: Topic(_snapshot_keys, _snapshot) for topic in ORDER_TOPICS},
    DELETED: Topic(_deleted_keys, _deleted),
    CUSTOMER: Topic(_customer_keys, _customer),
}
INBOUND = Inbound(PLATFORM, PATH, TOPICS, tuple(sorted(TOPICS)), address)
