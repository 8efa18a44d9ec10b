"""Ecwid's topics. Ecwid posts every event of a store to one URL (the app's webhook URL), naming
it in the body (``eventType``), and signs only ``"{eventCreated}.{eventId}"``: a body could be
altered after signing, so an event says no more than "store S says entity E changed", and
plugin.platforms.ecwid reads E from the API (``prepare``) before the batch that applies it:

- an order's event is an ``order.snapshot`` still ``unread`` (it fails as Unread until read); prepare
  puts the order as the API states it in its place (``Prepared.payloads``);
- a customer's or the app's event is a ``notice``; prepare stores what the API said as one of the
  ``fetched/`` topics below and marks the notice done.

The ``fetched/`` topics hold the API's answers (reconciliation stores orders as ``fetched/order``
too); a webhook may never claim to be one.
"""

from __future__ import annotations

import base64
from typing import Any

from plugin.core.crypto import hmac_sha256, same
from plugin.core.kinds import EventKind
from webhooks import mapped as facts
from webhooks.contract import Inbound, Topic, fixed_path
from webhooks.ecwid import payloads
from webhooks.mapped import Mapped
from webhooks.readers import Unreadable, field, platform_id

PLATFORM = "ecwid"
PATH = "/webhooks/ecwid"  # as manifest.json declares it; set as the webhook URL in the app's settings
SIGNATURE_HEADER = "X-Ecwid-Webhook-Signature"
#: Ecwid's events the plugin acts on, each the entity it names (read from the API by id).
NOTICES = {"order.created": "order", "order.updated": "order", "order.deleted": "order",
           "customer.created": "customer", "application.uninstalled": "application"}
#: What the plugin stores of what it read: an order (reconciliation, or one that does not fit), a
#: customer, an uninstall the API confirmed.
ORDER, CUSTOMER, UNINSTALLED = "fetched/order", "fetched/customer", "fetched/uninstalled"
FETCHED = (ORDER, CUSTOMER, UNINSTALLED)


def sign(secret: str, event_created: Any, event_id: Any) -> str:
    """base64(HMAC-SHA256(client secret, "{eventCreated}.{eventId}")): Ecwid's signature."""
    return base64.b64encode(hmac_sha256(secret, f"{event_created}.{event_id}".encode())).decode()


def signed_part(body: Any) -> tuple[str, str] | None:
    """(eventCreated, eventId) as Ecwid signs them (a whole number and a short text), else None."""
    if not isinstance(body, dict):
        return None
    created, event_id = body.get("eventCreated"), body.get("eventId")
    part = []
    for value, longest in ((created, 20), (event_id, 128)):
        text = str(value)
        if isinstance(value, bool) or not isinstance(value, int | str) or not 1 <= len(text) <= longest \
                or not text.isprintable():  # no NUL, no lone surrogate: it is hashed and stored
            return None
        part.append(text)
    return part[0], part[1]


def verify(secret: str, body: Any, signature: str | None) -> bool:
    """Whether ``signature`` (the header) is the client secret's over the body's id and time."""
    part = signed_part(body)
    if part is None or not signature:
        return False
    return same(sign(secret, *part), signature.strip())


def _entity_id(body: Any, entity: str) -> str:
    if entity == "application":
        return platform_id(body, "storeId")
    return platform_id(body, "entityId")


def _notice_keys(body: Any) -> Mapped:
    """No business key: the delivery id (Ecwid's eventId) stores an event once. An order's event
    is the order's snapshot to be read; any other a notice."""
    event = field(body, "eventType")
    entity = NOTICES.get(event) if isinstance(event, str) else None
    if entity is None:
        raise Unreadable("eventType", "is not an event the plugin handles")
    if entity == "order":
        return Mapped(EventKind.ORDER_SNAPSHOT, subject=_entity_id(body, entity))
    return Mapped(EventKind.NOTICE)


def _notice(body: dict) -> Mapped:
    keys = _notice_keys(body)
    entity = NOTICES[body["eventType"]]
    named = {"entity": entity, "id": _entity_id(body, entity), "event": body["eventType"]}
    if keys.kind == EventKind.ORDER_SNAPSHOT:
        named["unread"] = f"order {named['id']} is read from Ecwid's API first"
    return Mapped(keys.kind, named, subject=keys.subject)


def snapshot_key(order_id: str, stamp: str) -> str:
    """One version of an order: ``order.snapshot:<order number>:<updateTimestamp>``."""
    return f"{EventKind.ORDER_SNAPSHOT}:{order_id}:{stamp}"


def _order_of(body: Any) -> tuple[str, str]:
    order = field(body, "order")
    return platform_id(order, "orderNumber"), payloads.version(order if isinstance(order, dict) else {})


def _order_keys(body: Any) -> Mapped:
    order_id, stamp = _order_of(body)
    return Mapped(EventKind.ORDER_SNAPSHOT, business_key=snapshot_key(order_id, stamp), subject=order_id)


def _order(body: dict) -> Mapped:
    data = payloads.snapshot(body)
    return Mapped(EventKind.ORDER_SNAPSHOT, data, snapshot_key(data["order"]["order_id"], data["version"]),
                  subject=data["order"]["order_id"])


def _customer_keys(body: Any) -> Mapped:
    return facts.customer_created(None, platform_id(body, "id"))


def _customer(body: dict) -> Mapped:
    data = payloads.customer(body)
    return facts.customer_created(data, data["customer"]["id"])


def _uninstalled_keys(body: Any) -> Mapped:
    """Once per installation: the store id and when the plugin was installed there."""
    store, installed = platform_id(body, "storeId"), field(body, "installed")
    if not isinstance(installed, str) or not installed.isalnum() or len(installed) > 32:
        raise Unreadable("installed", "must be the installation's time, letters and digits")
    key = f"{EventKind.SHOP_UNINSTALLED}:{store}:{installed}"
    return Mapped(EventKind.SHOP_UNINSTALLED, business_key=key)


def _uninstalled(body: dict) -> Mapped:
    keys = _uninstalled_keys(body)
    return Mapped(EventKind.SHOP_UNINSTALLED, {}, keys.business_key)


TOPICS: dict[str, Topic] = {
    **{event: Topic(_notice_keys, _notice) for event in NOTICES},
    ORDER: Topic(_order_keys, _order),
    CUSTOMER: Topic(_customer_keys, _customer),
    UNINSTALLED: Topic(_uninstalled_keys, _uninstalled),
}
INBOUND = Inbound(PLATFORM, PATH, TOPICS, tuple(sorted(NOTICES)), fixed_path(PATH))
