"""Shopify, as Shopify sends it: the recorded REST 2025-07 bodies (tests/fixtures/shopify) with the
scenario's ids, lines and codes, signed with the shop's own webhook secret (X-Shopify-Hmac-Sha256)
and posted to the address ``loyalty shops add`` prints. A shop registered by hand has no Admin API
token, so a redemption's discount is the plugin's own code, carried in ``discount_codes``."""

from __future__ import annotations

import copy
import itertools
import json
from decimal import Decimal

from plugin.cli.shops import connection
from plugin.core.db import session
from plugin.customers import shops
from tests.conformance.drivers.base import Driver, Installed, Order, accepted
from tests.helpers import ORDER_FIXTURE, SIGNUP, fixture_json
from webhooks.signatures import shopify_sign

ORDER = fixture_json(ORDER_FIXTURE)
CANCELLED = fixture_json("shopify/rest2025-07_order_cancelled__POST_orders_450789469_cancel.json")
REFUND = fixture_json("shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json")
CUSTOMER = fixture_json(SIGNUP)
SHOP = fixture_json("shopify/python_api_fixture_shop.json")["shop"]
DOMAIN = "conformance.myshopify.com"
CURRENCY = "RUB"


def _money(amount: Decimal | str) -> dict:
    """A ``*_set`` in the shop's currency, as Shopify writes one for an order paid in it."""
    value = str(Decimal(amount).quantize(Decimal("0.01")))
    return {"shop_money": {"amount": value, "currency_code": CURRENCY},
            "presentment_money": {"amount": value, "currency_code": CURRENCY}}


class ShopifyDriver(Driver):
    platform = "shopify"

    def __init__(self) -> None:
        self.deliveries = itertools.count(1)
        self.public_url = ""
        self.urls: dict[str, str] = {}
        self.secret = ""

    # --- what Shopify sends ---------------------------------------------------------------------

    def _send(self, client, topic: str, body: dict) -> None:
        raw = json.dumps(body).encode()
        accepted(client.post(self.urls[topic].removeprefix(self.public_url), data=raw, headers={
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": DOMAIN,
            "X-Shopify-Hmac-Sha256": shopify_sign(self.secret, raw),
            "X-Shopify-Webhook-Id": f"conformance-{next(self.deliveries)}",
            "X-Shopify-API-Version": "2025-07",
        }))

    def _line(self, line) -> dict:
        body = copy.deepcopy(ORDER["line_items"][0])
        body.update(id=int(line.line_id), admin_graphql_api_id=f"gid://shopify/LineItem/{line.line_id}",
                    product_id=int(line.product_id), variant_id=None, sku=f"SKU-{line.product_id}",
                    price=str(line.price), price_set=_money(line.price), quantity=line.quantity,
                    current_quantity=line.quantity, fulfillable_quantity=line.quantity,
                    total_discount="0.00", total_discount_set=_money(0), discount_allocations=[],
                    tax_lines=[], properties=[])
        return body

    def _order(self, order: Order, financial_status: str, template: dict = ORDER) -> dict:
        body = copy.deepcopy(template)
        total = sum((line.price * line.quantity for line in order.lines), Decimal(0))
        customer = {**copy.deepcopy(ORDER["customer"]), "id": int(order.customer_id), "email": order.email,
                    "admin_graphql_api_id": f"gid://shopify/Customer/{order.customer_id}"}
        body.update(
            id=int(order.order_id), admin_graphql_api_id=f"gid://shopify/Order/{order.order_id}",
            name=f"#{order.order_id}", email=order.email, contact_email=order.email, customer=customer,
            currency=CURRENCY, presentment_currency=CURRENCY, financial_status=financial_status,
            line_items=[self._line(line) for line in order.lines], shipping_lines=[], tax_lines=[],
            refunds=[], fulfillments=[], discount_applications=[],
            discount_codes=[{"code": code, "type": "fixed_amount"} for code in order.codes],
            total_tax="0.00", total_tax_set=_money(0), current_total_tax="0.00",
            current_total_tax_set=_money(0),
            subtotal_price=str(total), subtotal_price_set=_money(total), total_price=str(total),
            total_price_set=_money(total), total_line_items_price=str(total),
            total_line_items_price_set=_money(total), total_discounts="0.00", total_discounts_set=_money(0),
            total_shipping_price_set=_money(0), total_outstanding="0.00")
        return body

    # --- the contract ---------------------------------------------------------------------------

    def install(self, client, app) -> Installed:
        """``loyalty shops add --platform shopify --domain D --currency RUB``: the shop's own secret."""
        runtime = app.extensions["loyalty"]
        with session():
            shop, _ = shops.register(self.platform, DOMAIN)
            shops.set_currency(shop, CURRENCY)
            printed = connection(shop, runtime.settings, runtime.vault)
        self.public_url, self.urls, self.secret = (runtime.settings.public_url, printed["webhooks"],
                                                   printed["webhook_secret"])
        return Installed(shop.id, shop.domain, printed["api_key"], shop.currency)

    def sign_up(self, client, customer_id: str, email: str) -> None:
        body = copy.deepcopy(CUSTOMER)
        body.update(id=int(customer_id), email=email, currency=CURRENCY, addresses=[], default_address=None,
                    admin_graphql_api_id=f"gid://shopify/Customer/{customer_id}")
        self._send(client, "customers/create", body)

    def paid(self, client, order: Order) -> None:
        self._send(client, "orders/paid", self._order(order, "paid"))

    def created_then_paid(self, client, order: Order) -> None:
        self._send(client, "orders/create", self._order(order, "pending"))
        self._send(client, "orders/paid", self._order(order, "paid"))

    def refund(self, client, order: Order, refund_id: str, lines: dict[str, int]) -> None:
        body = copy.deepcopy(REFUND)
        template = body["refund_line_items"][0]
        by_id = {line.line_id: line for line in order.lines}
        items = []
        for number, (line_id, quantity) in enumerate(lines.items(), start=1):
            line = by_id[line_id]
            amount = line.price * quantity
            items.append({**copy.deepcopy(template), "id": int(refund_id) * 100 + number,
                          "line_item_id": int(line_id), "quantity": quantity,
                          "subtotal": float(amount), "subtotal_set": _money(amount),
                          "total_tax": 0.0, "total_tax_set": _money(0), "line_item": self._line(line)})
        refunded = sum((line.price * quantity for line_id, quantity in lines.items()
                        for line in [by_id[line_id]]), Decimal(0))
        transaction = {**copy.deepcopy(body["transactions"][0]), "order_id": int(order.order_id),
                       "amount": str(refunded), "currency": CURRENCY}
        body.update(id=int(refund_id), order_id=int(order.order_id), refund_line_items=items,
                    transactions=[transaction], order_adjustments=[], refund_shipping_lines=[],
                    admin_graphql_api_id=f"gid://shopify/Refund/{refund_id}")
        self._send(client, "refunds/create", body)

    def cancel(self, client, order: Order) -> None:
        body = self._order(order, "voided", template=CANCELLED)
        body.update(cancelled_at=CANCELLED["cancelled_at"], cancel_reason="customer")
        self._send(client, "orders/cancelled", body)

    def uninstall(self, client) -> None:
        self._send(client, "app/uninstalled", {**copy.deepcopy(SHOP), "domain": DOMAIN,
                                               "myshopify_domain": DOMAIN, "currency": CURRENCY})
