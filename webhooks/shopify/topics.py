"""Shopify's topics: what each webhook topic stores on the request (its keys) and maps to in the
worker (webhooks.shopify.payloads), and where a shop sends them (one address; the topic is a header)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError

from plugin.core.kinds import EventKind
from plugin.core.status import EventStatus
from webhooks import mapped as facts
from webhooks.contract import Inbound, Topic, fixed_path
from webhooks.mapped import MAX_AMOUNT, Mapped
from webhooks.readers import field, platform_id, shown
from webhooks.shopify import payloads as shopify
from webhooks.shopify import privacy_payloads, product_payloads

PLATFORM = "shopify"
PATH = "/webhooks/shopify"


def _order(body: dict) -> dict:
    data = shopify.order(body)
    for index, line in enumerate(data["lines"]):  # price x quantity must still fit our columns
        if Decimal(line["amount"]) > MAX_AMOUNT:
            raise ValidationError({"line_items": {index: {"price": [f"line total exceeds {MAX_AMOUNT}"]}}})
    return data


def _paid(body: dict) -> Mapped:
    data = _order(body)
    return facts.order_paid(data, data["order_id"])


def _paid_keys(body: Any) -> Mapped:
    return facts.order_paid(None, platform_id(body, "id"))


def _created(body: dict) -> Mapped:
    """orders/create earns only when the order was created already paid."""
    data = _order(body)
    if data["financial_status"] != "paid":
        return Mapped(None, status=EventStatus.IGNORED, note=f"order created {data['financial_status']}")
    return facts.order_paid(data, data["order_id"])


def _created_keys(body: Any) -> Mapped:
    status = field(body, "financial_status")
    if status != "paid":
        return Mapped(None, status=EventStatus.IGNORED, note=f"order created {shown(status)}")
    return _paid_keys(body)


def _cancelled(body: dict) -> Mapped:
    data = shopify.cancellation(body)
    return facts.order_cancelled(data, data["order_id"])


def _cancelled_keys(body: Any) -> Mapped:
    return facts.order_cancelled(None, platform_id(body, "id"))


def _refund(body: dict) -> Mapped:
    data = shopify.refund(body)
    return facts.order_refunded(data, data["refund_id"], data["order_id"])


def _refund_keys(body: Any) -> Mapped:
    return facts.order_refunded(None, platform_id(body, "id"), platform_id(body, "order_id"))


def _customer(body: dict) -> Mapped:
    data = shopify.customer(body)
    return facts.customer_created(data, data["customer"]["id"])


def _customer_keys(body: Any) -> Mapped:
    return facts.customer_created(None, platform_id(body, "id"))


def _uninstalled(body: dict) -> Mapped:
    return Mapped(EventKind.SHOP_UNINSTALLED, {})


def _kind_only(kind: str) -> Callable[[Any], Mapped]:
    def read(body: Any) -> Mapped:
        field(body, "id")  # an object, at least
        return Mapped(kind)
    return read


def _data_request_keys(body: Any) -> Mapped:
    """Once per Shopify data request id, as the mapper keys it."""
    if field(body, "data_request") is None:
        return Mapped(privacy_payloads.DATA_REQUEST)
    request_id = platform_id(body, "data_request.id")
    return Mapped(privacy_payloads.DATA_REQUEST,
                  business_key=f"{privacy_payloads.DATA_REQUEST}:{request_id}")


#: Topics a Shopify shop is subscribed to by the install flow (API subscriptions).
TOPICS: dict[str, Topic] = {
    "orders/create": Topic(_created_keys, _created),
    "orders/paid": Topic(_paid_keys, _paid),
    "orders/cancelled": Topic(_cancelled_keys, _cancelled),
    "refunds/create": Topic(_refund_keys, _refund),
    "customers/create": Topic(_customer_keys, _customer),
    "app/uninstalled": Topic(lambda body: Mapped(EventKind.SHOP_UNINSTALLED), _uninstalled),
    # Tags, type and compare-at prices for the rules (plugin.program.catalog); they never move points.
    "products/create": Topic(_kind_only(product_payloads.UPDATED), product_payloads.updated),
    "products/update": Topic(_kind_only(product_payloads.UPDATED), product_payloads.updated),
    "products/delete": Topic(_kind_only(product_payloads.DELETED), product_payloads.deleted),
}
#: Mandatory privacy topics: declared in the app's configuration, not subscribed over the API.
#: Stored like any event and applied by plugin.privacy (an export, a redaction, a shop wipe).
COMPLIANCE_TOPICS: dict[str, Topic] = {
    "customers/data_request": Topic(_data_request_keys, privacy_payloads.data_request),
    "customers/redact": Topic(_kind_only(privacy_payloads.CUSTOMER_REDACT), privacy_payloads.customer_redact),
    "shop/redact": Topic(_kind_only(privacy_payloads.SHOP_REDACT), privacy_payloads.shop_redact),
}
INBOUND = Inbound(PLATFORM, PATH, {**TOPICS, **COMPLIANCE_TOPICS}, tuple(sorted(TOPICS)), fixed_path(PATH),
                  compliance=tuple(sorted(COMPLIANCE_TOPICS)), secret=str)  # a shop registered by hand
