"""InSales' external discount: the shopper's held points as money off the cart, or nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Hold
from plugin.spend import redemption
from tests.helpers import fixture_json

VECTOR = fixture_json("insales/api_DERIVED_external_discount_vector.json")
CLIENT_ID = "12721951"  # the client of the dmz9 order webhook
CART = [{"line_id": "1", "sku": "A", "amount": "1000.00"}]


def url(app, shop_id: int) -> str:
    secret = app.extensions["loyalty"].vault.derive("insales-discount", shop_id)
    return f"/insales/discount/{shop_id}/{secret}"


def cart(client_id: str | None = CLIENT_ID, lines=None) -> dict:
    """The order InSales posts: the vector's lines (110.40 in all) and the shopper."""
    body = {"order_lines": lines if lines is not None else VECTOR["request_body"]["order_lines"]}
    if client_id is not None:
        body["client"] = {"id": int(client_id), "email": "shopper@example.test"}
    return body


def ask(client, app, shop_id: int, body):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(url(app, shop_id), data=raw, content_type="application/json")
    return response.status_code, json.loads(response.get_data(), parse_float=Decimal)


@pytest.fixture
def shopper(insales_shop):
    clock.set_source(lambda: datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    with session(), database.atomic():
        customer = customers.ensure(insales_shop.id, CLIENT_ID)
        ledger.grant(customer, 500, kind=EntryKind.BONUS, source="s", rule={}, key="g1")
    return customer


def hold(customer, points: int, key: str = "k1") -> Hold:
    with session():
        return redemption.redeem(customer, points=points, point_type="regular", lines=CART, key=key,
                                 currency="RUB")


def test_a_held_hold_is_the_discount_with_its_code_in_the_title(client, app, insales_shop, shopper):
    held = hold(shopper, 50)
    status, body = ask(client, app, insales_shop.id, cart())
    assert status == 200
    assert body == {"discount": Decimal(held.amount).quantize(Decimal("0.01")), "discount_type": "MONEY",
                    "title": f"Баллы {held.code}"}


def test_the_discount_is_at_most_the_carts_total(client, app, insales_shop, shopper):
    held = hold(shopper, 400)
    assert held.amount > Decimal("110.40")
    status, body = ask(client, app, insales_shop.id, cart())
    assert (status, body["discount"]) == (200, Decimal("110.40"))  # 100.00 + 0.00 + 10.40


def test_the_newest_live_hold_counts(client, app, insales_shop, shopper):
    hold(shopper, 10, key="old")
    clock.set_source(lambda: datetime(2026, 11, 22, 12, 1, tzinfo=UTC))
    newest = hold(shopper, 20, key="new")
    assert ask(client, app, insales_shop.id, cart())[1]["title"] == f"Баллы {newest.code}"


NONE = {"discount": 0, "discount_type": "MONEY", "title": ""}


def test_no_hold_no_shopper_or_an_unknown_shopper_is_no_discount(client, app, insales_shop, shopper):
    assert ask(client, app, insales_shop.id, cart()) == (200, NONE)
    hold(shopper, 50)
    assert ask(client, app, insales_shop.id, cart(client_id=None)) == (200, NONE)
    assert ask(client, app, insales_shop.id, cart(client_id="999")) == (200, NONE)


def test_a_released_or_expired_hold_gives_no_discount(client, app, insales_shop, shopper):
    held = hold(shopper, 50)
    with session():
        assert redemption.release(held.id, reason="test")
    assert ask(client, app, insales_shop.id, cart()) == (200, NONE)
    hold(shopper, 50, key="k2")
    clock.set_source(lambda: datetime(2026, 11, 22, 12, 0, tzinfo=UTC) + timedelta(hours=2))
    assert ask(client, app, insales_shop.id, cart()) == (200, NONE)


def test_a_wrong_secret_or_another_shop_is_401(client, app, insales_shop, shopper):
    hold(shopper, 50)
    wrong = url(app, insales_shop.id)[:-2] + "xx"
    assert client.post(wrong, json=cart()).status_code == 401
    assert client.post(url(app, insales_shop.id + 1), json=cart()).status_code == 401


@pytest.mark.parametrize("raw", [b"not json", b"[1]", json.dumps({"order_lines": "x"}).encode(),
                                 json.dumps({"order_lines": [{"sale_price": "abc"}]}).encode(),
                                 json.dumps({"order_lines": [{"sale_price": -1}]}).encode()])
def test_a_body_that_is_not_a_cart_is_400_with_errors(client, app, insales_shop, raw):
    status, body = ask(client, app, insales_shop.id, raw)
    assert status == 400 and isinstance(body["errors"], list) and body["errors"]


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                 max_size=4), max_leaves=12)
CARTS = st.fixed_dictionaries({}, optional={
    "order_lines": st.lists(st.fixed_dictionaries({}, optional={
        "sale_price": JSON, "quantity": JSON, "total_price": JSON, "id": JSON}), max_size=3) | JSON,
    "client": st.fixed_dictionaries({}, optional={"id": JSON}) | JSON,
    "client_id": JSON, "items_price": JSON, "order": JSON})


def test_any_json_body_gets_no_5xx(client, app, insales_shop, shopper):
    hold(shopper, 50)

    @given(body=JSON | CARTS)
    @settings(max_examples=150, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    def run(body):
        response = client.post(url(app, insales_shop.id), data=json.dumps(body),
                               content_type="application/json")
        assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]

    run()
