"""Ecwid as the tests send it: a store installed by OAuth (its token encrypted, in roubles), webhook
bodies signed as Ecwid signs them (only ``eventCreated.eventId``), and the API's answers."""

from __future__ import annotations

import copy
import itertools
import json
from decimal import Decimal

import pytest
import responses

from plugin.core.db import session
from plugin.core.models import Shop
from plugin.customers import shops
from plugin.platforms.ecwid import API_URL
from tests.helpers import fixture_json
from webhooks.ecwid.topics import SIGNATURE_HEADER, sign

SECRET = "abcde123456789"  # the docs' placeholder client secret, as the test app is configured
STORE = "1003"  # the docs' store id
TOKEN = "secure_123453lasdADSKasasdjasdklasASkmns"
ORDER = fixture_json("ecwid/order_get_1028_partially_refunded.json")
CUSTOMER = fixture_json("ecwid/customer_get_15319410.json")
PROFILE = {k: v for k, v in fixture_json("ecwid/DERIVED_store_profile.json").items() if k != "_derived"}
PAID_ORDER_LINES = [(11, 901, Decimal("1000.00"), 2)]  # one line of 2000.00: 100 points at the default 5%
_events = itertools.count(1)


def api(path: str, store: str = STORE) -> str:
    return f"{API_URL}/{store}{path}"


def notice(event_type: str, entity_id, store: int = int(STORE), **extra) -> dict:
    """A webhook body as Ecwid posts it, with a fresh eventId."""
    return {"eventId": f"e{next(_events):08d}-40e8-4145-8764-6c2f0d38678", "eventCreated": 1765000000,
            "storeId": store, "entityId": entity_id, "eventType": event_type, **extra}


def headers(body: dict, secret: str = SECRET) -> dict:
    return {"Content-Type": "application/json; charset=UTF-8",
            SIGNATURE_HEADER: sign(secret, body.get("eventCreated"), body.get("eventId"))}


def post(client, body: dict | bytes, sent: dict | None = None):
    """POST to the receiver, signed over the body's own eventCreated and eventId unless ``sent``."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/webhooks/ecwid", data=raw, headers=sent if sent is not None else headers(body))


def order(number: int = 1028, **changes) -> dict:
    """The docs' order as the API answers it, renumbered and changed."""
    return {**copy.deepcopy(ORDER), "orderNumber": number, **changes}


def api_order(number: int, customer_id: int, status: str, lines: list[tuple[int, int, Decimal, int]], *,
              email: str = "shopper@example.test", refunded: Decimal = Decimal(0), version: int = 0,
              code: str | None = None, coupon: Decimal = Decimal(0)) -> dict:
    """The docs' order with these lines ((item id, product id, price, quantity)), no tax, shipping
    or other discount, the coupon taken from the lines in order: what the API answers."""
    items, total, left = [], Decimal(0), coupon
    for item_id, product_id, price, quantity in lines:
        share = min(left, price * quantity)
        left -= share
        total += price * quantity - share
        items.append({**ORDER["items"][1], "id": item_id, "productId": product_id, "price": str(price),
                      "quantity": quantity, "couponAmount": str(share), "discounts": [], "shipping": 0,
                      "tax": 0})
    return order(number, items=items, total=str(total), subtotal=str(total), tax=0, discount=0,
                 volumeDiscount=0, handlingFee=None, shippingOption=None, customerId=customer_id, email=email,
                 paymentStatus=status, refundedAmount=str(refunded), refunds=[],
                 updateTimestamp=1765000000 + version, discountCoupon={"code": code} if code else None,
                 couponDiscount=str(coupon))


def install(app, store: str = STORE, currency: str = "RUB") -> Shop:
    vault = app.extensions["loyalty"].vault
    with session():
        shop, _ = shops.register("ecwid", store, own_webhook_secret=False)
        Shop.update(access_token=vault.encrypt(TOKEN), platform_shop_id=store, currency=currency).where(
            Shop.id == shop.id).execute()
    shops.forget_cached()
    with session():
        return Shop.get_by_id(shop.id)


@pytest.fixture
def ecwid_api():
    """Ecwid's API: nothing answers unless a test adds it (no test reaches the network)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def ecwid_shop(app, job_env, ecwid_api):
    return install(app)


@pytest.fixture
def send(client, drain):
    """Post a signed webhook and run the jobs it queued (with Redis; without, they ran already)."""

    def run(body: dict, sent: dict | None = None):
        response = post(client, body, sent)
        drain()
        return response

    return run
