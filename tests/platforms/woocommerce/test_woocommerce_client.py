"""The WooCommerce REST client: Basic auth over https, a timeout on every call, errors mapped."""

from __future__ import annotations

import base64

import pytest
import requests

from plugin.platforms import PlatformError
from plugin.platforms.woocommerce.client import DEFAULT_RETRY_AFTER, TIMEOUT, NotFound, Unavailable, WooClient
from tests.platforms.woocommerce.conftest import DOMAIN, KEY, SECRET, api


@pytest.fixture
def client():
    return WooClient(DOMAIN, KEY, SECRET)


def test_calls_go_over_https_with_basic_auth_and_a_timeout(client, mocked, monkeypatch):
    seen = {}
    original = requests.Session.request

    def spy(self, method, url, **kwargs):
        seen["timeout"] = kwargs.get("timeout")
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    mocked.get(api("/webhooks"), json=[])
    assert client.get("/webhooks") == []
    request = mocked.calls[0].request
    assert request.url.startswith(f"https://{DOMAIN}/wp-json/wc/v3/")
    basic = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {basic}"
    assert seen["timeout"] == TIMEOUT


@pytest.mark.parametrize(("status", "header", "wait"), [(429, "42", 42), (503, None, DEFAULT_RETRY_AFTER),
                                                         (500, "7", 7)])
def test_a_rate_limit_or_server_error_carries_retry_after(client, mocked, status, header, wait):
    mocked.get(api("/orders/1/refunds"), status=status, headers={"Retry-After": header} if header else {})
    with pytest.raises(Unavailable) as caught:
        client.get("/orders/1/refunds")
    assert caught.value.retry_after == wait and isinstance(caught.value, PlatformError)
    assert len(mocked.calls) == 1  # never slept on, never retried inside the call


def test_a_404_is_not_found(client, mocked):
    mocked.delete(api("/coupons/9"), status=404, json={"code": "woocommerce_rest_shop_coupon_invalid_id"})
    with pytest.raises(NotFound):
        client.delete("/coupons/9", {"force": "true"})


@pytest.mark.parametrize("answer", [{"status": 401, "body": "no"}, {"body": requests.ConnectTimeout()},
                                    {"body": "<html>"}])
def test_other_failures_are_platform_errors(client, mocked, answer):
    mocked.get(api("/settings/general/woocommerce_currency"), **answer)
    with pytest.raises(PlatformError) as caught:
        client.get("/settings/general/woocommerce_currency")
    assert caught.value.retry_after is None
