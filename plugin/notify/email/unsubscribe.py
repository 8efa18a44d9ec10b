"""One-click unsubscribe (RFC 8058): every e-mail links to a URL signed for its shopper and its kind
of message, which unsubscribes them from that kind with one POST and nothing else (no login: the
signature is the proof, and it names nothing but ids)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from plugin.core import clock
from plugin.core.crypto import hmac_sha256, same
from plugin.core.models import Customer, Delivery, OutboxMessage, Unsubscription
from plugin.core.status import DeliveryStatus
from plugin.notify.email.transport import environment
from plugin.notify.types import ALL, TYPES


@dataclass(frozen=True)
class Request:
    shop_id: int
    customer_id: int
    channel: str
    type: str  # a message type, or "*" for every kind


def token(shop_id: int, customer_id: int, channel: str, type_name: str) -> str:
    payload = f"{shop_id}:{customer_id}:{channel}:{type_name}".encode()
    return _b64(payload) + "." + _mac(shop_id, payload)


def url(shop_id: int, customer_id: int, channel: str, type_name: str) -> str:
    return f"{environment().public_url}/unsubscribe/{token(shop_id, customer_id, channel, type_name)}"


def read(text: str) -> Request | None:
    """The request a token stands for, or None when it was not signed by us (or is malformed)."""
    try:
        encoded, mac = text.split(".")
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        shop, customer, channel, type_name = payload.decode().split(":")
        request = Request(int(shop), int(customer), channel, type_name)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not same(mac, _mac(request.shop_id, payload)) or (type_name not in TYPES and type_name != ALL):
        return None
    return request


def customer_of(request: Request) -> Customer | None:
    return Customer.get_or_none((Customer.id == request.customer_id) & (Customer.shop == request.shop_id))


def unsubscribe(request: Request) -> None:
    """Record the wish (once) and suppress what is still waiting to go out of that kind."""
    Unsubscription.insert(shop=request.shop_id, customer=request.customer_id, channel=request.channel,
                          type=request.type, created_at=clock.now()).on_conflict_ignore().execute()
    waiting = Delivery.select(Delivery.id).join(OutboxMessage).where(
        (Delivery.shop == request.shop_id) & (Delivery.customer == request.customer_id)
        & (Delivery.channel == request.channel) & (Delivery.status == DeliveryStatus.PENDING))
    if request.type != ALL:
        waiting = waiting.where(OutboxMessage.type == request.type)
    Delivery.update(status=DeliveryStatus.SUPPRESSED, error="unsubscribed").where(
        Delivery.id.in_([d.id for d in waiting])).execute()


def _mac(shop_id: int, payload: bytes) -> str:
    key = environment().vault.derive("unsubscribe", shop_id)
    return _b64(hmac_sha256(key, payload)[:16])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
