"""An InSales shop as after the docs' install example (tests/fixtures/insales/api_README.md)."""

from __future__ import annotations

import pytest
import responses

from plugin.core.db import session
from plugin.core.models import Shop
from plugin.customers import shops
from tests.helpers import fixture_json

INSTALL = fixture_json("insales/api_app_install_docs_example.json")
DOMAIN = INSTALL["install_request"]["query"]["shop"]  # test.myinsales.ru
TOKEN = INSTALL["install_request"]["query"]["token"]
INSALES_ID = INSTALL["install_request"]["query"]["insales_id"]
PASSWORD = INSTALL["expected_password"]  # MD5("token123mysecret")
PUBLIC_URL = "https://loyalty.example.test"


def api(path: str, domain: str = DOMAIN) -> str:
    return f"https://{domain}{path}"


@pytest.fixture
def mocked():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def insales_shop(app, job_env):
    """Installed: the password stored encrypted, the currency read (RUB)."""
    vault = app.extensions["loyalty"].vault
    with session():
        shop, _ = shops.register("insales", DOMAIN, own_webhook_secret=False)
        Shop.update(access_token=vault.encrypt(PASSWORD), platform_shop_id=INSALES_ID,
                    currency="RUB").where(Shop.id == shop.id).execute()
        return Shop.get_by_id(shop.id)
