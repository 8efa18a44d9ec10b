"""No API key or signature lands in a log line: keys only as Bearer tokens, and the access logs
(the embedded server's and the gunicorn format the README recommends) carry no query strings."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from plugin.http.serving import RequestHandler
from tests.helpers import APP_SECRET, SHOP_DOMAIN, admin_headers, session_token, shopify_query
from webhooks.signatures import shopify_sign
from widgets import identity

QUERY_REFUSAL = ("an API key in the query string is never accepted (URLs are logged): send it as "
                 "'Authorization: Bearer <key>', and rotate a key that was sent in one")
README = Path(__file__).resolve().parents[2] / "README.md"


def api_key(app, shop) -> str:
    return app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)


def proxy_query(**changes) -> dict:
    params = {"shop": SHOP_DOMAIN, "logged_in_customer_id": "42", "path_prefix": "/apps/loyalty",
              "timestamp": str(int(time.time())), **changes}
    return {**params, "signature": identity.proxy_signature(APP_SECRET, params)}


@pytest.mark.parametrize("name", ["api_key", "key", "access_token", "token", "q"])
def test_an_api_key_in_the_query_string_is_401_saying_to_send_it_as_bearer(app, client, shop, name):
    response = client.get("/api/v1/customers?" + urlencode({name: api_key(app, shop)}))
    assert response.status_code == 401
    assert response.get_json()["message"] == QUERY_REFUSAL
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="loyalty"'


def test_a_key_in_the_query_string_is_refused_even_beside_a_valid_bearer(app, client, shop):
    response = client.get("/api/v1/customers?api_key=" + api_key(app, shop), headers=admin_headers(app, shop))
    assert response.status_code == 401 and response.get_json()["message"] == QUERY_REFUSAL
    assert client.get("/api/v1/customers", headers=admin_headers(app, shop)).status_code == 200


@pytest.mark.parametrize("headers", [
    lambda key: {"X-Api-Key": key}, lambda key: {"Authorization": key},
    lambda key: {"Authorization": f"Token {key}"}, lambda key: {"X-Loyalty-Token": key},
], ids=["x-api-key", "bare", "token-scheme", "widget-header"])
def test_a_key_in_another_header_is_401_saying_to_send_it_as_bearer(app, client, shop, headers):
    response = client.get("/api/v1/customers", headers=headers(api_key(app, shop)))
    assert response.status_code == 401
    assert "'Authorization: Bearer <key>'" in response.get_json()["message"]


def test_nothing_the_app_logs_holds_a_key_or_a_signature(app, client, shop, caplog):
    key = api_key(app, shop)
    admin, bad_admin = shopify_query(), shopify_query(secret="forged")
    token, stale_token = session_token(), session_token(exp=int(time.time()) - 600)
    proxy, stale_proxy = proxy_query(), proxy_query(timestamp=str(int(time.time()) - 3 * 86400))
    body = json.dumps({"id": 1, "email": "a@b.co"}).encode()
    webhook_hmac = shopify_sign(APP_SECRET, body)
    secrets = [key, admin["hmac"], bad_admin["hmac"], token, stale_token, proxy["signature"],
               stale_proxy["signature"], webhook_hmac]
    with caplog.at_level(logging.DEBUG):
        client.get("/api/v1/customers", headers=admin_headers(app, shop))
        client.get("/api/v1/customers?api_key=" + key)
        client.get("/api/v1/customers", headers={"Authorization": f"Basic {key}"})
        for query in (admin, bad_admin, {"shop": SHOP_DOMAIN, "id_token": token},
                      {"shop": SHOP_DOMAIN, "id_token": stale_token}):
            client.get("/admin?" + urlencode(query))
        for query in (proxy, stale_proxy, {**proxy, "logged_in_customer_id": "43"}):
            client.get("/widget/v1/account?" + urlencode(query))
        for signature in (webhook_hmac, "forged" + webhook_hmac):
            client.post("/webhooks/shopify", data=body, headers={
                "X-Shopify-Topic": "customers/create", "X-Shopify-Shop-Domain": SHOP_DOMAIN,
                "X-Shopify-Hmac-Sha256": signature, "X-Shopify-Webhook-Id": signature[:8]})
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    assert "refused a Shopify admin load" in logged  # the run did log something
    for secret in secrets:
        assert secret not in logged


@pytest.fixture
def served(app):
    """The app on the embedded server (the one `loyalty serve` and `loyalty demo` run), on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=RequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_the_embedded_server_logs_requests_without_their_query_strings(app, shop, served, caplog):
    admin, proxy = shopify_query(), proxy_query()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        for path in ("/admin?" + urlencode(admin), "/widget/v1/account?" + urlencode(proxy)):
            try:
                urllib.request.urlopen(served + path, timeout=10).close()  # noqa: S310 - our own server
            except urllib.error.HTTPError as refused:
                refused.close()
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any("GET /admin HTTP/1.1" in line for line in lines)  # (coloured by status on a terminal)
    assert any("GET /widget/v1/account HTTP/1.1" in line for line in lines)
    for secret in (admin["hmac"], proxy["signature"], "hmac=", "signature="):
        assert not any(secret in line for line in lines)


