"""The Shopify install: authorize redirect, signed callback, stored tokens, webhooks, renewal."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Shop
from plugin.http.manifest import manifest
from plugin.http.oauth import STATE_KEY
from plugin.platforms import PlatformError
from plugin.platforms.shopify.tokens import access_token, refresh_expiring_tokens
from tests.helpers import FIXTURES

SECRET = "hush"  # SHOPIFY_API_SECRET of the test app
DOMAIN = "example.myshopify.com"
PUBLIC_URL = "https://loyalty.example.test"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NAIVE_NOW = NOW.replace(tzinfo=None)
STATE = "nonce-from-install"


def token_url(domain: str = DOMAIN) -> str:
    return f"https://{domain}/admin/oauth/access_token"


def graphql_url(domain: str = DOMAIN) -> str:
    return f"https://{domain}/admin/api/2025-10/graphql.json"


def signed(params: dict, secret: str = SECRET) -> dict:
    """The query Shopify sends: sorted key=value pairs, hex HMAC-SHA256 with the app secret."""
    message = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
    return {**params, "hmac": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


def callback_query(**overrides) -> dict:
    params = {"code": "auth-code-1", "shop": DOMAIN, "state": STATE,
              "timestamp": str(int(NOW.timestamp())), **overrides}
    return signed(params)


def token_body(access: str = "shpat_installed", refresh: str = "shprt_installed") -> dict:
    return {"access_token": access, "scope": "read_customers,read_orders", "expires_in": 3600,
            "refresh_token": refresh, "refresh_token_expires_in": 7776000}


def subscriptions(platform: str) -> list[tuple[str, str]]:
    """(topic, path) pairs manifest.json declares for the platform's API subscriptions."""
    return [(topic, entry["path"]) for entry in manifest()["webhooks"]
            if entry["platform"] == platform and not entry.get("compliance") for topic in entry["topics"]]


def subscribed(user_errors: list | None = None) -> dict:
    count = len(subscriptions("shopify"))
    return {"data": {f"s{i}": {"userErrors": user_errors or []} for i in range(count)}}


@pytest.fixture(autouse=True)
def frozen(app):
    clock.set_source(lambda: NOW)  # the app fixture restores the system clock


@pytest.fixture
def seeded(client):
    with client.session_transaction() as cookie:
        cookie[STATE_KEY] = STATE
    return client


@pytest.fixture
def mocked():
    with responses.RequestsMock() as mock:
        yield mock


def shop_row(domain: str = DOMAIN) -> Shop | None:
    with session():
        return Shop.get_or_none(Shop.domain == domain)


def shop_currency_body(code: str = "RUB") -> dict:
    return {"data": {"shop": {"currencyCode": code}}}


def install_ok(client, mocked, user_errors: list | None = None, currency: str = "RUB"):
    mocked.post(token_url(), json=token_body())
    mocked.post(graphql_url(), json=shop_currency_body(currency))
    mocked.post(graphql_url(), json=subscribed(user_errors))
    return client.get("/auth/callback", query_string=callback_query())


def test_install_redirects_to_shopify_authorize_with_state_in_session(client):
    response = client.get("/install", query_string={"shop": DOMAIN})
    assert response.status_code == 302
    url = urlsplit(response.headers["Location"])
    query = parse_qs(url.query, keep_blank_values=True)
    with client.session_transaction() as cookie:
        state = cookie[STATE_KEY]
    assert (url.scheme, url.netloc, url.path) == ("https", DOMAIN, "/admin/oauth/authorize")
    assert query == {"client_id": ["test-api-key"], "scope": [",".join(manifest()["scopes"])],
                     "redirect_uri": [PUBLIC_URL + "/auth/callback"], "state": [state],
                     "grant_options[]": [""]}
    assert len(state) >= 32


@pytest.mark.parametrize("shop", ["evil.example.com", "", "example.myshopify.com.evil.io"])
def test_install_with_invalid_shop_domain_is_400(client, shop):
    response = client.get("/install", query_string={"shop": shop})
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_install_without_shopify_credentials_is_503(app, client):
    loyalty = app.extensions["loyalty"]
    settings = dataclasses.replace(loyalty.settings, shopify_api_key=None, shopify_api_secret=None)
    app.extensions["loyalty"] = dataclasses.replace(loyalty, settings=settings)
    response = client.get("/install", query_string={"shop": DOMAIN})
    assert response.status_code == 503
    assert "not configured for Shopify" in response.get_json()["message"]


def test_callback_stores_shop_with_encrypted_tokens(app, seeded, mocked):
    response = install_ok(seeded, mocked)
    shop = shop_row()
    vault = app.extensions["loyalty"].vault
    assert response.status_code == 200
    assert response.get_json()["status"] == "installed"
    assert "shpat_installed" not in shop.access_token
    assert vault.decrypt(shop.access_token) == "shpat_installed"
    assert vault.decrypt(shop.refresh_token) == "shprt_installed"
    assert shop.token_expires_at == NAIVE_NOW + timedelta(hours=1)
    assert shop.refresh_token_expires_at == NAIVE_NOW + timedelta(days=90)
    assert (shop.scopes, shop.own_webhook_secret, shop.active) == ("read_customers,read_orders",
                                                                   False, True)


