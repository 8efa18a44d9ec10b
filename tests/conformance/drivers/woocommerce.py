"""WooCommerce, as the conformance suite drives it: the store connected through the plugin's own
flow (``/woocommerce/connect`` -> WooCommerce's key-granting screen -> the keys posted to the
callback), its REST API mocked with ``responses`` (webhooks, currency, refunds, products, coupons),
and whole orders (tests/fixtures/woocommerce) sent as WooCommerce sends them: order.created and
order.updated signed with each webhook's own secret, a new delivery id per attempt.

There is no refund or cancel topic: a refund is the order sent again with a new entry in
``refunds`` (its lines listed by the refunds endpoint), a cancellation the order sent ``cancelled``.
The disconnect is the owner's ``DELETE /api/v1/shop``, which deletes the webhooks the plugin made.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import weakref
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import responses

from plugin.core.db import session
from plugin.core.models import Shop
from plugin.pipeline import platform_jobs
from tests.conformance.drivers.base import Driver, Installed, Order, accepted
from tests.helpers import fixture_json
from webhooks.woocommerce.receiver import sign
from webhooks.woocommerce.topics import webhook_secret

ORDER = fixture_json("woocommerce/orders__retrieve_an_order.json")
REFUND = fixture_json("woocommerce/order-refunds__list_all_refunds__724_with_line_items.json")
CUSTOMER = fixture_json("woocommerce/customers__retrieve_a_customer.json")
COUPON = fixture_json("woocommerce/coupons__create_a_coupon_response.json")
HOOK = fixture_json("woocommerce/webhooks__retrieve_a_webhook.json")
DOMAIN = "conformance-woo.example.test"
API = f"https://{DOMAIN}/wp-json/wc/v3"
CURRENCY = "RUB"
CATEGORY = {"id": 15, "name": "Music", "slug": "music"}


@dataclass
class _Sent:
    """What the store holds of one order (WooCommerce sends it whole)."""

    status: str = "pending"
    version: int = 0
    refunds: dict[str, dict[str, int]] = field(default_factory=dict)  # refund id -> line id -> quantity
    coupons: list[tuple[str, Decimal]] = field(default_factory=list)  # (code as stored, discount)
    created: bool = False


@dataclass
class WooCommerceDriver(Driver):
    platform: str = "woocommerce"
    snapshots: bool = True
    shop_id: int = 0
    api_key: str = ""
    vault: object = None
    orders: dict[str, _Sent] = field(default_factory=dict)
    placed: dict[str, Order] = field(default_factory=dict)
    webhooks: dict[int, dict] = field(default_factory=dict)
    coupons: dict[int, dict] = field(default_factory=dict)  # the store's coupons, by id
    issued: dict[str, Decimal] = field(default_factory=dict)  # every code the plugin made: its amount
    ids: itertools.count = field(default_factory=lambda: itertools.count(5000))
    deliveries: itertools.count = field(default_factory=lambda: itertools.count(1))

    # --- the store's REST API ---------------------------------------------------------------------

    def _mock(self) -> None:
        """The store's REST API for as long as this driver lives (the scenario's redemptions call it
        from the widget, outside any driver method). The mock holds the driver weakly, so it stops
        when the scenario's world is gone, and lets every other address through meanwhile."""
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        mock.add_passthru(re.compile(rf"^(?!https://{re.escape(DOMAIN)}/)"))
        mock.start()
        weakref.finalize(self, mock.stop, allow_assert=False)
        me = weakref.ref(self)

        def call(name: str):
            return lambda request: getattr(me(), name)(request)

        mock.add_callback("GET", f"{API}/webhooks", callback=call("_webhooks"))
        mock.add_callback("POST", f"{API}/webhooks", callback=call("_new_webhook"))
        mock.add_callback("DELETE", re.compile(rf"{re.escape(API)}/webhooks/\d+"),
                          callback=call("_gone_webhook"))
        mock.add("GET", f"{API}/settings/general/woocommerce_currency",
                 json={"id": "woocommerce_currency", "label": "Currency", "value": CURRENCY})
        mock.add_callback("GET", re.compile(rf"{re.escape(API)}/orders/\d+/refunds"),
                          callback=call("_refunds"))
        mock.add_callback("GET", f"{API}/products", callback=call("_products"))
        mock.add_callback("POST", f"{API}/coupons", callback=call("_new_coupon"))
        mock.add_callback("DELETE", re.compile(rf"{re.escape(API)}/coupons/\d+"),
                          callback=call("_gone_coupon"))

    def _webhooks(self, request):
        return 200, {}, json.dumps(list(self.webhooks.values()))

    def _new_webhook(self, request):
        body = json.loads(request.body)
        hook = {**copy.deepcopy(HOOK), "id": next(self.ids), "name": body["name"], "topic": body["topic"],
                "delivery_url": body["delivery_url"], "status": body["status"]}
        self.webhooks[hook["id"]] = hook
        return 201, {}, json.dumps(hook)

    def _gone_webhook(self, request):
        hook = self.webhooks.pop(_last_id(request), None)
        return (200, {}, json.dumps(hook)) if hook else _missing("woocommerce_rest_invalid_id")

    def _new_coupon(self, request):
        body = json.loads(request.body)
        code = body["code"].lower()  # WooCommerce stores coupon codes lowercased
        coupon = {**copy.deepcopy(COUPON), **body, "id": next(self.ids), "code": code}
        self.coupons[coupon["id"]] = coupon
        self.issued[code] = Decimal(body["amount"])
        return 201, {}, json.dumps(coupon)

    def _gone_coupon(self, request):
        coupon = self.coupons.pop(_last_id(request), None)
        return (200, {}, json.dumps(coupon)) if coupon else _missing(
            "woocommerce_rest_shop_coupon_invalid_id")

    def _refunds(self, request):
        order_id = urlsplit(request.url).path.split("/")[-2]
        order, sent = self.placed[order_id], self.orders[order_id]
        by_id = {line.line_id: line for line in order.lines}
        listed = []
        for refund_id, lines in reversed(sent.refunds.items()):  # newest first, as WooCommerce lists them
            items = []
            for n, (line_id, quantity) in enumerate(lines.items(), start=1):
                line, back = by_id[line_id], str(-by_id[line_id].price * quantity)
                items.append({**copy.deepcopy(REFUND["line_items"][0]), "id": int(refund_id) * 10 + n,
                              "product_id": int(line.product_id), "quantity": -quantity, "subtotal": back,
                              "total": back, "price": float(-line.price),
                              "meta_data": [{"id": 1, "key": "_refunded_item_id", "value": line_id}]})
            amount = sum((by_id[line_id].price * quantity for line_id, quantity in lines.items()), Decimal(0))
            listed.append({**copy.deepcopy(REFUND), "id": int(refund_id), "amount": str(amount),
                           "line_items": items})
        return 200, {}, json.dumps(listed)

    def _products(self, request):
        wanted = parse_qs(urlsplit(request.url).query)["include"][0].split(",")
        return 200, {}, json.dumps([
            {"id": int(product_id), "name": f"Product {product_id}", "type": "simple", "price": "100.00",
             "regular_price": "100.00", "sale_price": "", "on_sale": False, "categories": [CATEGORY],
             "tags": [], "variations": []} for product_id in wanted])

    # --- what WooCommerce sends -------------------------------------------------------------------

    def _post(self, client, topic: str, body: dict) -> None:
        raw = json.dumps(body, separators=(",", ":")).encode()
        resource, event = topic.split(".")
        hook = next((h for h in self.webhooks.values() if h["topic"] == topic), {"id": 0})
        accepted(client.post(f"/webhooks/woocommerce/{self.shop_id}", data=raw, headers={
            "Content-Type": "application/json", "User-Agent": "WooCommerce/9.0 Hookshot (WordPress/6.5)",
            "X-WC-Webhook-Source": f"https://{DOMAIN}/", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sign(webhook_secret(self.vault, self.shop_id, topic), raw),
            "X-WC-Webhook-ID": str(hook["id"]),
            "X-WC-Webhook-Delivery-ID": f"wc-{next(self.deliveries):08x}"}))

    def _job_env(self, app) -> None:
        """The jobs (install, the refunds read before a batch, the disconnect) read their settings from
        the environment, as a worker does: the test app's, for as long as this driver lives."""
        settings = app.extensions["loyalty"].settings
        wanted = {"LOYALTY_DATABASE_URL": settings.database_url,
                  "LOYALTY_REDIS_URL": settings.redis_url or "",
                  "LOYALTY_SECRET_KEY": settings.secret_key, "LOYALTY_PUBLIC_URL": settings.public_url}
        weakref.finalize(self, _restore, {name: os.environ.get(name) for name in wanted})
        os.environ.update(wanted)

    def install(self, client, app) -> Installed:
        """The owner connects the store; WooCommerce posts the granted keys to the callback; the
        install work (webhooks, currency) runs as a worker would run it."""
        self.vault = app.extensions["loyalty"].vault
        self._job_env(app)
        self._mock()
        started = client.get("/woocommerce/connect", query_string={"store": f"https://{DOMAIN}"})
        assert started.status_code == 302, started.get_data(as_text=True)
        user_id = parse_qs(urlsplit(started.headers["Location"]).query)["user_id"][0]
        granted = client.post("/woocommerce/callback", json={
            "key_id": 1, "user_id": user_id, "consumer_key": "ck_" + "c" * 40,
            "consumer_secret": "cs_" + "d" * 40, "key_permissions": "read_write"})
        accepted(granted)
        granted.close()  # the install work starts once the answer has gone
        with session():
            shop = Shop.get((Shop.platform == self.platform) & (Shop.domain == DOMAIN))
            if shop.install_pending:
                platform_jobs.install_shop(shop.id)
            shop = Shop.get_by_id(shop.id)
        self.shop_id, self.api_key = shop.id, self.vault.api_key(shop.id, shop.key_version)
        assert sorted(h["topic"] for h in self.webhooks.values()) == [
            "customer.created", "order.created", "order.deleted", "order.updated"]
        return Installed(shop.id, DOMAIN, self.api_key, shop.currency)

    def sign_up(self, client, customer_id: str, email: str) -> None:
        body = copy.deepcopy(CUSTOMER)
        body.update(id=int(customer_id), email=email, username=email.split("@")[0],
                    billing={**CUSTOMER["billing"], "email": email})
        self._post(client, "customer.created", body)

    def _body(self, order: Order, sent: _Sent) -> dict:
        body = copy.deepcopy(ORDER)
        discount = sum((amount for _, amount in sent.coupons), Decimal(0))
        lines, total = [], Decimal(0)
        for line in order.lines:
            bought = line.price * line.quantity
            off = min(discount, bought)
            discount -= off
            lines.append({**copy.deepcopy(ORDER["line_items"][0]), "id": int(line.line_id),
                          "name": f"Product {line.product_id}", "product_id": int(line.product_id),
                          "variation_id": 0, "quantity": line.quantity, "subtotal": str(bought),
                          "subtotal_tax": "0.00",
                          "total": str(bought - off), "total_tax": "0.00", "taxes": [], "sku": "",
                          "price": float(line.price)})
            total += bought - off
        refunds = [{"id": int(refund_id), "refund": "",
                    "total": str(-sum((line.price * lines_back.get(line.line_id, 0) for line in order.lines),
                                      Decimal(0)))}
                   for refund_id, lines_back in reversed(sent.refunds.items())]
        stamp = f"2026-01-01T00:{sent.version // 60:02d}:{sent.version % 60:02d}"
        coupons = [{"id": n, "code": code, "discount": str(amount), "discount_tax": "0.00", "meta_data": []}
                   for n, (code, amount) in enumerate(sent.coupons, start=1)]
        body.update(id=int(order.order_id), number=order.order_id, status=sent.status, currency=CURRENCY,
                    customer_id=int(order.customer_id), billing={**ORDER["billing"], "email": order.email},
                    date_modified=stamp, date_modified_gmt=stamp, line_items=lines, shipping_lines=[],
                    tax_lines=[], shipping_total="0.00", shipping_tax="0.00", cart_tax="0.00",
                    total_tax="0.00", discount_total=str(sum((a for _, a in sent.coupons), Decimal(0))),
                    total=str(total), refunds=refunds, coupon_lines=coupons)
        return body

    def _sent(self, order: Order) -> _Sent:
        self.placed[order.order_id] = order
        sent = self.orders.setdefault(order.order_id, _Sent())
        if not sent.coupons:  # the checkout applied the shopper's code(s) with what the coupon was worth
            sent.coupons = [(code.lower(), self.issued.get(code.lower(), Decimal(0))) for code in order.codes]
        return sent

    def _send(self, client, order: Order, status: str | None = None,
              refund: tuple[str, dict] | None = None) -> None:
        """The order as the store holds it after the change (none: the same version delivered again)."""
        sent = self._sent(order)
        changed = (status is not None and status != sent.status) or (refund and refund[0] not in sent.refunds)
        if changed:
            sent.status = status or sent.status
            if refund:
                sent.refunds[refund[0]] = refund[1]
            sent.version += 1
        topic = "order.updated" if sent.created else "order.created"
        sent.created = True
        self._post(client, topic, self._body(order, sent))

    def paid(self, client, order: Order) -> None:
        self._send(client, order, "processing")

    def created_then_paid(self, client, order: Order) -> None:
        self._send(client, order, "pending")
        self._send(client, order, "processing")

    def refund(self, client, order: Order, refund_id: str, lines: dict[str, int]) -> None:
        sent = self._sent(order)
        self._send(client, order, sent.status if sent.version else "processing", (refund_id, dict(lines)))

    def cancel(self, client, order: Order) -> None:
        self._send(client, order, "cancelled")

    def uninstall(self, client) -> None:
        """WooCommerce sends no uninstall notice: the owner disconnects the store in the plugin."""
        answer = client.delete("/api/v1/shop", query_string={"confirm": DOMAIN},
                               headers={"Authorization": f"Bearer {self.api_key}"})
        accepted(answer)
        answer.close()


def _last_id(request) -> int:
    return int(urlsplit(request.url).path.rsplit("/", 1)[1])


def _missing(code: str) -> tuple:
    return 404, {}, json.dumps({"code": code, "message": "Invalid ID.", "data": {"status": 404}})


def _restore(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
