"""The co-purchase job: pairs of products counted once per non-cancelled order, per shop."""

from __future__ import annotations

import copy

import pytest

from plugin.core.db import session
from plugin.core.models import CoPurchase
from plugin.customers import shops
from plugin.spend import copurchase
from tests.helpers import fixture_json

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
CANCELLED = fixture_json("shopify/rest2025-07_order_cancelled__POST_orders_450789469_cancel.json")
OTHER_DOMAIN = "other.myshopify.com"


def order(order_id: int, products: list[int], customer: int = 207119551) -> dict:
    """The fixture order with one line per product id (lines beyond the fixture's three copied)."""
    body = copy.deepcopy(ORDER)
    body["id"], body["customer"]["id"] = order_id, customer
    template = body["line_items"][0]
    body["line_items"] = [{**copy.deepcopy(template), "id": order_id * 10 + n, "product_id": product}
                          for n, product in enumerate(products)]
    return body


def counts(shop_id: int) -> dict[tuple[str, str], int]:
    with session():
        return {(r.product_id, r.other_product_id): r.count
                for r in CoPurchase.select().where(CoPurchase.shop == shop_id)}


@pytest.mark.parametrize("page", [1000, 2])
def test_each_ordered_pair_counts_the_orders_holding_both(shop, paid, monkeypatch, page):
    monkeypatch.setattr(copurchase, "ORDER_PAGE", page)
    monkeypatch.setattr(copurchase, "INSERT_CHUNK", page)
    paid(order(1, [11, 22]), order(2, [11, 22, 33]), order(3, [11]), order(4, [22, 22, 33]))
    assert copurchase.update_copurchases(shop.id) == 6
    assert counts(shop.id) == {("11", "22"): 2, ("22", "11"): 2, ("11", "33"): 1, ("33", "11"): 1,
                               ("22", "33"): 2, ("33", "22"): 2}


def test_a_cancelled_order_no_longer_counts(shop, paid, post_webhook, drain):
    paid(order(1, [11, 22]), order(450789469, [11, 22, 44]))
    copurchase.update_copurchases(shop.id)
    assert counts(shop.id)[("11", "44")] == 1
    cancel = {**copy.deepcopy(CANCELLED), "id": 450789469}
    assert post_webhook("orders/cancelled", cancel).status_code == 200
    drain()
    assert copurchase.update_copurchases(shop.id) == 2
    assert counts(shop.id) == {("11", "22"): 1, ("22", "11"): 1}


def test_a_rerun_replaces_the_counts_with_the_current_ones(shop, paid):
    paid(order(1, [11, 22]))
    copurchase.update_copurchases(shop.id)
    paid(order(2, [11, 22]), order(3, [55, 66]))
    assert copurchase.update_copurchases(shop.id) == 4
    assert copurchase.update_copurchases(shop.id) == 4
    assert counts(shop.id) == {("11", "22"): 2, ("22", "11"): 2, ("55", "66"): 1, ("66", "55"): 1}


def test_every_active_shop_is_counted_from_its_own_orders_only(shop, paid):
    with session():
        other, _ = shops.register("shopify", OTHER_DOMAIN, own_webhook_secret=False)
    paid(order(1, [11, 22]))
    paid(order(1, [11, 77]), order(2, [11, 77]), domain=OTHER_DOMAIN)
    assert copurchase.update_copurchases(other.id) == 2
    assert counts(shop.id) == {}
    assert copurchase.update_copurchases() == 4
    assert counts(shop.id) == {("11", "22"): 1, ("22", "11"): 1}
    assert counts(other.id) == {("11", "77"): 2, ("77", "11"): 2}


def test_a_basket_of_too_many_products_is_left_out(shop, paid, monkeypatch):
    monkeypatch.setattr(copurchase, "MAX_PRODUCTS_PER_ORDER", 2)
    paid(order(1, [11, 22]), order(2, [11, 22, 33]))
    assert copurchase.update_copurchases(shop.id) == 2
    assert counts(shop.id) == {("11", "22"): 1, ("22", "11"): 1}


def test_a_shop_without_orders_gets_no_rows(shop):
    assert copurchase.update_copurchases(shop.id) == 0
    assert counts(shop.id) == {}