@pytest.mark.parametrize("currency", ["RUB", "EUR"])
def test_callback_stores_the_shop_currency_shopify_names(seeded, mocked, currency):
    install_ok(seeded, mocked, currency=currency)
    asked = json.loads(mocked.calls[1].request.body)
    assert "shop { currencyCode }" in asked["query"]
    assert shop_row().currency == currency


def test_callback_reads_the_currency_with_the_new_token(seeded, mocked):
    install_ok(seeded, mocked)
    assert mocked.calls[1].request.headers["X-Shopify-Access-Token"] == "shpat_installed"


def test_callback_without_a_shop_currency_is_502_and_writes_nothing(seeded, mocked):
    mocked.post(token_url(), json=token_body())
    mocked.post(graphql_url(), json={"data": {"shop": {"currencyCode": None}}})
    response = seeded.get("/auth/callback", query_string=callback_query())
    assert response.status_code == 502
    assert shop_row() is None


def test_callback_response_does_not_reveal_the_api_key(app, seeded, mocked):
    body = install_ok(seeded, mocked).get_data(as_text=True)
    shop = shop_row()
    assert app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version) not in body
    assert "loyalty shops add" in body


def test_callback_sends_code_and_secret_in_token_exchange(seeded, mocked):
    install_ok(seeded, mocked)
    assert json.loads(mocked.calls[0].request.body) == {
        "client_id": "test-api-key", "client_secret": SECRET, "code": "auth-code-1", "expiring": "1"}


def test_callback_subscribes_exactly_the_manifest_topics(seeded, mocked):
    install_ok(seeded, mocked)
    request = mocked.calls[2].request
    variables = json.loads(request.body)["variables"]
    declared = subscriptions("shopify")
    sent = sorted(zip((variables[f"topic{i}"] for i in range(len(declared))),
                      (variables[f"url{i}"] for i in range(len(declared))), strict=True))
    assert request.headers["X-Shopify-Access-Token"] == "shpat_installed"
    assert len(variables) == 2 * len(declared)
    assert sent == sorted((topic.upper().replace("/", "_"), PUBLIC_URL + path)
                          for topic, path in declared)
    assert not {"CUSTOMERS_REDACT", "SHOP_REDACT", "CUSTOMERS_DATA_REQUEST"} & set(variables.values())


def test_callback_with_bad_hmac_is_401_and_writes_nothing(seeded, mocked):
    query = {**callback_query(), "hmac": "0" * 64}
    response = seeded.get("/auth/callback", query_string=query)
    assert response.status_code == 401
    assert shop_row() is None


def test_callback_signed_with_another_secret_is_401(seeded, mocked):
    query = signed({"code": "c", "shop": DOMAIN, "state": STATE,
                    "timestamp": str(int(NOW.timestamp()))}, secret="not-the-app-secret")
    assert seeded.get("/auth/callback", query_string=query).status_code == 401


def test_callback_with_stale_timestamp_is_401(seeded, mocked):
    stale = str(int((NOW - timedelta(hours=25)).timestamp()))
    response = seeded.get("/auth/callback", query_string=callback_query(timestamp=stale))
    assert response.status_code == 401
    assert shop_row() is None


def test_callback_replaying_the_2012_docs_vector_is_401(client, mocked):
    vectors = json.loads((FIXTURES / "shopify/hmac_vectors.json").read_text())
    vector = vectors["oauth_query_hmac"][0]  # a valid HMAC, with a timestamp from 2012
    with client.session_transaction() as cookie:
        cookie[STATE_KEY] = vector["params"]["state"]
    response = client.get("/auth/callback",
                          query_string={**vector["params"], "hmac": vector["expected_hex"]})
    assert response.status_code == 401
    assert "stale" in response.get_json()["message"]


def test_callback_with_wrong_state_is_401(seeded, mocked):
    response = seeded.get("/auth/callback", query_string=callback_query(state="someone-elses"))
    assert response.status_code == 401
    assert shop_row() is None


def test_callback_without_state_in_session_is_401(client, mocked):
    assert client.get("/auth/callback", query_string=callback_query()).status_code == 401


def test_callback_state_is_single_use(seeded, mocked):
    install_ok(seeded, mocked)
    replay = seeded.get("/auth/callback", query_string=callback_query())
    assert replay.status_code == 401


def test_callback_with_bad_shop_domain_is_400_and_writes_nothing(seeded, mocked):
    response = seeded.get("/auth/callback", query_string=callback_query(shop="evil.example.com"))
    assert response.status_code == 400
    assert shop_row("evil.example.com") is None


def test_callback_token_exchange_error_is_502_and_writes_nothing(seeded, mocked):
    mocked.post(token_url(), status=400, json={"error": "invalid_request"})
    response = seeded.get("/auth/callback", query_string=callback_query())
    assert response.status_code == 502
    assert response.get_json()["error"] == "platform_error"
    assert shop_row() is None


