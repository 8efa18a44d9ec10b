"""InSales' install and uninstall requests: 200 at once, the API work in a job, the password kept."""

from __future__ import annotations

import json

import pytest
import responses

from plugin.core.db import session
from plugin.core.models import Shop
from plugin.pipeline import platform_jobs
from plugin.platforms.insales import password
from plugin.platforms.insales.client import RateLimited
from tests.helpers import fixture_json
from tests.platforms.insales.conftest import DOMAIN, INSALES_ID, INSTALL, PASSWORD, PUBLIC_URL, TOKEN, api
from webhooks.insales.topics import path_secret
from webhooks.topics import INBOUND

LISTED = fixture_json("insales/api_dmz9_webhooks_list_response.json")  # another app's address
REGISTER = fixture_json("insales/api_external_discount_register_request_php_api_test.json")


def install_query(**overrides) -> dict:
    return {**INSTALL["install_request"]["query"], **overrides}


def vault(app):
    return app.extensions["loyalty"].vault


def mock_install_api(mocked, webhooks=LISTED, discounts=(), currency="RUR"):
    mocked.get(api("/admin/webhooks.json"), json=list(webhooks))
    mocked.post(api("/admin/webhooks.json"), json={"id": 1})
    mocked.get(api("/admin/external_discounts.json"), json=list(discounts))
    mocked.post(api("/admin/external_discounts.json"), json={"id": 7}, status=201)
    mocked.get(api("/admin/account.json"), json={"currency": currency, "title": "Тестовый магазин"})


def shop_row() -> Shop:
    with session():
        return Shop.get(Shop.domain == DOMAIN)


def posted(mocked, path: str) -> list[dict]:
    return [json.loads(call.request.body) for call in mocked.calls
            if call.request.method == "POST" and call.request.url == api(path)]


def test_install_registers_the_shop_then_webhooks_discount_and_currency(app, client, job_env, mocked, drain):
    mock_install_api(mocked)
    response = client.get("/insales/install", query_string=install_query())
    assert response.status_code == 200 and response.get_json()["status"] == "installed"
    response.close()  # the API work starts once the answer has gone (InSales refuses calls before)
    drain()
    shop = shop_row()
    assert (shop.platform, shop.active, shop.platform_shop_id) == ("insales", True, INSALES_ID)
    assert vault(app).decrypt(shop.access_token) == PASSWORD and shop.access_token != PASSWORD
    assert (shop.currency, shop.name) == ("RUB", "Тестовый магазин")  # RUR is InSales' rouble
    secret = path_secret(vault(app), shop.id)
    hooks = posted(mocked, "/admin/webhooks.json")
    assert sorted(h["webhook"]["topic"] for h in hooks) == sorted(INBOUND["insales"].subscribed)
    for hook in hooks:
        assert hook["webhook"]["address"] == (
            f"{PUBLIC_URL}/webhooks/insales/{shop.id}/{secret}/{hook['webhook']['topic']}")
        assert hook["webhook"]["format_type"] == "json"
    [discount] = posted(mocked, "/admin/external_discounts.json")
    assert set(discount["external_discount"]) == set(REGISTER["body"]["external_discount"])
    assert discount["external_discount"]["url"] == (
        f"{PUBLIC_URL}/insales/discount/{shop.id}/{vault(app).derive('insales-discount', shop.id)}")


def test_the_install_job_skips_webhooks_and_discount_already_registered(app, insales_shop, mocked):
    secret = path_secret(vault(app), insales_shop.id)
    have = [{"id": i, "topic": topic, "format_type": "json",
             "address": f"{PUBLIC_URL}/webhooks/insales/{insales_shop.id}/{secret}/{topic}"}
            for i, topic in enumerate(INBOUND["insales"].subscribed)]
    discount_secret = vault(app).derive("insales-discount", insales_shop.id)
    url = f"{PUBLIC_URL}/insales/discount/{insales_shop.id}/{discount_secret}"
    mocked.get(api("/admin/webhooks.json"), json=have)
    mocked.get(api("/admin/external_discounts.json"), json=[{"id": 3, "url": url}])
    mocked.get(api("/admin/account.json"), json={"currency": "RUB"})
    platform_jobs.install_shop(insales_shop.id)
    assert [call.request.method for call in mocked.calls] == ["GET", "GET", "GET"]


