"""A WooCommerce store connected with REST keys (as after the key-granting callback), its API mocked."""

from __future__ import annotations

import pytest
import responses

from plugin.core.db import session
from plugin.core.models import Shop
from plugin.customers import shops
from plugin.platforms.woocommerce import keys_token

DOMAIN = "shop.example.com"
API = f"https://{DOMAIN}/wp-json/wc/v3"
PUBLIC_URL = "https://loyalty.example.test"
KEY, SECRET = "ck_" + "a" * 40, "cs_" + "b" * 40


def api(path: str) -> str:
    return API + path


@pytest.fixture
def mocked():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def woo_shop(app, job_env):
    """Connected: the keys stored encrypted, the currency read (RUB)."""
    vault = app.extensions["loyalty"].vault
    with session():
        shop, _ = shops.register("woocommerce", DOMAIN, own_webhook_secret=False)
        Shop.update(access_token=keys_token(vault, KEY, SECRET), scopes="read_write",
                    currency="RUB").where(Shop.id == shop.id).execute()
        return Shop.get_by_id(shop.id)
