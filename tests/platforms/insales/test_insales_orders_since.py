"""Reconciliation reads orders as InSales documents polling: ``updated_since`` + ``from_id``, page 1
with a moving filter until a short page; the watermark is where the next pass starts."""

from __future__ import annotations

import copy
import json

import pytest
from responses import matchers

from plugin.core.db import session
from plugin.core.models import Shop
from plugin.pipeline import platform_jobs
from plugin.platforms import registry
from plugin.platforms.contract import Access
from plugin.platforms.insales.adapter import MAX_PAGES, PER_PAGE
from plugin.platforms.insales.client import RateLimited
from tests.helpers import fixture_json
from tests.platforms.insales.conftest import api

ORDER = fixture_json("insales/api_DERIVED_order_webhook_from_dmz9_xml.json")["order"]


def order(n: int, updated_at: str) -> dict:
    body = copy.deepcopy(ORDER)
    body.update(id=1000 + n, number=n, updated_at=updated_at)
    return body


def listing(mocked, orders: list[dict], since: str, from_id: str | None = None, **kwargs):
    query = {"updated_since": since, "per_page": str(PER_PAGE)}
    if from_id:
        query["from_id"] = from_id
    return mocked.get(api("/admin/orders.json"), json=orders,
                      match=[matchers.query_param_matcher(query)], **kwargs)


def changes(app, shop, watermark):
    access = Access(app.extensions["loyalty"].settings, app.extensions["loyalty"].vault)
    with session():
        return registry.of(shop).orders_since(Shop.get_by_id(shop.id), watermark, access)


FIRST = "2026-11-01 10:00:00 +0300"
LATER = "2026-11-01 11:00:00 +0300"


def test_pages_move_the_filter_to_the_last_orders_updated_at_and_id(app, insales_shop, mocked):
    first = [order(n, FIRST) for n in range(PER_PAGE)]
    rest = [order(PER_PAGE + n, LATER) for n in range(3)]
    listing(mocked, first, since="2026-11-01 09:00:00 +0300", from_id="5")
    listing(mocked, rest, since=FIRST, from_id=str(1000 + PER_PAGE - 1))
    found = changes(app, insales_shop, "2026-11-01 09:00:00 +0300|5")
    assert [json.loads(d.raw)["id"] for d in found.deliveries] == [o["id"] for o in first + rest]
    assert {d.topic for d in found.deliveries} == {"orders/update"}
    assert found.deliveries[0].key.startswith("order.snapshot:1000:")
    assert found.watermark == f"{LATER}|{1000 + PER_PAGE + 2}"


def test_the_first_pass_starts_at_the_install(app, insales_shop, mocked):
    since = insales_shop.installed_at.strftime("%Y-%m-%d %H:%M:%S +0000")
    listing(mocked, [], since=since)
    found = changes(app, insales_shop, None)
    assert (found.deliveries, found.watermark) == ([], None)


def test_a_limit_on_the_first_page_raises_and_later_keeps_what_was_read(app, insales_shop, mocked):
    listing(mocked, [], since="s0", from_id="1", status=503, headers={"Retry-After": "60"})
    with pytest.raises(RateLimited):
        changes(app, insales_shop, "s0|1")
    mocked.reset()
    listing(mocked, [order(n, FIRST) for n in range(PER_PAGE)], since="s1", from_id="1")
    listing(mocked, [], since=FIRST, from_id=str(1000 + PER_PAGE - 1), status=503)
    found = changes(app, insales_shop, "s1|1")
    assert len(found.deliveries) == PER_PAGE and found.watermark == f"{FIRST}|{1000 + PER_PAGE - 1}"


def test_one_pass_reads_at_most_max_pages(app, insales_shop, mocked):
    mocked.get(api("/admin/orders.json"), json=[order(n, FIRST) for n in range(PER_PAGE)])
    found = changes(app, insales_shop, "s|1")
    assert len(mocked.calls) == MAX_PAGES and len(found.deliveries) == MAX_PAGES * PER_PAGE


def test_a_platform_error_leaves_the_watermark_for_the_next_run(insales_shop, mocked):
    with session():
        Shop.update(reconciled_to="s|1").where(Shop.id == insales_shop.id).execute()
    listing(mocked, [], since="s", from_id="1", status=503, headers={"Retry-After": "60"})
    assert platform_jobs.reconcile_shop(insales_shop.id) == 0
    with session():
        assert Shop.get_by_id(insales_shop.id).reconciled_to == "s|1"


def test_reconciliation_skips_uninstalled_shops_and_other_platforms(app, insales_shop, shop, mocked):
    with session():
        Shop.update(active=False).where(Shop.id == insales_shop.id).execute()
    assert platform_jobs.reconcile_all() == 0  # the Shopify shop is not asked; responses saw no call
