"""Fixtures of the admin API tests: the shop's key, a second shop, and a paid order applied."""

from __future__ import annotations

import copy

import pytest

from plugin.core.db import session
from plugin.core.models import Shop
from plugin.customers import shops
from tests.helpers import ORDER_FIXTURE, OTHER_DOMAIN, api_key, fixture_json


@pytest.fixture
def key(app, shop) -> str:
    return api_key(app, shop)


@pytest.fixture
def other_shop(app) -> Shop:
    with session():
        created, _ = shops.register("shopify", OTHER_DOMAIN, own_webhook_secret=False)
    return created


@pytest.fixture
def earn(post_webhook, drain):
    """Post a paid order (the 29-point fixture, optionally under another order id) and apply it."""

    def post(order_id: int | None = None, domain: str | None = None):
        body = copy.deepcopy(fixture_json(ORDER_FIXTURE))
        if order_id is not None:
            body["id"] = order_id
        response = post_webhook("orders/paid", body, **({"domain": domain} if domain else {}))
        assert response.status_code == 200, response.get_json()
        drain()
        return response

    return post
