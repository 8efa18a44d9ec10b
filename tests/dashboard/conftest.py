"""Fixtures of the dashboard tests: a signed-in client, and a second shop to prove one session
never reaches it."""

from __future__ import annotations

import pytest

from plugin.core.db import session
from plugin.customers import shops
from tests.helpers import OTHER_DOMAIN, sign_in


@pytest.fixture
def other_shop(app):
    with session():
        return shops.register("shopify", OTHER_DOMAIN, own_webhook_secret=False)[0]  # the app signs


@pytest.fixture
def signed_in(app, client, shop):
    sign_in(app, client, shop, name="Olga Petrova")
    return client
