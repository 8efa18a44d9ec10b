"""InSales' topics and addresses. InSales does not sign webhooks, so each shop's addresses carry a
secret path segment (``path_secret``): ``/webhooks/insales/<shop id>/<secret>/<topic>``.

orders/create and orders/update carry the whole order and map to one ``order.snapshot`` (keyed by
the order's id and ``updated_at``: the same version stored once, whether a webhook or the
reconciliation job brought it); plugin.pipeline.snapshots derives paid, refunded and cancelled.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from plugin.core.crypto import Vault
from plugin.core.kinds import EventKind
from webhooks import mapped as facts
from webhooks.contract import PATH_SECRET, Address, Inbound, Topic
from webhooks.insales import payloads
from webhooks.mapped import Mapped
from webhooks.readers import Unreadable, field, platform_id

PLATFORM = "insales"
PATH = "/webhooks/insales/<shop_id>/<secret>/<topic>"  # as manifest.json declares it
PREFIX = "/webhooks/insales"
ORDER_TOPICS = ("orders/create", "orders/update")
CLIENT_TOPIC = "clients/create"
#: InSales' own timestamp spellings: its XML/JSON ("2017-06-14 17:00:27 +0300") and ISO 8601.
_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z")


def path_secret(vault: Vault, shop_id: int) -> str:
    """The secret segment of a shop's webhook addresses (URL-safe, derived, never stored): the one
    ``Address.of`` puts in every address ``loyalty shops add`` and the install print."""
    return vault.derive(PATH_SECRET, shop_id)


def delivery_id(raw: bytes, topic: str) -> str:
    """InSales sends no delivery id: the same body on the same topic is the same delivery (a
    version of an order that reconciliation lists again is caught by ``snapshot_key`` instead)."""
    return "sha256:" + hashlib.sha256(topic.encode("utf-8", "replace") + b"\n" + raw).hexdigest()


def address(where: Address, topic: str) -> str:
    """The full URL a shop sends ``topic`` to; ``where.path_secret`` is ``path_secret(vault, id)``."""
    return f"{where.base_url}{PREFIX}/{where.shop_id}/{where.path_secret}/{topic}"


def order_of(body: Any) -> Any:
    """The order object of a body, bare or wrapped as ``{"order": {...}}``."""
    return payloads.unwrapped(body, "order") if isinstance(body, dict) else body


def version(value: Any, order: Any) -> str:
    """``updated_at`` in UTC (one spelling whatever format brought it), else a digest of the order."""
    if isinstance(value, str):
        for spelling in _FORMATS:
            try:
                when = datetime.strptime(value.strip(), spelling).astimezone(UTC)
            except ValueError:
                continue
            fraction = f".{when.microsecond:06d}" if when.microsecond else ""
            return when.strftime("%Y%m%dT%H%M%S") + fraction + "Z"
    text = json.dumps(order, sort_keys=True, default=str, ensure_ascii=False)
    return "sha256-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def snapshot_key(body: Any) -> str:
    """The business key of one version of an order: ``order.snapshot:<order id>:<updated_at>``.
    The reconciliation job stores the orders it lists under the same key (Unreadable without an id)."""
    order = order_of(body)
    return (f"{EventKind.ORDER_SNAPSHOT}:{platform_id(order, 'id')}:"
            f"{version(field(order, 'updated_at'), order)}")


def _snapshot_keys(body: Any) -> Mapped:
    order = order_of(body)
    return Mapped(EventKind.ORDER_SNAPSHOT, business_key=snapshot_key(order),
                  subject=platform_id(order, "id"))


def _snapshot(body: dict) -> Mapped:
    data = payloads.snapshot(body)
    return Mapped(EventKind.ORDER_SNAPSHOT, data, snapshot_key(body), subject=data["order"]["order_id"])


def _client_keys(body: Any) -> Mapped:
    client = payloads.unwrapped(body, "client") if isinstance(body, dict) else body
    if not isinstance(client, dict):
        raise Unreadable("body", "must be a JSON object")
    return facts.customer_created(None, platform_id(client, "id"))


def _client(body: dict) -> Mapped:
    data = payloads.customer(body)
    return facts.customer_created(data, data["customer"]["id"])


TOPICS: dict[str, Topic] = {
    **{topic: Topic(_snapshot_keys, _snapshot) for topic in ORDER_TOPICS},
    CLIENT_TOPIC: Topic(_client_keys, _client),
}
INBOUND = Inbound(PLATFORM, PATH, TOPICS, tuple(sorted(TOPICS)), address)
