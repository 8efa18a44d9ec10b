"""Deliveries served straight from WSGI (webhooks.direct) answer exactly as the Flask route does.

A query string sends the same delivery through Flask's routing (webhooks.direct hands anything not
plain to Flask), so each case is asked both ways and the answers compared.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

from plugin.core.db import database, session
from plugin.core.models import Event
from tests.helpers import APP_SECRET, SHOP_DOMAIN, fixture_json
from webhooks import inbox
from webhooks.signatures import shopify_sign

ORDER = "shopify/rest2025-07_order_450789469__GET_orders_450789469.json"


def delivery(webhook_id: str, *, secret: str = APP_SECRET) -> tuple[bytes, dict]:
    raw = json.dumps({**fixture_json(ORDER), "id": 1000 + len(webhook_id)}).encode()
    return raw, {"Content-Type": "application/json", "X-Shopify-Topic": "orders/paid",
                 "X-Shopify-Shop-Domain": SHOP_DOMAIN, "X-Shopify-Webhook-Id": webhook_id,
                 "X-Shopify-Hmac-Sha256": shopify_sign(secret, raw)}


@pytest.fixture
def routed(app):
    """Counts the requests Flask dispatched (its before_request hooks run for those only)."""
    seen = []
    app.before_request(lambda: seen.append(1) and None)
    return seen


def events() -> list[tuple[str, str]]:
    with session():
        return [(e.delivery_id, e.status) for e in Event.select().order_by(Event.id)]


def test_a_plain_delivery_skips_flask_and_the_same_through_flask_is_a_duplicate(client, shop, routed):
    raw, headers = delivery("w-1")
    direct = client.post("/webhooks/shopify", data=raw, headers=headers)
    assert direct.status_code == 200 and direct.get_json()["status"] == "accepted"
    assert routed == []
    assert direct.headers["Content-Type"] == "application/json"
    assert int(direct.headers["Content-Length"]) == len(direct.data)
    again = client.post("/webhooks/shopify?via=flask", data=raw, headers=headers)
    assert routed == [1]
    assert again.get_json() == {"status": "duplicate"}
    assert [delivery_id for delivery_id, _ in events()] == ["w-1"]


@pytest.mark.parametrize("case", ["bad signature", "unknown shop", "no shop header", "not json"])
def test_a_refusal_is_answered_as_flask_answers_it(client, shop, routed, case):
    raw, headers = delivery("w-2", secret="wrong" if case == "bad signature" else APP_SECRET)
    if case == "unknown shop":
        headers["X-Shopify-Shop-Domain"] = "nobody.myshopify.com"
    if case == "no shop header":
        del headers["X-Shopify-Shop-Domain"]
    if case == "not json":  # signed, so stored as invalid and answered 200
        raw = b"{not json"
        headers["X-Shopify-Hmac-Sha256"] = shopify_sign(APP_SECRET, raw)
    direct = client.post("/webhooks/shopify", data=raw, headers=headers)
    assert routed == []
    if case == "not json":
        assert direct.status_code == 200 and direct.get_json()["status"] == "invalid"
        assert events() == [("w-2", "invalid")]
        return
    through_flask = client.post("/webhooks/shopify?via=flask", data=raw, headers=headers)
    assert routed == [1]
    assert (direct.status_code, direct.get_json()) == (through_flask.status_code, through_flask.get_json())
    assert direct.status_code == 401 and direct.get_json()["error"] == "unauthorized"
    assert events() == []


def test_what_is_not_plain_goes_to_flask(app, client, shop, routed):
    raw, headers = delivery("w-3")
    too_big = b" " * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert client.post("/webhooks/shopify", data=too_big, headers=headers).status_code == 413
    assert client.post("/webhooks/nowhere", data=raw, headers=headers).status_code == 404
    assert client.get("/webhooks/shopify").status_code == 405
    assert len(routed) == 3
    nul = client.post("/webhooks/custom/a%00b", data=raw, headers=headers)  # the app's first hook refuses it
    assert (nul.status_code, nul.get_json()["error"]) == (400, "nul_character")
    assert events() == []


def test_a_body_shorter_than_its_length_is_a_400_and_stores_nothing(app, shop, routed):
    """The sender went away mid-body: what arrived is not the delivery it signed or announced."""
    raw, headers = delivery("w-4")
    environ = EnvironBuilder(path="/webhooks/shopify", method="POST", data=raw, headers=headers).get_environ()
    environ["wsgi.input"] = io.BytesIO(raw[:100])
    answer, status, _ = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("400") and json.loads(b"".join(answer))["error"] == "bad_request"
    assert routed == [] and events() == []


def test_an_unexpected_error_is_a_logged_500_and_the_connection_goes_back(client, shop, routed, monkeypatch,
                                                                         caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(inbox, "store", broken)
    raw, headers = delivery("w-5")
    with caplog.at_level(logging.ERROR):
        response = client.post("/webhooks/shopify", data=raw, headers=headers)
    assert response.status_code == 500 and response.get_json()["error"] == "internal_error"
    assert "disk on fire" not in response.get_data(as_text=True)
    assert any(record.exc_info and "disk on fire" in str(record.exc_info[1]) for record in caplog.records)
    assert routed == [] and database.is_closed()


@pytest.fixture
def served(app):
    """The app behind a real HTTP server on a free port (werkzeug's, threaded)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(5)


def post(port: int, body, headers: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/webhooks/shopify", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_over_a_real_socket_a_sized_body_is_served_directly_and_a_chunked_one_by_flask(shop, served, routed):
    raw, headers = delivery("w-6")
    assert post(served, raw, headers) == (200, {"status": "accepted", "event_id": 1})
    assert routed == []
    raw, headers = delivery("w-77")
    chunks = (raw[start:start + 1000] for start in range(0, len(raw), 1000))  # no Content-Length
    status, answer = post(served, chunks, headers)
    assert (status, answer["status"]) == (200, "accepted")
    assert routed == [1]
    assert [delivery_id for delivery_id, _ in events()] == ["w-6", "w-77"]
