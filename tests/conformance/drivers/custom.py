"""A custom store, as its backend sends: our documented events (tests/fixtures/custom, the README's
examples) with the scenario's ids, lines and codes, signed with Standard Webhooks with the shop's
``whsec_`` secret and posted to the address ``loyalty shops add`` prints. Its checkout applies the
plugin's own codes and lists them in the order's ``discount_codes``."""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime

from standardwebhooks import Webhook

from plugin.cli.shops import connection
from plugin.core.db import session
from plugin.customers import shops
from tests.conformance.drivers.base import Driver, Installed, Order, accepted
from tests.helpers import fixture_json
from webhooks.custom import payloads

DOMAIN = "conformance.example.com"
CURRENCY = "RUB"
EXAMPLES = {kind: fixture_json(f"custom/{kind}.json") for kind in payloads.TYPES}


class CustomDriver(Driver):
    platform = "custom"

    def __init__(self) -> None:
        self.deliveries = itertools.count(1)
        self.public_url = ""
        self.urls: dict[str, str] = {}
        self.signer: Webhook | None = None

    def _send(self, client, kind: str, data: dict) -> None:
        body = {**copy.deepcopy(EXAMPLES[kind]), "data": data}
        raw = json.dumps(body, ensure_ascii=False)
        msg_id, now = f"msg_conformance_{next(self.deliveries)}", datetime.now(UTC)
        accepted(client.post(self.urls[kind].removeprefix(self.public_url), data=raw.encode(), headers={
            "Content-Type": "application/json", "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.signer.sign(msg_id, now, raw)}))

    @staticmethod
    def _order(order: Order) -> dict:
        data = copy.deepcopy(EXAMPLES[payloads.PAID]["data"])
        template = data["lines"][0]
        data.update(id=order.order_id, currency=CURRENCY, shipping="0", tax="0",
                    discount_codes=list(order.codes),
                    customer={**data["customer"], "id": order.customer_id, "email": order.email},
                    lines=[{**template, "id": line.line_id, "product_id": line.product_id,
                            "sku": f"SKU-{line.product_id}", "quantity": line.quantity,
                            "price": str(line.price), "discount": "0", "on_sale": False}
                           for line in order.lines])
        return data

    # --- the contract ---------------------------------------------------------------------------

    def install(self, client, app) -> Installed:
        """``loyalty shops add --platform custom --domain D --currency RUB``: the URLs and the
        ``whsec_`` secret it prints."""
        runtime = app.extensions["loyalty"]
        with session():
            shop, _ = shops.register(self.platform, DOMAIN)
            shops.set_currency(shop, CURRENCY)
            printed = connection(shop, runtime.settings, runtime.vault)
        self.public_url, self.urls = runtime.settings.public_url, printed["webhooks"]
        self.signer = Webhook(printed["webhook_secret"])
        assert printed["widget_secret"]  # the store's backend signs its shoppers' tokens
        return Installed(shop.id, shop.domain, printed["api_key"], shop.currency)

    def sign_up(self, client, customer_id: str, email: str) -> None:
        self._send(client, payloads.CREATED, {**EXAMPLES[payloads.CREATED]["data"], "id": customer_id,
                                              "email": email})

    def paid(self, client, order: Order) -> None:
        self._send(client, payloads.PAID, self._order(order))

    def created_then_paid(self, client, order: Order) -> None:
        """A custom store tells only that an order is paid: an unpaid order is nothing to send; a
        backend that sends on every save sends the paid order again, which is stored once."""
        self._send(client, payloads.PAID, self._order(order))
        self._send(client, payloads.PAID, self._order(order))

    def refund(self, client, order: Order, refund_id: str, lines: dict[str, int]) -> None:
        self._send(client, payloads.REFUNDED, {"id": refund_id, "order_id": order.order_id, "lines": [
            {"line_id": line_id, "quantity": quantity} for line_id, quantity in lines.items()]})

    def cancel(self, client, order: Order) -> None:
        self._send(client, payloads.CANCELLED, {"order_id": order.order_id})

    def uninstall(self, client) -> None:
        self._send(client, payloads.UNINSTALLED, {})
