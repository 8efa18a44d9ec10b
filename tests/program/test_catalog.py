"""Tag, product-type and sale-item rules on real Shopify orders, whose webhooks carry none of them:
the products webhooks and a first-sight Admin API lookup keep the facts per shop (plugin.program.catalog)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import responses

from plugin.core.db import session
from plugin.core.models import CatalogProduct, Customer, Event, LedgerEntry, Order, Shop
from plugin.pipeline import jobs, queue
from plugin.platforms.shopify.client import API_VERSION
from plugin.program import caps, catalog, versions
from tests.helpers import SHOP_DOMAIN, fixture_json, shopper_headers

ORDER = "shopify/rest2025-07_order_450789469__GET_orders_450789469.json"  # 3 variants of 632910392
PRODUCT = "shopify/rest2025-07_product_632910392__GET_products.json"
GRAPHQL_URL = f"https://{SHOP_DOMAIN}/admin/api/{API_VERSION}/graphql.json"
BOB, GREEN = "207119551", "39072856"
PROGRAM = {  # promotional items earn nothing and cannot be paid with points; nor can sale items
    "point_types": {"regular": {}},
    "categories": {"promo": {"tags": ["promo"]}},
    "earning": {"rate": {"kind": "percent", "percent": "5"}, "exclude_categories": ["promo"],
                "exclude_sale_items": True},
    "redemption": {"exclude_categories": ["promo"], "exclude_sale_items": True},
}


@pytest.fixture
def store(app, shop, job_env):
    """The shop as after install (an access token) running the promo program."""
    with session():
        Shop.update(access_token=app.extensions["loyalty"].vault.encrypt("shpat_test"),
                    scopes="read_orders,read_products").where(Shop.id == shop.id).execute()
        versions.save(shop.id, PROGRAM, author="test")
    return shop


@pytest.fixture(autouse=True)
def no_backoff():
    catalog._failed_at.clear()  # shop ids repeat from test to test
    yield
    catalog._failed_at.clear()


@pytest.fixture
def admin_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def answer_with(tags: list[str], compare_at: dict[str, str] | None = None):
    """Shopify's answer to the catalog query: each variant asked for, with its product."""

    def callback(request):
        nodes = [{"id": gid, "price": "199.00",
                  "compareAtPrice": (compare_at or {}).get(gid.rsplit("/", 1)[1]),
                  "product": {"id": "gid://shopify/Product/632910392", "tags": tags,
                              "productType": "Cult Products", "vendor": "Apple",
                              "updatedAt": "2025-07-02T16:29:59Z"}}
                 for gid in json.loads(request.body)["variables"]["ids"]]
        return 200, {}, json.dumps({"data": {"nodes": nodes}})

    return callback


def order(order_id: int) -> dict:
    body = fixture_json(ORDER)
    body["id"] = order_id
    return body


def product(tags: str, updated_at: str = "2025-07-02T11:29:59-05:00", **compare_at: str) -> dict:
    body = fixture_json(PRODUCT)
    body["tags"], body["updated_at"] = tags, updated_at
    for variant in body["variants"]:
        variant["compare_at_price"] = compare_at.get(f"v{variant['id']}", variant["compare_at_price"])
    return body


def balance() -> int:
    with session():
        customer = Customer.get(Customer.platform_id == BOB)
        return sum(e.delta for e in LedgerEntry.select().where(LedgerEntry.customer == customer))


def earned(order_id: int) -> dict:
    with session():
        row = Order.get(Order.platform_id == str(order_id))
        return {"eligible": row.eligible, "lines": row.order["lines"],
                "rule": row.lot.rule["earned"] if row.lot else None}


def test_promo_tag_known_only_from_the_lookup_excludes_the_order_from_earning(
        store, post_webhook, drain, admin_api):
    admin_api.add_callback(responses.POST, GRAPHQL_URL, callback=answer_with(["promo"]))
    post_webhook("orders/paid", order(1001))
    drain()
    assert earned(1001)["eligible"] == 0
    with session():
        assert LedgerEntry.select().count() == 0
    asked = json.loads(admin_api.calls[0].request.body)["variables"]["ids"]
    assert sorted(asked) == [f"gid://shopify/ProductVariant/{v}"
                             for v in ("39072856", "457924702", "49148385")]


def test_promo_tag_known_only_from_the_lookup_cannot_be_paid_with_points(
        store, post_webhook, drain, admin_api):
    admin_api.add_callback(responses.POST, GRAPHQL_URL, callback=answer_with(["Promo"]))
    post_webhook("orders/paid", order(1001))
    drain()
    with session():
        program = versions.current(store.id)[1]
        pays = caps.payable(program, earned(1001)["lines"], {"regular": 10_000})
    assert pays["amount"] == "0" and pays["total"] == 0


def test_products_update_adding_a_tag_changes_the_next_orders_evaluation(
        store, post_webhook, drain, admin_api):
    post_webhook("products/update", product("Emotive, Music"))
    post_webhook("orders/paid", order(1001))
    drain()  # the rules see the catalog as it is when the worker applies the order
    post_webhook("products/update", product("Emotive, Music, promo", "2025-07-03T09:00:00-05:00"))
    post_webhook("orders/paid", order(1002))
    drain()
    assert earned(1001)["eligible"] == Decimal("587.00") and earned(1002)["eligible"] == 0
    assert balance() == 29  # 5% of 587.00 from the first order only
    assert len(admin_api.calls) == 0  # everything was in the cache


