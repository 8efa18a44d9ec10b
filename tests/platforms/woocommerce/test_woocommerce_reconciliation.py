"""WooCommerce never retries a failed webhook delivery, so a periodic pass lists the orders modified
since the shop's watermark and stores them through the inbox: a version a webhook brought is a
duplicate of its business key, a missed one earns as if it had arrived."""

from __future__ import annotations

import copy
import json

import pytest
from peewee import fn
from responses import matchers

from plugin.core.db import session
from plugin.core.models import Event, LedgerEntry, Shop
from plugin.pipeline import platform_jobs
from plugin.platforms import PlatformError
from plugin.platforms.contract import Access
from plugin.platforms.registry import PLATFORMS
from plugin.platforms.woocommerce import adapter
from tests.helpers import fixture_json
from tests.platforms.woocommerce.conftest import api
from webhooks.woocommerce.receiver import sign
from webhooks.woocommerce.topics import webhook_secret

ORDER = fixture_json("woocommerce/orders__retrieve_an_order.json")
WOO = PLATFORMS["woocommerce"]


def paid(n: int, second: int) -> dict:
    body = copy.deepcopy(ORDER)
    body["line_items"] = [{**ORDER["line_items"][0], "quantity": 1, "total": "1000.00"}]
    body.update(id=30000 + n, customer_id=700 + n, date_modified_gmt=f"2026-11-01T10:00:{second:02d}")
    return body


def listing(start: str, page: int) -> list:
    return [matchers.query_param_matcher({
        "modified_after": start, "dates_are_gmt": "true", "orderby": "modified", "order": "asc",
        "per_page": str(adapter.PER_PAGE), "page": str(page)})]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(adapter, "PER_PAGE", 2)


def test_a_pass_lists_orders_from_the_install_a_second_early_and_moves_the_watermark(woo_shop, mocked,
                                                                                     small_pages):
    with session():
        Shop.update(installed_at="2026-11-01 09:59:59").where(Shop.id == woo_shop.id).execute()
        shop = Shop.get_by_id(woo_shop.id)
    mocked.get(api("/orders"), json=[paid(1, 1), paid(2, 2)], match=listing("2026-11-01T09:59:58", 1))
    mocked.get(api("/orders"), json=[paid(3, 5)], match=listing("2026-11-01T09:59:58", 2))
    changes = WOO.orders_since(shop, None, Access.from_environment())
    assert [d.key for d in changes.deliveries] == [
        "order.snapshot:30001:2026-11-01T10:00:01", "order.snapshot:30002:2026-11-01T10:00:02",
        "order.snapshot:30003:2026-11-01T10:00:05"]
    assert {d.topic for d in changes.deliveries} == {"order.updated"}
    assert changes.watermark == "2026-11-01T10:00:05"


def test_missed_deliveries_earn_once_and_delivered_ones_are_duplicates(app, client, woo_shop, mocked, drain):
    vault = app.extensions["loyalty"].vault
    with session():
        Shop.update(installed_at="2026-11-01 09:00:00").where(Shop.id == woo_shop.id).execute()
    delivered = paid(1, 1)
    raw = json.dumps(delivered).encode()
    client.post(f"/webhooks/woocommerce/{woo_shop.id}", data=raw, headers={
        "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Delivery-ID": "d1",
        "X-WC-Webhook-Signature": sign(webhook_secret(vault, woo_shop.id, "order.created"), raw)})
    mocked.get(api("/orders"), json=[delivered, paid(2, 3)])
    mocked.get(api("/products"), json=[])
    assert platform_jobs.reconcile_shop(woo_shop.id) == 1
    drain()
    with session():
        assert LedgerEntry.select(fn.SUM(LedgerEntry.delta)).scalar() == 100  # 50 + 50, once each
        assert Event.select().where(Event.delivery_id.startswith("reconcile:")).count() == 1
        assert Shop.get_by_id(woo_shop.id).reconciled_to == "2026-11-01T10:00:03"


def test_a_page_the_store_cannot_give_keeps_what_was_read(woo_shop, mocked, small_pages):
    mocked.get(api("/orders"), json=[paid(1, 1), paid(2, 2)], match=listing("2026-11-01T09:59:59", 1))
    mocked.get(api("/orders"), status=503, match=listing("2026-11-01T09:59:59", 2))
    changes = WOO.orders_since(woo_shop, "2026-11-01T10:00:00", Access.from_environment())
    assert len(changes.deliveries) == 2 and changes.watermark == "2026-11-01T10:00:02"


def test_a_first_page_the_store_cannot_give_raises(woo_shop, mocked):
    mocked.get(api("/orders"), status=503)
    with pytest.raises(PlatformError):
        WOO.orders_since(woo_shop, "2026-11-01T10:00:00", Access.from_environment())


def test_a_watermark_that_is_no_time_starts_from_the_install(woo_shop, mocked):
    mocked.get(api("/orders"), json=[])
    changes = WOO.orders_since(woo_shop, "garbage", Access.from_environment())
    assert changes.deliveries == [] and changes.watermark == woo_shop.installed_at.strftime(adapter.GMT)