def test_callback_subscription_error_is_502_and_keeps_the_new_token(app, seeded, mocked):
    denied = [{"field": ["topic"], "message": "Access denied"}]
    response = install_ok(seeded, mocked, user_errors=denied)
    assert response.status_code == 502
    # Shopify revoked the previous token when it issued this one: losing it would strand the shop.
    assert app.extensions["loyalty"].vault.decrypt(shop_row().access_token) == "shpat_installed"


def test_reinstall_after_uninstall_reactivates_the_same_shop(shop, seeded, mocked):
    with session():
        Shop.update(active=False, uninstalled_at=NAIVE_NOW).where(Shop.id == shop.id).execute()
    taken = [{"field": ["webhookSubscription"], "message": "Address for this topic has already been taken"}]
    response = install_ok(seeded, mocked, user_errors=taken)
    again = shop_row()
    assert response.status_code == 200
    assert (again.id, again.active, again.uninstalled_at) == (shop.id, True, None)


def test_install_over_a_manually_added_shop_trusts_the_app_secret(seeded, mocked):
    from plugin.customers import shops

    with session():
        shops.register("shopify", DOMAIN, own_webhook_secret=True)
    install_ok(seeded, mocked)
    assert shop_row().own_webhook_secret is False


def with_token(app, domain: str, expires_in: timedelta, **fields) -> Shop:
    from plugin.customers import shops

    vault = app.extensions["loyalty"].vault
    with session():
        shop, _ = shops.register("shopify", domain, own_webhook_secret=False)
        Shop.update(access_token=vault.encrypt(f"shpat_old_{domain}"),
                    refresh_token=vault.encrypt(f"shprt_old_{domain}"),
                    token_expires_at=NAIVE_NOW + expires_in, **fields).where(Shop.id == shop.id).execute()
        return Shop.get_by_id(shop.id)


def test_refresh_job_renews_only_the_expiring_shop(app, job_env, mocked):
    soon = with_token(app, "soon.myshopify.com", timedelta(hours=1))
    later = with_token(app, "later.myshopify.com", timedelta(hours=48))
    mocked.post(token_url("soon.myshopify.com"), json=token_body("shpat_new", "shprt_new"))
    clock.set_source(lambda: NOW + timedelta(minutes=30))
    assert refresh_expiring_tokens() == 1
    vault = app.extensions["loyalty"].vault
    sent = json.loads(mocked.calls[0].request.body)
    assert (sent["grant_type"], sent["refresh_token"]) == ("refresh_token", "shprt_old_soon.myshopify.com")
    assert vault.decrypt(shop_row(soon.domain).access_token) == "shpat_new"
    assert vault.decrypt(shop_row(soon.domain).refresh_token) == "shprt_new"
    assert shop_row(soon.domain).token_expires_at == NAIVE_NOW + timedelta(minutes=90)
    assert shop_row(later.domain).access_token == later.access_token


def test_refresh_job_skips_inactive_and_lapsed_refresh_tokens(app, job_env, mocked):
    with_token(app, "gone.myshopify.com", timedelta(hours=1), active=False)
    with_token(app, "lapsed.myshopify.com", timedelta(hours=1),
               refresh_token_expires_at=NAIVE_NOW - timedelta(days=1))
    assert refresh_expiring_tokens() == 0


def test_refresh_job_failure_of_one_shop_still_renews_the_others(app, job_env, mocked):
    broken = with_token(app, "broken.myshopify.com", timedelta(hours=1))
    fine = with_token(app, "fine.myshopify.com", timedelta(hours=2))
    mocked.post(token_url(broken.domain), status=401, json={"error": "invalid_grant"})
    mocked.post(token_url(fine.domain), json=token_body("shpat_fine"))
    assert refresh_expiring_tokens() == 1
    vault = app.extensions["loyalty"].vault
    assert vault.decrypt(shop_row(fine.domain).access_token) == "shpat_fine"
    assert shop_row(broken.domain).access_token == broken.access_token


def test_access_token_renews_a_token_lapsing_within_minutes(app, mocked):
    shop = with_token(app, DOMAIN, timedelta(minutes=3))
    mocked.post(token_url(), json=token_body("shpat_fresh"))
    runtime = app.extensions["loyalty"]
    with session():
        assert access_token(shop, runtime.vault, runtime.settings) == "shpat_fresh"


def test_access_token_uses_a_valid_token_without_calling_shopify(app, mocked):
    shop = with_token(app, DOMAIN, timedelta(minutes=30))
    runtime = app.extensions["loyalty"]
    with session():
        assert access_token(shop, runtime.vault, runtime.settings) == f"shpat_old_{DOMAIN}"
    assert len(mocked.calls) == 0


def test_access_token_without_a_token_is_platform_error(app, shop):
    runtime = app.extensions["loyalty"]
    with pytest.raises(PlatformError, match="install the app again"):
        access_token(shop, runtime.vault, runtime.settings)
