"""The topic registry: the one list of what each platform sends us and what it becomes.

manifest.json's subscriptions are checked against this registry by a test, and the install flow
subscribes what the manifest lists, so the three never drift apart.
"""

from __future__ import annotations

from collections.abc import Callable

from webhooks import privacy_payloads, product_payloads, review_payloads
from webhooks import shopify_payloads as shopify
from webhooks.mapped import Mapped, unknown


def _paid(body: dict) -> Mapped:
    data = shopify.order(body)
    return Mapped("order.paid", data, f"order.paid:{data['order_id']}")


def _created(body: dict) -> Mapped:
    """orders/create earns only when the order was created already paid."""
    data = shopify.order(body)
    if data["financial_status"] != "paid":
        return Mapped(None, status="ignored", note=f"order created {data['financial_status']}")
    return Mapped("order.paid", data, f"order.paid:{data['order_id']}")


def _cancelled(body: dict) -> Mapped:
    data = shopify.cancellation(body)
    return Mapped("order.cancelled", data, f"order.cancelled:{data['order_id']}",
                  subject=data["order_id"])


def _refund(body: dict) -> Mapped:
    data = shopify.refund(body)
    return Mapped("order.refunded", data, f"order.refunded:{data['refund_id']}",
                  subject=data["order_id"])


def _customer(body: dict) -> Mapped:
    data = shopify.customer(body)
    return Mapped("customer.created", data, f"customer.created:{data['customer']['id']}")


def _uninstalled(body: dict) -> Mapped:
    return Mapped("shop.uninstalled", {})


#: Topics a Shopify shop is subscribed to by the install flow (API subscriptions).
SHOPIFY_TOPICS: dict[str, Callable[[dict], Mapped]] = {
    "orders/create": _created,
    "orders/paid": _paid,
    "orders/cancelled": _cancelled,
    "refunds/create": _refund,
    "customers/create": _customer,
    "app/uninstalled": _uninstalled,
    # Tags, type and compare-at prices for the rules (plugin.catalog); they never move points.
    "products/create": product_payloads.updated,
    "products/update": product_payloads.updated,
    "products/delete": product_payloads.deleted,
}
#: Mandatory privacy topics: declared in the app's configuration, not subscribed over the API.
#: Stored like any event and applied by plugin.privacy (an export, a redaction, a shop wipe).
SHOPIFY_COMPLIANCE_TOPICS: dict[str, Callable[[dict], Mapped]] = {
    "customers/data_request": privacy_payloads.data_request,
    "customers/redact": privacy_payloads.customer_redact,
    "shop/redact": privacy_payloads.shop_redact,
}
#: Judge.me review webhooks (configured in Judge.me's settings with the plugin's address).
JUDGEME_TOPICS: dict[str, Callable[[dict], Mapped]] = {
    "review/created": review_payloads.judgeme,
    "review/updated": review_payloads.judgeme,
}
#: Any review app or custom store, signed with Standard Webhooks; the type is in the body.
REVIEW_TYPES: dict[str, Callable[[dict], Mapped]] = {
    review_payloads.PUBLISHED: review_payloads.generic,
    review_payloads.UNPUBLISHED: review_payloads.generic,
}
REGISTRY: dict[str, dict[str, Callable[[dict], Mapped]]] = {
    "shopify": {**SHOPIFY_TOPICS, **SHOPIFY_COMPLIANCE_TOPICS},
    "judgeme": JUDGEME_TOPICS,
    "reviews": REVIEW_TYPES,
}

__all__ = ["REGISTRY", "Mapped", "unknown"]
