"""The products' facts asked of Shopify's Admin API in batches (plugin.platforms.shopify.catalog)."""

from __future__ import annotations

import json

import pytest
import responses

from plugin.platforms.shopify import catalog_facts
from plugin.platforms.shopify.client import API_VERSION, ShopifyClient
from tests.helpers import SHOP_DOMAIN

GRAPHQL_URL = f"https://{SHOP_DOMAIN}/admin/api/{API_VERSION}/graphql.json"


@pytest.fixture
def admin_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_lookup_asks_250_ids_a_call_and_skips_what_no_longer_exists(admin_api):
    def callback(request):
        ids = json.loads(request.body)["variables"]["ids"]
        nodes = [None if gid.endswith("/7") else {
            "id": gid, "price": "10.00", "compareAtPrice": None,
            "product": {"id": "gid://shopify/Product/1", "tags": ["a"], "productType": "",
                        "vendor": "V", "updatedAt": "2025-07-02T16:29:59Z"}} for gid in ids]
        return 200, {}, json.dumps({"data": {"nodes": nodes}})

    admin_api.add_callback(responses.POST, GRAPHQL_URL, callback=callback)
    found = catalog_facts(ShopifyClient(SHOP_DOMAIN, "shpat_test"), [str(n) for n in range(1, 252)], [])
    assert [len(json.loads(c.request.body)["variables"]["ids"]) for c in admin_api.calls] == [250, 1]
    assert len(found["1"]["variants"]) == 250 and "7" not in found["1"]["variants"]
    assert found["1"]["product_type"] is None and found["1"]["updated_at"] == "2025-07-02T16:29:59"


