"""Who the widget's shopper is: app proxy signatures, customer tokens, and CORS by origin."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode

import pytest

from plugin.core import clock
from plugin.core.crypto import hmac_sha256
from plugin.core.db import session
from plugin.core.models import Shop
from plugin.customers import shops
from plugin.program import versions
from plugin.program.document import DEFAULT
from tests.helpers import APP_SECRET, SHOP_DOMAIN, fixture_json
from widgets import identity

VECTORS = fixture_json("shopify/hmac_vectors.json")["app_proxy_signature"]
BOB = "207119551"
NOW = datetime(2026, 3, 2, 12, 0)


@pytest.fixture
def vault(app):
    return app.extensions["loyalty"].vault


@pytest.fixture
def other_shop(app):
    with session():
        return shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)[0]


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def proxy_query(customer: str = BOB, *, moment: datetime = NOW, secret: str = APP_SECRET, **changes) -> str:
    params = {"shop": SHOP_DOMAIN, "logged_in_customer_id": customer, "path_prefix": "/apps/loyalty",
              "timestamp": str(unix(moment))}
    params["signature"] = identity.proxy_signature(secret, params)
    return urlencode({**params, **changes})


def account(client, query: str = "", **headers):
    return client.get("/widget/v1/account" + (f"?{query}" if query else ""), headers=headers)


def with_token(client, token: str, shop: str = SHOP_DOMAIN):
    return account(client, **{"Authorization": f"Bearer {token}", "X-Loyalty-Shop": shop})


def signed(vault, shop: Shop, payload) -> str:
    """A token over any payload, signed with the shop's real widget secret."""
    body = identity._b64(json.dumps(payload).encode())
    return f"{body}.{identity._b64(hmac_sha256(identity.widget_secret(vault, shop), body.encode()))}"


def assert_reveals_nothing(response) -> None:
    assert response.status_code == 401
    assert response.get_json() == {"error": "unauthorized",
                                   "message": "the sign-in is not valid; sign in again"}
    assert BOB not in response.get_data(as_text=True)


@pytest.mark.parametrize("vector", VECTORS, ids=["signed-in", "anonymous"])
def test_app_proxy_vectors_verify_and_name_the_shopper(app, vector):
    params = parse_qs(vector["query"], keep_blank_values=True)
    assert identity.proxy_message(params) == vector["message"]
    assert identity.proxy_signature_valid(vector["secret"], params, vector["expected_hex"])
    with session():
        shops.register("shopify", params["shop"][0], own_webhook_secret=False)
        shopper = identity.from_app_proxy(vector["secret"], {**params, "signature": [vector["expected_hex"]]},
                                          now=datetime.fromtimestamp(1317327555, UTC).replace(tzinfo=None))
    assert shopper.customer_id == (params["logged_in_customer_id"][0] or None)
    assert shopper.signed_in is bool(params["logged_in_customer_id"][0])


def test_signed_app_proxy_request_through_the_client_is_the_shopper(client, shop):
    at(NOW)
    response = account(client, proxy_query())
    assert response.status_code == 200
    assert response.get_json()["customer"] == BOB


@pytest.mark.parametrize("hours", [-25, 25])
def test_app_proxy_timestamp_older_or_newer_than_a_day_is_401(client, shop, hours):
    at(NOW)
    assert_reveals_nothing(account(client, proxy_query(moment=NOW + timedelta(hours=hours))))


@pytest.mark.parametrize("query", [
    lambda: proxy_query(secret="not-the-app-secret"),
    lambda: proxy_query(logged_in_customer_id="1"),  # signed for BOB, then changed
    lambda: proxy_query(signature="0" * 64),
    lambda: proxy_query(timestamp="yesterday"),
], ids=["wrong-secret", "tampered-customer", "zero-signature", "bad-timestamp"])
def test_forged_app_proxy_signature_is_401(client, shop, query):
    at(NOW)
    assert_reveals_nothing(account(client, query()))


def test_app_proxy_for_an_uninstalled_shop_is_401(client, shop):
    at(NOW)
    with session():
        Shop.update(active=False).where(Shop.id == shop.id).execute()
    shops.forget_cached()
    assert_reveals_nothing(account(client, proxy_query()))


def test_token_round_trip_names_the_customer(app, shop, vault):
    token = identity.issue_token(vault, shop, BOB, ttl=600)
    assert identity.read_token(vault, shop, token) == BOB
    with app.test_client() as client:
        assert with_token(client, token).get_json()["customer"] == BOB
        assert account(client, **{"X-Loyalty-Token": token, "X-Loyalty-Shop": SHOP_DOMAIN}).status_code == 200


def test_expired_token_is_401(client, shop, vault):
    at(NOW)
    token = identity.issue_token(vault, shop, BOB, ttl=timedelta(minutes=10))
    assert with_token(client, token).status_code == 200
    at(NOW + timedelta(minutes=10))
    assert_reveals_nothing(with_token(client, token))


@pytest.mark.parametrize("make", [
    lambda vault, shop: identity.issue_token(vault, shop, BOB, 600)[:-2] + "AA",
    lambda vault, shop: signed(vault, shop, {"shop": "other.myshopify.com", "customer": BOB, "exp": 2**40}),
    lambda vault, shop: signed(vault, shop, {"shop": SHOP_DOMAIN, "customer": "", "exp": 2**40}),
    lambda vault, shop: signed(vault, shop, [SHOP_DOMAIN, BOB]),
    lambda vault, shop: "not a token",
    lambda vault, shop: "a.b.c",
    lambda vault, shop: "x" * 5000,
], ids=["forged", "payload-of-another-shop", "empty-customer", "not-an-object",
        "garbage", "three-parts", "huge"])
