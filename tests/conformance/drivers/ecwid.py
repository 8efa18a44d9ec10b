"""Ecwid, as the conformance suite drives it: the store installed through OAuth, then every change
of an order posted as Ecwid posts it, a signed notice that names the order and nothing more; the
plugin reads the order from the API, which this driver mocks with ``responses`` from its own model
of each order (built on the docs' order, tests/fixtures/ecwid). A refund is PARTIALLY_REFUNDED with
``refundedAmount`` (Ecwid states refunds as money), a cancellation is CANCELLED, the uninstall is
application.uninstalled with the store's token refused by the API from then on.

The mock lives from install to the end of the test (tests/conformance/conftest.py stops it): the
widget's redemptions make and delete coupons on the "API" between the driver's steps.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import responses

from plugin.core.db import session
from plugin.core.models import Shop
from plugin.pipeline import platform_jobs
from plugin.platforms.ecwid import API_URL, TOKEN_URL
from tests.conformance.drivers.base import Driver, Installed, Order, accepted
from tests.webhooks.ecwid_bodies import CUSTOMER, PROFILE, api_order, headers, notice

STORE = 4044  # the conformance store's id
TOKEN = "secure_conformance"
_MOCKS: list[responses.RequestsMock] = []


def stop_mocks() -> None:
    """Stop every API mock a driver started (the conformance conftest calls it after each test)."""
    while _MOCKS:
        _MOCKS.pop().stop(allow_assert=False)


@dataclass
class _Model:
    """What the API says of one order now."""

    status: str = "AWAITING_PAYMENT"
    refunded: Decimal = Decimal(0)
    version: int = 0
    refunds: set[str] = field(default_factory=set)


@dataclass
class EcwidDriver(Driver):
    platform: str = "ecwid"
    snapshots: bool = True
    shop_id: int = 0
    uninstalled: bool = False
    orders: dict[str, tuple[Order, _Model]] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)
    coupons: dict[str, tuple[int, str]] = field(default_factory=dict)  # code -> (coupon id, discount)

    # --- the mocked API ---------------------------------------------------------------------------

    def _api(self) -> responses.RequestsMock:
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        mock.start()
        _MOCKS.append(mock)
        base = re.escape(f"{API_URL}/{STORE}")
        mock.add(responses.POST, TOKEN_URL, json={"access_token": TOKEN, "token_type": "bearer",
                                                  "scope": "read_orders", "store_id": STORE})
        mock.add_callback(responses.GET, re.compile(base + r"/profile"), callback=self._profile)
        mock.add_callback(responses.GET, re.compile(base + r"/orders/(\d+)"), callback=self._order)
        mock.add_callback(responses.GET, re.compile(base + r"/customers/(\d+)"), callback=self._customer)
        mock.add_callback(responses.POST, re.compile(base + r"/discount_coupons"), callback=self._coupon)
        mock.add(responses.DELETE, re.compile(base + r"/discount_coupons/\d+"), json={"deleteCount": 1})
        return mock

    def _refused(self):
        return (401, {}, json.dumps({"errorMessage": "Invalid token"})) if self.uninstalled else None

    def _profile(self, request):
        return self._refused() or (200, {}, json.dumps({**PROFILE, "generalInfo": {"storeId": STORE}}))

    def _order(self, request):
        number = urlsplit(request.url).path.rsplit("/", 1)[-1]
        if self._refused() or number not in self.orders:
            return self._refused() or (404, {}, "{}")
        return 200, {}, json.dumps(self._body(*self.orders[number]))

    def _customer(self, request):
        customer_id = urlsplit(request.url).path.rsplit("/", 1)[-1]
        if self._refused() or customer_id not in self.customers:
            return self._refused() or (404, {}, "{}")
        return 200, {}, json.dumps({**CUSTOMER, "id": int(customer_id), "email": self.customers[customer_id]})

    def _coupon(self, request):
        sent = json.loads(request.body)
        coupon_id = 900000 + len(self.coupons)
        self.coupons[sent["code"]] = (coupon_id, str(sent["discount"]))
        return 200, {}, json.dumps({"id": coupon_id, "code": sent["code"]})

    def _body(self, order: Order, model: _Model) -> dict:
        coupon = next((self.coupons[code] for code in order.codes if code in self.coupons), None)
        return api_order(int(order.order_id), int(order.customer_id), model.status,
                         [(int(line.line_id), int(line.product_id), line.price, line.quantity)
                          for line in order.lines],
                         email=order.email, refunded=model.refunded, version=model.version,
                         code=order.codes[0] if order.codes else None,
                         coupon=Decimal(coupon[1]) if coupon else Decimal(0))

    # --- what Ecwid posts -------------------------------------------------------------------------

    def _post(self, client, event_type: str, entity_id) -> None:
        body = notice(event_type, entity_id, store=STORE)
        accepted(client.post("/webhooks/ecwid", data=json.dumps(body).encode(), headers=headers(body)))

    def install(self, client, app) -> Installed:
        """The owner's OAuth install: authorize (state in the session), Ecwid's redirect back with a
        code, the token exchanged; the install work (the profile: roubles) done before returning."""
        self._api()
        start = client.get("/ecwid/install")
        assert start.status_code == 302, start.status_code
        state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
        accepted(client.get("/ecwid/callback", query_string={"code": "conformance-code", "state": state}))
        with session():
            shop = Shop.get((Shop.platform == "ecwid") & (Shop.domain == str(STORE)))
        platform_jobs.install_shop(shop.id)  # queued to RQ with Redis: done now, so the currency is read
        vault = app.extensions["loyalty"].vault
        with session():
            shop = Shop.get_by_id(shop.id)
        self.shop_id = shop.id
        return Installed(shop.id, shop.domain, vault.api_key(shop.id, shop.key_version), shop.currency)

    def sign_up(self, client, customer_id: str, email: str) -> None:
        self.customers[customer_id] = email
        self._post(client, "customer.created", int(customer_id))

    def _change(self, client, order: Order, event_type: str, **changes) -> None:
        _, model = self.orders.setdefault(order.order_id, (order, _Model()))
        changed = any(getattr(model, name) != value for name, value in changes.items())
        if changed or event_type == "order.created":
            for name, value in changes.items():
                setattr(model, name, value)
            model.version += 1
        self._post(client, event_type, int(order.order_id))

    def paid(self, client, order: Order) -> None:
        model = self.orders.get(order.order_id, (order, _Model()))[1]
        status = model.status if model.status in ("PAID", "PARTIALLY_REFUNDED") else "PAID"
        self._change(client, order, "order.updated", status=status)

    def created_then_paid(self, client, order: Order) -> None:
        self._change(client, order, "order.created", status="AWAITING_PAYMENT")
        self._change(client, order, "order.updated", status="PAID")

    def refund(self, client, order: Order, refund_id: str, lines: dict[str, int]) -> None:
        """Ecwid states a refund as money: the returned lines' price, added to refundedAmount."""
        _, model = self.orders.setdefault(order.order_id, (order, _Model(status="PAID")))
        refunded = model.refunded
        if refund_id not in model.refunds:
            model.refunds.add(refund_id)
            refunded += sum((line.price * lines.get(line.line_id, 0) for line in order.lines), Decimal(0))
        self._change(client, order, "order.updated", status="PARTIALLY_REFUNDED", refunded=refunded)

    def cancel(self, client, order: Order) -> None:
        self._change(client, order, "order.updated", status="CANCELLED")

    def uninstall(self, client) -> None:
        self.uninstalled = True  # Ecwid refuses the store's token from now on
        self._post(client, "application.uninstalled", str(STORE))
