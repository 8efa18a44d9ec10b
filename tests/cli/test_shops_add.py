"""`loyalty shops add` on every registered platform: the addresses, secrets and keys a store needs
to connect, built from the registries (a new platform is covered without editing this file)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from standardwebhooks import Webhook

from plugin.app import create_app
from plugin.cli.main import main
from plugin.core.crypto import Vault
from plugin.core.db import session
from plugin.core.models import Shop
from plugin.customers import shops
from plugin.platforms import registry
from tests.helpers import UNSET, fixture_json
from webhooks.contract import PATH_SECRET, Address
from webhooks.signatures import shopify_sign
from webhooks.topics import INBOUND
from widgets import identity

PUBLIC_URL = "https://loyalty.example.test"
SECRET_KEY = "cli-secret-key-0123456789"
#: A domain of each kind a platform may insist on; each platform takes the first it accepts.
DOMAINS = ("x.myshopify.com", "x.myinsales.ru", "shop.example.test", "1003")  # 1003: an Ecwid store id


@pytest.fixture
def env(tmp_path) -> dict:
    return {**UNSET, "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "LOYALTY_REDIS_URL": "",
            "LOYALTY_SECRET_KEY": SECRET_KEY, "LOYALTY_PUBLIC_URL": PUBLIC_URL}


def domain_of(platform: str) -> str:
    for domain in DOMAINS:
        try:
            return shops.normalise_domain(platform, domain)
        except shops.ShopError:
            continue
    raise AssertionError(f"no test domain fits {platform}")


def add(env: dict, platform: str, *more: str) -> dict:
    args = ["shops", "add", "--platform", platform, "--domain", domain_of(platform), "--currency", "RUB"]
    result = CliRunner().invoke(main, [*args, *more], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def shop_row(shop_id: int) -> Shop:
    with session():
        return Shop.get_by_id(shop_id)


@pytest.mark.parametrize("platform", sorted(registry.PLATFORMS))
def test_every_registered_platform_prints_the_address_of_every_topic_it_sends(env, platform):
    out = add(env, platform)
    assert (out["platform"], out["created"], out["currency"]) == (platform, True, "RUB")
    assert out["api_key"].startswith(f"lk_{out['shop_id']}_")
    inbound = INBOUND.get(platform)
    if inbound is None:  # a platform whose stores send nothing of their own
        assert out["webhooks"] == {}
        return
    path_secret = Vault(SECRET_KEY).derive(PATH_SECRET, out["shop_id"])
    where = Address(out["shop_id"], out["domain"], PUBLIC_URL, path_secret)
    assert out["webhooks"] == inbound.addresses(where)
    assert set(out["webhooks"]) == set(inbound.subscribed)
    assert all(url.startswith(PUBLIC_URL + "/") for url in out["webhooks"].values())


@pytest.mark.parametrize("platform", sorted(registry.PLATFORMS))
def test_a_store_that_signs_its_shoppers_tokens_gets_the_widget_secret(env, platform):
    out = add(env, platform)
    vault, shop = Vault(SECRET_KEY), shop_row(out["shop_id"])
    if not registry.PLATFORMS[platform].store_signs_tokens:
        assert "widget_secret" not in out
        return
    assert out["widget_secret"] == identity.widget_secret(vault, shop)
    with session():  # a token signed with the printed secret names the shopper
        assert identity.read_token(vault, shop, identity.issue_token(vault, shop, "c-1", 600)) == "c-1"


def test_the_platform_choice_is_the_registry(env):
    args = ["shops", "add", "--platform", "nope", "--domain", "x.example.test"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code != 0
    assert all(name in result.output for name in registry.PLATFORMS)


def test_shopify_prints_every_topic_at_its_one_address_and_the_raw_secret(env):
    out = add(env, "shopify")
    assert out["webhooks"] == dict.fromkeys(INBOUND["shopify"].subscribed, f"{PUBLIC_URL}/webhooks/shopify")
    assert "orders/paid" in out["webhooks"] and "customers/data_request" not in out["webhooks"]
    assert out["webhook_secret"] == Vault(SECRET_KEY).webhook_secret(out["shop_id"])
    assert "widget_secret" not in out  # Shopify's app proxy names the shopper


def test_an_app_signed_shopify_shop_has_no_secret_of_its_own(env):
    assert "webhook_secret" not in add(env, "shopify", "--app-signed")


def test_a_webhook_signed_with_the_printed_secret_to_the_printed_address_is_accepted(env):
    out = add(env, "shopify")
    app = create_app({key: value for key, value in env.items() if value is not None})
    raw = json.dumps(fixture_json("shopify/rest2025-07_customer_created__POST_customers.json")).encode()
    headers = {"X-Shopify-Topic": "customers/create", "X-Shopify-Shop-Domain": out["domain"],
               "X-Shopify-Hmac-Sha256": shopify_sign(out["webhook_secret"], raw),
               "X-Shopify-Webhook-Id": "d-1", "Content-Type": "application/json"}
    path = out["webhooks"]["customers/create"].removeprefix(PUBLIC_URL)
    response = app.test_client().post(path, data=raw, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_custom_store_signs_with_the_standard_webhooks_form_of_its_secret(env):
    if "custom" not in INBOUND:
        pytest.skip("the custom store's inbound side is not in this build's registry")
    out = add(env, "custom")
    assert out["webhook_secret"].startswith("whsec_")
    Webhook(out["webhook_secret"])  # its library takes it as written
    assert out["widget_secret"]
