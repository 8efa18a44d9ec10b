"""The `loyalty` command: shops add, audit and demo, run through click's CliRunner."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from plugin.app import create_app
from plugin.cli.main import main, use_served_url
from plugin.core.db import session
from plugin.core.models import Balance, Customer, Event, LedgerEntry, Shop
from plugin.core.status import EventStatus
from tests.helpers import UNSET, fixture_json, shopper_headers

DOMAIN = "x.myshopify.com"
SIGNUP = "shopify/rest2025-07_customer_created__POST_customers.json"  # customer 1073339458, +100


@pytest.fixture
def sqlite_env(tmp_path) -> dict:
    """An embedded deployment: a fresh SQLite file, no Redis, no Shopify app."""
    return {**UNSET, "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "LOYALTY_REDIS_URL": "", "LOYALTY_SECRET_KEY": "cli-secret-key-0123456789"}


@pytest.fixture
def app_env(app) -> dict:
    """The settings of the ``app`` fixture as an environment, so the CLI uses the same database."""
    settings = app.extensions["loyalty"].settings
    return {**UNSET, "LOYALTY_DATABASE_URL": settings.database_url,
            "LOYALTY_REDIS_URL": settings.redis_url or "", "LOYALTY_SECRET_KEY": settings.secret_key,
            "SHOPIFY_API_KEY": settings.shopify_api_key,
            "SHOPIFY_API_SECRET": settings.shopify_api_secret}


def run(env: dict, *args: str):
    return CliRunner().invoke(main, list(args), env=env)


def add_shop(env: dict, domain: str = DOMAIN, *more: str) -> dict:
    result = run(env, "shops", "add", "--platform", "shopify", "--domain", domain,
                 *(more or ("--currency", "RUB")))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_shops_add_prints_new_shop_as_json(sqlite_env):
    out = add_shop(sqlite_env)
    assert out["created"] is True
    assert (out["platform"], out["domain"]) == ("shopify", DOMAIN)
    assert out["api_key"].startswith(f"lk_{out['shop_id']}_")
    assert out["webhook_secret"]
    with session():
        shop = Shop.get_by_id(out["shop_id"])
        assert (shop.domain, shop.own_webhook_secret, shop.active) == (DOMAIN, True, True)


def rules_link(app, shop) -> str:

    response = app.test_client().get("/widget/v1/account", headers=shopper_headers(app, shop, None))
    return response.get_json()["program"]["rules_url"]


def test_without_public_url_the_widget_rules_link_is_where_the_app_serves(app, shop, monkeypatch):
    monkeypatch.delenv("LOYALTY_PUBLIC_URL", raising=False)
    use_served_url(app, "http://127.0.0.1:8123")
    assert rules_link(app, shop) == f"http://127.0.0.1:8123/rules/{shop.domain}"


def test_the_widget_rules_link_is_built_from_loyalty_public_url(app, shop, monkeypatch):
    monkeypatch.setenv("LOYALTY_PUBLIC_URL", "https://loyalty.example.test")
    use_served_url(app, "http://127.0.0.1:8123")
    assert rules_link(app, shop) == f"https://loyalty.example.test/rules/{shop.domain}"


def test_shops_add_new_shop_without_currency_exits_non_zero_naming_it(sqlite_env):
    result = run(sqlite_env, "shops", "add", "--platform", "shopify", "--domain", DOMAIN)
    assert result.exit_code != 0
    assert "--currency is required" in result.output
    with session():
        assert not Shop.select().exists()


def test_shops_add_stores_the_currency_upper_case(sqlite_env):
    out = add_shop(sqlite_env, DOMAIN, "--currency", "rub")
    assert out["currency"] == "RUB"
    with session():
        assert Shop.get_by_id(out["shop_id"]).currency == "RUB"


def test_shops_add_again_without_currency_keeps_the_shops_currency(sqlite_env):
    add_shop(sqlite_env, DOMAIN, "--currency", "EUR")
    assert add_shop(sqlite_env, DOMAIN, "--app-signed")["currency"] == "EUR"


@pytest.mark.parametrize("code", ["RUBLES", "R1B", ""])
def test_shops_add_with_a_malformed_currency_exits_non_zero(sqlite_env, code):
    result = run(sqlite_env, "shops", "add", "--platform", "shopify", "--domain", DOMAIN, "--currency", code)
    assert result.exit_code != 0
    assert "ISO 4217" in result.output


def test_shops_add_twice_prints_same_shop_and_key_not_created(sqlite_env):
    first, second = add_shop(sqlite_env), add_shop(sqlite_env)
    assert second["created"] is False
    assert (second["shop_id"], second["api_key"], second["webhook_secret"]) == (
        first["shop_id"], first["api_key"], first["webhook_secret"])
    with session():
        assert Shop.select().count() == 1


def test_shops_add_normalises_domain_case(sqlite_env):
    assert add_shop(sqlite_env, " X.MyShopify.com ")["domain"] == DOMAIN


@pytest.mark.parametrize("domain", ["x.example.com", "https://x.myshopify.com", "-x.myshopify.com",
                                    "x.myshopify.com.evil.test", ""])
def test_shops_add_invalid_domain_exits_non_zero_with_message(sqlite_env, domain):
    result = run(sqlite_env, "shops", "add", "--platform", "shopify", "--domain", domain)
    assert result.exit_code != 0
    assert "not a valid shopify shop domain" in result.output
    with session():
        assert Shop.select().count() == 0


def test_shops_add_api_key_works_against_admin_api(app_env, client):
    out = add_shop(app_env)
    response = client.get("/api/v1/shop", headers={"Authorization": f"Bearer {out['api_key']}"})
    assert response.status_code == 200
    assert response.get_json() == {"id": out["shop_id"], "platform": "shopify", "domain": DOMAIN,
                                   "active": True}


def test_audit_of_sound_ledger_exits_0(app_env, shop, post_webhook, drain):
    assert post_webhook("customers/create", fixture_json(SIGNUP)).status_code == 200
    drain()
    result = run(app_env, "audit")
    assert result.exit_code == 0, result.output
    assert "every balance equals its ledger" in result.output
    with session():
        assert [b.points for b in Balance.select()] == [100]


def test_audit_of_tampered_balance_exits_1_naming_the_customer(app_env, shop, post_webhook, drain):
    assert post_webhook("customers/create", fixture_json(SIGNUP)).status_code == 200
    drain()
    with session():
        Balance.update(points=1000).execute()
    try:
        result = run(app_env, "audit")
        scoped = run(app_env, "audit", "--shop", str(shop.id))
    finally:
        with session():  # put the ledger back so the app fixture's own audit passes
            Balance.update(points=100).execute()
    assert (result.exit_code, scoped.exit_code) == (1, 1)
    assert "customer 1073339458" in result.stderr
    assert "balance 1000, ledger sum 100" in result.stderr
    assert "every balance equals" not in result.output


def test_audit_of_other_shop_ignores_the_tampered_one(app_env, shop, post_webhook, drain):
    assert post_webhook("customers/create", fixture_json(SIGNUP)).status_code == 200
    drain()
    with session():
        Balance.update(points=1000).execute()
    try:
        result = run(app_env, "audit", "--shop", str(shop.id + 1))
    finally:
        with session():
            Balance.update(points=100).execute()
    assert result.exit_code == 0, result.output


# Computed by hand from plugin/demo_data/deliveries.json (a RUB shop; 5% of eligible, rounded down;
# +100 sign-up):
# Анна: 100 + 236 (2 x 2490.00 - 249.00 = 4731.00; the gift card earns nothing)
#       + 124 - 124 (order 7390000000102, 2490.00, cancelled); the repeated orders/paid earns nothing.
# Bob pays in USD; his order's shop_money is RUB at 80: 100 + 2348 (3 x 15920.00 less 800.00
#      allocated = 46960.00) - 783 (refund of 15653.60 leaves 31306.40, which earns 1565).
#      The guest order earns nobody anything.
DEMO_BALANCES = {"Анна Иванова (customer 7390000000001)": 336, "Bob Norman (customer 207119551)": 1665}
DEMO_DELIVERIES = 10


@pytest.fixture
def demo_env(tmp_path) -> dict:
    return {**UNSET, "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
            "LOYALTY_REDIS_URL": ""}


def run_demo(env: dict):
    result = run(env, "demo", "--no-serve", "--port", "0")
    assert result.exit_code == 0, result.output
    return result.output


def delivery_lines(output: str) -> list[list[str]]:
    """The (code, topic, outcome) of each delivery the demo reports."""
    block = output.split("Demo webhooks, signed and posted to the running plugin:\n")[1]
    block = block.split("\n\n")[0]
    return [line.split()[:3] for line in block.splitlines()]


def balances() -> dict[str, int]:
    with session():
        return {c.platform_id: sum(b.points for b in Balance.select().where(Balance.customer == c.id))
                for c in Customer.select()}


def test_demo_prints_each_shoppers_balance(demo_env):
    output = run_demo(demo_env)
    for shopper, points in DEMO_BALANCES.items():
        assert f"{shopper}: {points} points" in output
    assert balances() == {"7390000000001": 336, "207119551": 1665}


def test_demo_reports_each_delivery_outcome(demo_env):
    lines = delivery_lines(run_demo(demo_env))
    assert len(lines) == DEMO_DELIVERIES
    assert {code for code, _, _ in lines} == {"200"}
    outcomes = [outcome for _, _, outcome in lines]
    assert outcomes.count("duplicate") == 1  # orders/paid after orders/create of the same order
    assert lines[-1][1:] == ["collections/update", "ignored"]
    with session():
        assert Event.select().count() == DEMO_DELIVERIES - 1
        assert not Event.select().where(Event.status.in_(
            [EventStatus.PENDING, EventStatus.WAITING, EventStatus.FAILED])).exists()


def test_demo_prints_urls_and_a_working_api_key(demo_env):
    output = run_demo(demo_env)
    port = re.search(r"http://127\.0\.0\.1:(\d+)/manifest\.json", output).group(1)
    assert int(port) > 0 and f"http://127.0.0.1:{port}/healthz" in output
    key, customer = re.search(r"Bearer (lk_\S+)' \S+/api/v1/customers/(\d+)", output).groups()
    client = create_app({name: value or "" for name, value in demo_env.items()}).test_client()
    response = client.get(f"/api/v1/customers/{customer}", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.get_json()["balance"]["total"] == balances()[customer]


def test_demo_second_run_is_all_duplicates_with_same_balances(demo_env):
    run_demo(demo_env)
    with session():
        entries = LedgerEntry.select().count()
    output = run_demo(demo_env)
    lines = delivery_lines(output)
    assert len(lines) == DEMO_DELIVERIES
    assert [outcome for _, _, outcome in lines] == ["duplicate"] * DEMO_DELIVERIES
    for shopper, points in DEMO_BALANCES.items():
        assert f"{shopper}: {points} points" in output
    assert balances() == {"7390000000001": 336, "207119551": 1665}
    with session():
        assert LedgerEntry.select().count() == entries


def test_demo_mails_the_shoppers_at_once_and_points_at_the_outbox(demo_env):
    output = run_demo(demo_env)
    mails = output.split("Shoppers' e-mail went to the demo's local mail sink")[1]
    assert ": 6 so far" in mails.splitlines()[0]
    assert "to anna.ivanova@example.ru: Вам начислено 236 баллов" in mails
    assert "to bob.norman@mail.example.com: Вам начислено 2 348 баллов" in mails
    assert re.search(r"The outbox: .*http://127\.0\.0\.1:\d+/admin/messages", mails)
    assert "Вам начислено" not in run_demo(demo_env).split("mail sink")[1]  # a rerun mails no one again