def test_products_update_is_applied_without_moving_points(store, post_webhook, drain):
    post_webhook("products/update", product("Emotive, promo"))
    drain()
    with session():
        row = CatalogProduct.get((CatalogProduct.shop == store.id)
                                 & (CatalogProduct.product_id == "632910392"))
        assert row.tags == ["Emotive", "promo"] and row.product_type == "Cult Products"
        assert [e.status for e in Event.select()] == ["applied"]
        assert LedgerEntry.select().count() == 0


def test_older_products_update_delivered_late_does_not_overwrite_a_newer_one(store, post_webhook, drain):
    post_webhook("products/update", product("promo", "2025-07-03T09:00:00-05:00"))
    post_webhook("products/update", product("Emotive", "2025-07-02T11:29:59-05:00"))
    drain()
    with session():
        assert CatalogProduct.get().tags == ["promo"]


def test_products_delete_removes_the_product_from_the_cache(store, post_webhook, drain):
    post_webhook("products/update", product("promo"))
    post_webhook("products/delete", {"id": 632910392})
    drain()
    with session():
        assert CatalogProduct.select().count() == 0


def test_compare_at_price_above_price_makes_the_line_a_sale_item(store, post_webhook, drain):
    post_webhook("products/update", product("Music", v39072856="249.00"))
    post_webhook("orders/paid", order(1001))
    drain()
    result = earned(1001)
    line = next(line for line in result["rule"]["lines"] if line["line_id"] == "466157049")
    assert line["excluded"] == "sale item"
    assert result["eligible"] == Decimal("391.34") and balance() == 19  # 5% of the two other lines


def test_compare_at_price_from_the_lookup_makes_the_line_a_sale_item(store, post_webhook, drain, admin_api):
    admin_api.add_callback(responses.POST, GRAPHQL_URL, callback=answer_with([], {GREEN: "249.00"}))
    post_webhook("orders/paid", order(1001))
    drain()
    assert [line["on_sale"] for line in earned(1001)["lines"]] == [True, False, False]


def test_one_lookup_for_a_batch_of_orders_and_none_once_cached(
        store, post_webhook, admin_api, monkeypatch):
    admin_api.add_callback(responses.POST, GRAPHQL_URL, callback=answer_with(["promo"]))
    with monkeypatch.context() as silent:  # no doorbell: the three orders wait for one batch
        silent.setattr(queue, "ring", lambda *args, **kwargs: None)
        for order_id in (1001, 1002, 1003):
            post_webhook("orders/paid", order(order_id))
    jobs.apply_pending(store.id)
    assert len(admin_api.calls) == 1
    with monkeypatch.context() as silent:
        silent.setattr(queue, "ring", lambda *args, **kwargs: None)
        post_webhook("orders/paid", order(1004))
    jobs.apply_pending(store.id)
    assert len(admin_api.calls) == 1
    with session():
        assert Order.select().where(Order.eligible == 0).count() == 4


def test_failing_lookup_applies_the_order_and_says_so_in_its_breakdown(
        store, post_webhook, drain, admin_api):
    admin_api.add(responses.POST, GRAPHQL_URL, status=503, body="upstream unavailable")
    post_webhook("orders/paid", order(1001))
    drain()
    with session():
        assert [e.status for e in Event.select()] == ["applied"]
    assert balance() == 29  # earned on what was known: no tags, no sale prices
    assert any("632910392 not in the catalog" in note for note in earned(1001)["rule"]["notes"])


def test_widget_quote_takes_the_catalogs_tags_over_the_storefronts(app, client, store, post_webhook, drain):
    post_webhook("products/update", product("promo"))
    drain()
    cart = {"lines": [{"product_id": "632910392", "tags": [], "price": "199.00"},
                      {"product_id": "921728736", "tags": [], "price": "100.00"}]}
    body = client.post("/widget/v1/quote", json={"cart": cart},
                       headers=shopper_headers(app, store, None)).get_json()
    assert body["payable"]["amount"] == "100.00"  # the promo iPod cannot be paid with points
    assert body["earns"]["points"] == 5  # nor does it earn


def test_after_a_failed_lookup_the_shops_next_orders_wait_for_no_call(store, post_webhook, drain, admin_api):
    admin_api.add(responses.POST, GRAPHQL_URL, status=503, body="upstream unavailable")
    post_webhook("orders/paid", order(1001))
    drain()
    post_webhook("orders/paid", order(1002))
    drain()
    assert len(admin_api.calls) == 1
    with session():
        assert [e.status for e in Event.select()] == ["applied", "applied"]


def test_shop_installed_without_read_products_is_not_asked(store, post_webhook, drain, admin_api):
    with session():
        Shop.update(scopes="read_orders").where(Shop.id == store.id).execute()
    post_webhook("orders/paid", order(1001))
    drain()
    assert len(admin_api.calls) == 0 and balance() == 29


def test_order_of_a_program_without_catalog_rules_carries_no_catalog_note(shop, post_webhook, drain):
    post_webhook("orders/paid", order(1001))
    drain()
    assert earned(1001)["rule"]["notes"] == []