def test_bad_tokens_are_401(client, shop, vault, make):
    assert_reveals_nothing(with_token(client, make(vault, shop)))


def assert_too_long(response, days: int = 30) -> None:
    assert response.status_code == 401
    assert response.get_json()["message"] == (
        f"the customer token must expire ('exp') within {days} days of being issued ('iat'); "
        "this shop allows no longer: sign a shorter one")
    assert BOB not in response.get_data(as_text=True)


def with_max_days(shop, days: int) -> None:
    with session():
        versions.save(shop.id, {**copy.deepcopy(DEFAULT), "customer_token_max_days": days}, author="t")


def test_token_living_exactly_the_default_maximum_of_30_days_is_accepted(client, shop, vault):
    at(NOW)
    token = signed(vault, shop, {"shop": SHOP_DOMAIN, "customer": BOB, "iat": unix(NOW),
                                 "exp": unix(NOW + timedelta(days=30))})
    assert with_token(client, token).status_code == 200


def test_token_living_longer_than_the_default_maximum_is_401_saying_so(client, shop, vault):
    at(NOW)
    token = signed(vault, shop, {"shop": SHOP_DOMAIN, "customer": BOB, "iat": unix(NOW),
                                 "exp": unix(NOW + timedelta(days=30, seconds=1))})
    assert_too_long(with_token(client, token))


def test_token_without_expiry_is_401_saying_so(client, shop, vault):
    assert_too_long(with_token(client, signed(vault, shop, {"shop": SHOP_DOMAIN, "customer": BOB})))


def test_token_without_issue_time_may_not_outlive_the_maximum_from_now(client, shop, vault):
    at(NOW)
    token = signed(vault, shop, {"shop": SHOP_DOMAIN, "customer": BOB, "exp": unix(NOW + timedelta(days=31))})
    assert_too_long(with_token(client, token))


def test_token_stamped_in_the_future_may_not_outlive_the_maximum_from_now(client, shop, vault):
    at(NOW)
    token = signed(vault, shop, {"shop": SHOP_DOMAIN, "customer": BOB, "iat": unix(NOW + timedelta(days=300)),
                                 "exp": unix(NOW + timedelta(days=310))})
    assert_too_long(with_token(client, token))


def test_the_shops_setting_changes_the_maximum_lifetime(client, shop, vault):
    at(NOW)
    with_max_days(shop, 90)
    token = signed(vault, shop, {"shop": SHOP_DOMAIN, "customer": BOB, "iat": unix(NOW),
                                 "exp": unix(NOW + timedelta(days=60))})
    assert with_token(client, token).status_code == 200
    with_max_days(shop, 7)
    assert_too_long(with_token(client, token), days=7)


def test_issuing_a_token_beyond_the_shops_maximum_raises(app, shop, vault):
    with pytest.raises(ValueError, match="at most 30 days"):
        identity.issue_token(vault, shop, BOB, ttl=timedelta(days=31))
    token = identity.issue_token(vault, shop, BOB, ttl=timedelta(days=30))
    assert identity.read_token(vault, shop, token) == BOB


def test_token_of_another_shop_is_401_for_this_shop(client, shop, other_shop, vault):
    token = identity.issue_token(vault, other_shop, BOB, 600)
    assert with_token(client, token, shop="other.myshopify.com").status_code == 200
    assert_reveals_nothing(with_token(client, token))


def test_rotating_the_shop_key_revokes_its_tokens(client, shop, vault):
    token = identity.issue_token(vault, shop, BOB, 600)
    with session():
        Shop.update(key_version=2).where(Shop.id == shop.id).execute()
    shops.forget_cached()
    assert_reveals_nothing(with_token(client, token))


def test_other_authorization_scheme_is_401(client, shop):
    headers = {"Authorization": "Basic Ym9iOnB3", "X-Loyalty-Shop": SHOP_DOMAIN}
    assert_reveals_nothing(account(client, **headers))


def test_token_for_an_unknown_shop_is_401(client, shop, vault):
    token = identity.issue_token(vault, shop, BOB, 600)
    assert_reveals_nothing(with_token(client, token, shop="nobody.myshopify.com"))


@pytest.mark.parametrize(("origin", "allowed"), [
    (f"https://{SHOP_DOMAIN}", True),
    ("https://loyalty.example.test", True),  # LOYALTY_PUBLIC_URL: the demo storefront
    (f"http://{SHOP_DOMAIN}", False),
    ("https://other.myshopify.com", False),  # another installed shop
    ("https://evil.example", False),
    ("null", False),
])
def test_cors_answers_only_the_shops_own_origins(client, shop, other_shop, origin, allowed):
    response = account(client, **{"X-Loyalty-Shop": SHOP_DOMAIN, "Origin": origin})
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
    assert "Origin" in response.headers["Vary"]


def test_401_is_readable_by_the_shops_origin(client, shop):
    response = account(client, **{"X-Loyalty-Token": "x.y", "X-Loyalty-Shop": SHOP_DOMAIN,
                                   "Origin": f"https://{SHOP_DOMAIN}"})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == f"https://{SHOP_DOMAIN}"


@pytest.mark.parametrize(("origin", "allowed"), [
    (f"https://{SHOP_DOMAIN}", True), ("https://loyalty.example.test", True),
    ("https://evil.example", False)])
def test_preflight_allows_the_widget_headers_for_shop_origins_only(client, shop, origin, allowed):
    response = client.options("/widget/v1/account", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization, x-loyalty-shop"})
    assert response.status_code == 204
    assert response.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
    if allowed:
        allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
        assert "authorization" in allowed_headers and "x-loyalty-shop" in allowed_headers
    else:
        assert "Access-Control-Allow-Headers" not in response.headers
