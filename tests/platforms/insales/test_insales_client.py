"""The InSales API client: Basic auth with the shop's password, the rate limit never slept on."""

from __future__ import annotations

import base64

import pytest
import requests

from plugin.platforms import PlatformError
from plugin.platforms.insales import password
from plugin.platforms.insales.client import DEFAULT_RETRY_AFTER, InSalesClient, RateLimited
from tests.platforms.insales.conftest import DOMAIN, INSTALL, PASSWORD, TOKEN, api


@pytest.fixture
def client():
    return InSalesClient(DOMAIN, "myapplogin", PASSWORD)


def test_the_password_is_md5_of_token_and_secret_as_the_docs_example():
    assert password(TOKEN, INSTALL["app"]["secret_key"]) == INSTALL["expected_password"]
    assert password("token123", "mysecret") == "4c3f4c197336eb97475506e71c839c71"


def test_calls_send_basic_auth_with_app_id_and_password(client, mocked):
    mocked.get(api("/admin/account.json"), json={"currency": "RUR"})
    assert client.get("/admin/account.json") == {"currency": "RUR"}
    sent = mocked.calls[0].request.headers["Authorization"]
    assert sent == "Basic " + base64.b64encode(f"myapplogin:{PASSWORD}".encode()).decode()


@pytest.mark.parametrize("status", [503, 429])
def test_the_rate_limit_raises_with_retry_after_at_once(client, mocked, status):
    mocked.get(api("/admin/orders.json"), status=status, headers={"Retry-After": "42"})
    with pytest.raises(RateLimited) as caught:
        client.get("/admin/orders.json")
    assert caught.value.retry_after == 42 and isinstance(caught.value, PlatformError)
    assert len(mocked.calls) == 1  # no retry, no sleep inside the call


def test_a_503_without_retry_after_waits_insales_default(client, mocked):
    mocked.get(api("/admin/orders.json"), status=503)
    with pytest.raises(RateLimited) as caught:
        client.get("/admin/orders.json")
    assert caught.value.retry_after == DEFAULT_RETRY_AFTER


def test_a_usage_header_near_the_limit_stops_further_calls(client, mocked):
    mocked.get(api("/admin/orders.json"), json=[], headers={"API-Usage-Limit": "495/500"})
    assert client.get("/admin/orders.json") == []
    with pytest.raises(RateLimited):
        client.get("/admin/orders.json")
    assert len(mocked.calls) == 1


def test_other_errors_and_no_answer_are_platform_errors(client, mocked):
    mocked.get(api("/admin/account.json"), status=401, body="Unauthorized")
    mocked.get(api("/admin/webhooks.json"), body=requests.ConnectTimeout())
    mocked.get(api("/admin/orders.json"), body="<html>")
    for path in ("/admin/account.json", "/admin/webhooks.json", "/admin/orders.json"):
        with pytest.raises(PlatformError) as caught:
            client.get(path)
        assert not isinstance(caught.value, RateLimited)


def test_every_call_has_a_timeout(client, monkeypatch):
    seen = {}

    def request(method, url, **kwargs):
        seen.update(kwargs)
        raise requests.ConnectionError

    monkeypatch.setattr(client.session, "request", request)
    with pytest.raises(PlatformError):
        client.get("/admin/account.json")
    assert seen["timeout"] > 0


