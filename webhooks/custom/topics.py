"""A custom store's event types: the type is in the body, the shop in the address
(``/webhooks/custom/<domain>``); keys like Shopify's, so a delivery sent twice applies once."""

from __future__ import annotations

from typing import Any

from webhooks import mapped as facts
from webhooks.contract import Inbound, Topic, domain_path
from webhooks.custom import payloads
from webhooks.mapped import Mapped
from webhooks.readers import field, opaque_id
from webhooks.signatures import standard_secret

PLATFORM = "custom"
PREFIX = "/webhooks/custom"
PATH = PREFIX + "/<domain>"


def _paid(body: dict) -> Mapped:
    data = payloads.order(body)
    return facts.order_paid(data, data["order_id"])


def _paid_keys(body: Any) -> Mapped:
    return facts.order_paid(None, opaque_id(body, "data.id"))


def _refund(body: dict) -> Mapped:
    data = payloads.refund(body)
    return facts.order_refunded(data, data["refund_id"], data["order_id"])


def _refund_keys(body: Any) -> Mapped:
    return facts.order_refunded(None, opaque_id(body, "data.id"), opaque_id(body, "data.order_id"))


def _cancelled(body: dict) -> Mapped:
    data = payloads.cancellation(body)
    return facts.order_cancelled(data, data["order_id"])


def _cancelled_keys(body: Any) -> Mapped:
    return facts.order_cancelled(None, opaque_id(body, "data.order_id"))


def _customer(body: dict) -> Mapped:
    data = payloads.customer(body)
    return facts.customer_created(data, data["customer"]["id"])


def _customer_keys(body: Any) -> Mapped:
    return facts.customer_created(None, opaque_id(body, "data.id"))


def _review(body: dict) -> Mapped:
    kind, data = payloads.review(body)
    return Mapped(kind, data)


def _review_keys(body: Any) -> Mapped:
    """The review's key is made on the request (webhooks.reviews.payloads.keyed), from its subject."""
    return Mapped(field(body, "type"), subject=f"review:{opaque_id(body, 'data.id')}")


def _uninstalled(body: dict) -> Mapped:
    payloads.load(body)
    return Mapped(payloads.UNINSTALLED, {})


TOPICS: dict[str, Topic] = {
    payloads.CREATED: Topic(_customer_keys, _customer),
    payloads.PAID: Topic(_paid_keys, _paid),
    payloads.REFUNDED: Topic(_refund_keys, _refund),
    payloads.CANCELLED: Topic(_cancelled_keys, _cancelled),
    payloads.PUBLISHED: Topic(_review_keys, _review),
    payloads.UNPUBLISHED: Topic(_review_keys, _review),
    # The store leaves: the shop is deactivated (its API key stops working) until it is added again.
    payloads.UNINSTALLED: Topic(lambda body: Mapped(payloads.UNINSTALLED), _uninstalled),
}
INBOUND = Inbound(PLATFORM, PATH, TOPICS, tuple(TOPICS), domain_path(PREFIX), secret=standard_secret)