def test_the_install_job_fails_on_the_rate_limit_so_rq_retries_it(insales_shop, mocked):
    mocked.get(api("/admin/webhooks.json"), status=503, headers={"Retry-After": "30"})
    with pytest.raises(RateLimited):
        platform_jobs.install_shop(insales_shop.id)


def test_install_answers_200_even_when_the_api_work_fails(client, job_env, mocked, drain):
    mocked.get(api("/admin/webhooks.json"), status=401)  # InSales before it saw our 200
    response = client.get("/insales/install", query_string=install_query())
    assert response.status_code == 200
    response.close()
    drain()  # with Redis the failed job is retried later by RQ (queue.RETRY)
    assert shop_row().active


def test_an_install_whose_api_work_failed_is_finished_by_the_next_reconciliation(
        client, job_env, mocked, drain):
    """RQ's retries can run out and the embedded default tries once: the shop stays marked until
    the periodic pass has done the work."""
    mocked.get(api("/admin/webhooks.json"), status=401)  # InSales before it saw our 200
    response = client.get("/insales/install", query_string=install_query())
    response.close()
    drain()
    assert shop_row().install_pending and not posted(mocked, "/admin/webhooks.json")
    mocked.remove(responses.GET, api("/admin/webhooks.json"))  # InSales answers now
    mock_install_api(mocked, webhooks=[])
    mocked.get(api("/admin/orders.json"), json=[])
    platform_jobs.reconcile_all()
    drain()
    shop = shop_row()
    assert not shop.install_pending and shop.currency == "RUB"
    assert len(posted(mocked, "/admin/webhooks.json")) == len(INBOUND["insales"].subscribed)
    platform_jobs.reconcile_all()  # done: asked no more
    drain()
    assert len(posted(mocked, "/admin/webhooks.json")) == len(INBOUND["insales"].subscribed)


@pytest.mark.parametrize("query", [
    install_query(token=""), install_query(insales_id="12x"), install_query(insales_id="1" * 25),
    install_query(shop="not a domain"),
    {"shop": DOMAIN, "insales_id": INSALES_ID},
])
def test_install_without_a_usable_query_is_400_and_registers_nothing(client, query):
    assert client.get("/insales/install", query_string=query).status_code == 400
    with session():
        assert not Shop.select().where(Shop.platform == "insales").exists()


def test_uninstall_with_another_token_is_401(client, insales_shop):
    for token in (TOKEN, PASSWORD[:-1] + "0", ""):
        query = {"shop": DOMAIN, "token": token, "insales_id": INSALES_ID}
        assert client.get("/insales/uninstall", query_string=query).status_code in (400, 401)
    assert shop_row().active


def test_uninstall_with_the_password_deactivates_the_shop_once(client, insales_shop, drain):
    query = {"shop": DOMAIN, "token": PASSWORD, "insales_id": INSALES_ID}
    assert client.get("/insales/uninstall", query_string=query).status_code == 200
    drain()
    shop = shop_row()
    assert not shop.active and shop.access_token is None and shop.uninstalled_at is not None
    assert client.get("/insales/uninstall", query_string=query).status_code == 200  # InSales may retry


def test_uninstall_of_an_unknown_shop_is_401(client, app):
    query = {"shop": "nobody.myinsales.ru", "token": PASSWORD, "insales_id": "1"}
    assert client.get("/insales/uninstall", query_string=query).status_code == 401




def test_an_install_request_for_a_working_shop_keeps_its_password_unless_insales_accepts_the_new(
        app, client, insales_shop, mocked, drain):
    mocked.get(api("/admin/webhooks.json"), status=401)  # a forged request: InSales refuses its password
    response = client.get("/insales/install", query_string=install_query(token="forged"))
    assert response.status_code == 200
    response.close()
    drain()
    assert vault(app).decrypt(shop_row().access_token) == PASSWORD
    mocked.reset()
    mock_install_api(mocked)  # InSales installed the app again (an uninstall we never heard of)
    response = client.get("/insales/install", query_string=install_query(token="fresh"))
    response.close()
    drain()
    assert vault(app).decrypt(shop_row().access_token) == password("fresh", "mysecret")
    assert mocked.calls[0].request.headers["Authorization"].startswith("Basic ")
