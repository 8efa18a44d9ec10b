"""The Shopify client: the bytes it sends, what it makes of the answers, and the OAuth signature."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses

from plugin.core import clock
from plugin.platforms import PlatformError
from plugin.platforms.shopify.client import API_VERSION, TIMEOUT, ShopifyClient, oauth_query_valid
from tests.helpers import FIXTURES

DOMAIN = "example.myshopify.com"
TOKEN_URL = f"https://{DOMAIN}/admin/oauth/access_token"
GRAPHQL_URL = f"https://{DOMAIN}/admin/api/{API_VERSION}/graphql.json"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
VECTORS = json.loads((FIXTURES / "shopify/hmac_vectors.json").read_text())[
    "oauth_query_hmac"]
SUBSCRIPTIONS = [("orders/paid", "/webhooks/shopify"), ("app/uninstalled", "/webhooks/shopify")]


@pytest.fixture(autouse=True)
def frozen():
    clock.set_source(lambda: NOW)
    yield
    clock.set_source(None)


@pytest.fixture
def mocked():
    with responses.RequestsMock() as mock:
        yield mock


def sent(call) -> dict:
    return json.loads(call.request.body)


def token_response(**extra) -> dict:
    return {"access_token": "shpat_1", "scope": "read_orders", "expires_in": 3600,
            "refresh_token": "shprt_1", "refresh_token_expires_in": 7776000, **extra}


@pytest.mark.parametrize("vector", VECTORS, ids=["docs", "no-state", "ids-array", "escaping"])
def test_oauth_query_vector_verifies(vector):
    assert oauth_query_valid(vector["secret"], vector["params"], vector["expected_hex"])


def test_oauth_query_with_other_secret_is_invalid():
    vector = VECTORS[0]
    assert not oauth_query_valid("not-hush", vector["params"], vector["expected_hex"])


def test_oauth_query_without_hmac_is_invalid():
    assert not oauth_query_valid("hush", VECTORS[0]["params"], None)


def test_oauth_query_ignores_hmac_and_signature_params():
    vector = VECTORS[0]
    params = {**vector["params"], "hmac": vector["expected_hex"], "signature": "legacy"}
    assert oauth_query_valid(vector["secret"], params, vector["expected_hex"])


def test_exchange_code_sends_credentials_code_and_expiring(mocked):
    mocked.post(TOKEN_URL, json=token_response())
    ShopifyClient(DOMAIN).exchange_code("key", "secret", "the-code")
    assert sent(mocked.calls[0]) == {"client_id": "key", "client_secret": "secret",
                                     "code": "the-code", "expiring": "1"}
    assert mocked.calls[0].request.req_kwargs["timeout"] == TIMEOUT


def test_exchange_code_turns_lifetimes_into_absolute_times(mocked):
    mocked.post(TOKEN_URL, json=token_response())
    token = ShopifyClient(DOMAIN).exchange_code("key", "secret", "the-code")
    naive_now = NOW.replace(tzinfo=None)
    assert (token.access_token, token.refresh_token, token.scope) == ("shpat_1", "shprt_1", "read_orders")
    assert token.expires_at == naive_now + timedelta(hours=1)
    assert token.refresh_token_expires_at == naive_now + timedelta(days=90)


def test_exchange_code_non_expiring_token_has_no_expiry(mocked):
    mocked.post(TOKEN_URL, json={"access_token": "shpat_1", "scope": "read_orders"})
    token = ShopifyClient(DOMAIN).exchange_code("key", "secret", "the-code")
    assert (token.expires_at, token.refresh_token, token.refresh_token_expires_at) == (None, None, None)


def test_exchange_code_http_error_is_platform_error_502(mocked):
    mocked.post(TOKEN_URL, status=400, json={"error": "invalid_request"})
    with pytest.raises(PlatformError) as raised:
        ShopifyClient(DOMAIN).exchange_code("key", "secret", "used-code")
    assert raised.value.status == 502
    assert "400" in raised.value.message


def test_exchange_code_connection_error_is_platform_error(mocked):
    mocked.post(TOKEN_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(PlatformError, match="could not reach"):
        ShopifyClient(DOMAIN).exchange_code("key", "secret", "the-code")


def test_exchange_code_answer_without_token_is_platform_error(mocked):
    mocked.post(TOKEN_URL, json={"error": "nope"})
    with pytest.raises(PlatformError, match="no access_token"):
        ShopifyClient(DOMAIN).exchange_code("key", "secret", "the-code")


def test_refresh_sends_refresh_token_grant(mocked):
    mocked.post(TOKEN_URL, json=token_response(access_token="shpat_2"))
    token = ShopifyClient(DOMAIN).refresh("key", "secret", "shprt_old")
    assert sent(mocked.calls[0]) == {"client_id": "key", "client_secret": "secret",
                                     "grant_type": "refresh_token", "refresh_token": "shprt_old"}
    assert token.access_token == "shpat_2"


def test_graphql_sends_token_header_and_returns_data(mocked):
    mocked.post(GRAPHQL_URL, json={"data": {"shop": {"name": "Example"}}})
    data = ShopifyClient(DOMAIN, "shpat_1").graphql("{ shop { name } }", {"a": 1})
    assert data == {"shop": {"name": "Example"}}
    assert mocked.calls[0].request.headers["X-Shopify-Access-Token"] == "shpat_1"
    assert sent(mocked.calls[0]) == {"query": "{ shop { name } }", "variables": {"a": 1}}
    assert mocked.calls[0].request.req_kwargs["timeout"] == TIMEOUT


def test_graphql_top_level_errors_are_platform_error(mocked):
    mocked.post(GRAPHQL_URL, json={"errors": [{"message": "Throttled"}]})
    with pytest.raises(PlatformError, match="Throttled"):
        ShopifyClient(DOMAIN, "shpat_1").graphql("{ shop { name } }")


def test_graphql_without_access_token_is_platform_error_and_sends_nothing(mocked):
    with pytest.raises(PlatformError, match="no access token"):
        ShopifyClient(DOMAIN).graphql("{ shop { name } }")
    assert len(mocked.calls) == 0


def test_subscribe_webhooks_sends_each_topic_and_callback_url(mocked):
    mocked.post(GRAPHQL_URL, json={"data": {"s0": {"userErrors": []}, "s1": {"userErrors": []}}})
    topics = ShopifyClient(DOMAIN, "shpat_1").subscribe_webhooks("https://app.test", SUBSCRIPTIONS)
    variables = sent(mocked.calls[0])["variables"]
    assert topics == ["orders/paid", "app/uninstalled"]
    assert sorted(v for k, v in variables.items() if k.startswith("topic")) == ["APP_UNINSTALLED",
                                                                              "ORDERS_PAID"]
    assert {v for k, v in variables.items() if k.startswith("url")} == {"https://app.test/webhooks/shopify"}
    assert "format: JSON" in sent(mocked.calls[0])["query"]


def test_subscribe_webhooks_already_taken_counts_as_subscribed(mocked):
    taken = {"userErrors": [{"field": ["webhookSubscription", "callbackUrl"],
                             "message": "Address for this topic has already been taken"}]}
    mocked.post(GRAPHQL_URL, json={"data": {"s0": taken, "s1": taken}})
    topics = ShopifyClient(DOMAIN, "shpat_1").subscribe_webhooks("https://app.test", SUBSCRIPTIONS)
    assert topics == ["orders/paid", "app/uninstalled"]


def test_subscribe_webhooks_other_user_error_is_platform_error(mocked):
    denied = {"userErrors": [{"field": ["topic"], "message": "Access denied for topic"}]}
    mocked.post(GRAPHQL_URL, json={"data": {"s0": {"userErrors": []}, "s1": denied}})
    with pytest.raises(PlatformError, match="app/uninstalled: Access denied"):
        ShopifyClient(DOMAIN, "shpat_1").subscribe_webhooks("https://app.test", SUBSCRIPTIONS)


def test_subscribe_webhooks_with_nothing_to_subscribe_sends_nothing(mocked):
    assert ShopifyClient(DOMAIN, "shpat_1").subscribe_webhooks("https://app.test", []) == []
    assert len(mocked.calls) == 0


def test_answer_that_is_not_a_json_object_is_platform_error(mocked):
    mocked.post(GRAPHQL_URL, body="<html>maintenance</html>")
    with pytest.raises(PlatformError, match="without a JSON object"):
        ShopifyClient(DOMAIN, "shpat_1").graphql("{ shop { name } }")
