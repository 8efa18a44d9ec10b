"""The demo shop, for the demo storefront's tests."""

from __future__ import annotations

import pytest

from plugin.cli import demo
from plugin.core.db import session
from plugin.customers import shops
from tests.helpers import BOB
from widgets import demo_store


@pytest.fixture
def demo_shop(app, post_webhook, drain):
    """The demo shop with Bob signed up (100 points), and the demo storefront switched on."""
    app.config["LOYALTY_DEMO_STORE"] = True
    with session():
        shop, _ = shops.register("shopify", demo_store.DEMO_SHOP)
        shops.set_currency(shop, demo.DEMO_CURRENCY)
    signup = next(d for d in demo.deliveries()["deliveries"] if d["body"].get("id") == int(BOB))
    secret = app.extensions["loyalty"].vault.webhook_secret(shop.id)
    response = post_webhook("customers/create", signup["body"], domain=shop.domain, secret=secret)
    assert response.status_code == 200
    drain()
    return shop
