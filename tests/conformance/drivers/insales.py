"""InSales, as the conformance suite drives it: whole-order snapshots posted to the shop's secret
webhook addresses (orders/create, orders/update, clients/create), built from the recorded order
(tests/fixtures/insales). There is no refund or cancel topic: a refund is the order sent again
with the returned lines' quantities lowered, a cancellation the order sent again ``declined``.
Ids are InSales' integers, so the suite's ids must be whole numbers.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

from plugin.core.db import session
from plugin.core.models import Shop
from plugin.customers import shops
from plugin.platforms.insales import DISCOUNT_TITLE
from tests.conformance.drivers.base import Driver, Installed, Order, accepted
from tests.helpers import fixture_json
from webhooks.insales.topics import path_secret

ORDER = fixture_json("insales/DERIVED_order_webhook_from_dmz9_xml.json")["order"]
CLIENT = fixture_json("insales/DERIVED_client_from_order_webhook.json")["client"]
DOMAIN = "conformance.myinsales.ru"
PASSWORD = "4c3f4c197336eb97475506e71c839c71"  # MD5(token + app secret), as install stores it


@dataclass
class _Sent:
    """What the driver last told InSales' webhooks about one order (InSales sends it whole)."""

    quantities: dict[str, int]
    financial: str = "pending"
    fulfillment: str = "new"
    version: int = 0
    refunds: set[str] = field(default_factory=set)  # the suite's refund ids already sent
    discounts: list[tuple[str, str | None]] = field(default_factory=list)  # (title, amount) applied


@dataclass
class InSalesDriver(Driver):
    platform: str = "insales"
    snapshots: bool = True
    shop_id: int = 0
    secret: str = ""
    discount_secret: str = ""
    orders: dict[str, _Sent] = field(default_factory=dict)

    def install(self, client, app) -> Installed:
        """Registered as ``loyalty shops add --platform insales`` does (the app-market install is the
        outbound side's, tested there), in roubles."""
        vault = app.extensions["loyalty"].vault
        with session():
            shop, _ = shops.register("insales", DOMAIN)
            shops.set_currency(shop, "RUB")
            Shop.update(access_token=vault.encrypt(PASSWORD)).where(Shop.id == shop.id).execute()
        self.shop_id, self.secret = shop.id, path_secret(vault, shop.id)
        self.discount_secret = vault.derive("insales-discount", shop.id)
        return Installed(shop.id, DOMAIN, vault.api_key(shop.id, shop.key_version), "RUB")

    def _post(self, client, topic: str, body: dict) -> None:
        response = client.post(f"/webhooks/insales/{self.shop_id}/{self.secret}/{topic}",
                               data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        accepted(response)

    def sign_up(self, client, customer_id: str, email: str) -> None:
        self._post(client, "clients/create", {**CLIENT, "id": int(customer_id), "email": email})

    def _body(self, order: Order, sent: _Sent) -> dict:
        body = copy.deepcopy(ORDER)
        lines = []
        for line in order.lines:
            quantity = sent.quantities.get(line.line_id, 0)
            if quantity <= 0:
                continue  # a line returned whole leaves the order
            total = str(line.price * quantity)
            lines.append({**ORDER["order_lines"][0], "id": int(line.line_id), "order_id": int(order.order_id),
                          "product_id": int(line.product_id), "variant_id": None, "quantity": quantity,
                          "sale_price": str(line.price), "full_sale_price": str(line.price),
                          "total_price": total, "full_total_price": total, "discounts_amount": "0"})
        discounts = [{**ORDER["discounts"][0], "description": title, "amount": amount,
                      "discount_order_lines_ids": []} for title, amount in sent.discounts]
        body.update(id=int(order.order_id), number=int(order.order_id) % 100000,
                    client={**CLIENT, "id": int(order.customer_id), "email": order.email},
                    order_lines=lines, discounts=discounts, discount=discounts[0] if discounts else None,
                    financial_status=sent.financial, fulfillment_status=sent.fulfillment,
                    updated_at=f"2026-01-01 00:{sent.version // 60:02d}:{sent.version % 60:02d} +0300")
        return body

    def _sent(self, order: Order) -> _Sent:
        quantities = {line.line_id: line.quantity for line in order.lines}
        return self.orders.setdefault(order.order_id, _Sent(quantities))

    def _send(self, client, topic: str, order: Order, **change) -> None:
        sent = self._sent(order)
        changed = {name: value for name, value in change.items() if getattr(sent, name) != value}
        if changed or topic == "orders/create":
            for name, value in changed.items():
                setattr(sent, name, value)
            sent.version += 1
        self._post(client, topic, self._body(order, sent))

    def _checkout(self, client, order: Order) -> None:
        """InSales asks the shop's external discount address what the cart gets; the answer's title
        (it names the hold's code) lands on the order as its discount. A code whose hold was
        released gets no answer any more; the order then carries the title InSales computed a
        moment before the release (the race a late charge covers)."""
        sent = self._sent(order)
        if sent.discounts or not order.codes:
            return
        response = client.post(f"/insales/discount/{self.shop_id}/{self.discount_secret}",
                               data=json.dumps({"order": self._body(order, sent)}).encode(),
                               headers={"Content-Type": "application/json"})
        accepted(response)
        answer = response.get_json()
        for code in order.codes:
            if code in answer["title"]:
                sent.discounts.append((answer["title"], str(answer["discount"])))
            else:
                sent.discounts.append((DISCOUNT_TITLE.format(code=code), None))

    def paid(self, client, order: Order) -> None:
        self._checkout(client, order)
        self._send(client, "orders/update", order, financial="paid")

    def created_then_paid(self, client, order: Order) -> None:
        self._checkout(client, order)
        self._send(client, "orders/create", order, financial="pending")
        self._send(client, "orders/update", order, financial="paid")

    def refund(self, client, order: Order, refund_id: str, lines: dict[str, int]) -> None:
        sent = self._sent(order)
        if refund_id in sent.refunds:  # the same refund again: InSales would send the order as it is
            self._send(client, "orders/update", order, financial="paid")
            return
        sent.refunds.add(refund_id)
        quantities = {line_id: max(0, quantity - lines.get(line_id, 0))
                      for line_id, quantity in sent.quantities.items()}
        self._send(client, "orders/update", order, financial="paid", quantities=quantities)

    def cancel(self, client, order: Order) -> None:
        self._send(client, "orders/update", order, fulfillment="declined")

    def uninstall(self, client) -> None:
        """InSales calls the uninstall address with the shop's password as ``token``."""
        accepted(client.get("/insales/uninstall", query_string={
            "shop": DOMAIN, "token": PASSWORD, "insales_id": "1"}))
