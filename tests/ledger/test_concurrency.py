"""Concurrent deliveries over real HTTP: every one is answered 200 and applied exactly once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import requests

from plugin.cli import demo
from plugin.core.db import session
from plugin.core.models import Event, LedgerEntry
from plugin.core.status import EventStatus
from tests.helpers import APP_SECRET, SHOP_DOMAIN, fixture_json
from webhooks.signatures import shopify_sign

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")


def test_parallel_webhooks_with_duplicates_are_all_answered_and_applied_once(app, shop, drain):
    server = demo.start_server(app, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.server_port}/webhooks/shopify"

    def send(n: int) -> int:
        order = {**ORDER, "id": 10_000 + n % 30}  # 60 deliveries of 30 orders
        raw = json.dumps(order).encode()
        return requests.post(url, data=raw, timeout=30, headers={
            "X-Shopify-Topic": "orders/paid", "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            "X-Shopify-Webhook-Id": f"w-{n}", "X-Shopify-Hmac-Sha256": shopify_sign(APP_SECRET, raw),
        }).status_code

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(send, range(60)))
    finally:
        server.shutdown()
    drain()
    assert codes == [200] * 60
    with session():
        assert Event.select().count() == 30
        assert Event.select().where(Event.status == EventStatus.APPLIED).count() == 30
        assert sorted({e.idempotency_key for e in LedgerEntry.select()}) == sorted(
            f"order:{10_000 + n}:earn" for n in range(30))
