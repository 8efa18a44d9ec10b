"""Connecting a WooCommerce store: the owner's page, WooCommerce's key-granting redirect, the keys
posted back (tied to the connect by a signed user_id), the install work in a job, and the owner
signed in once the keys work."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import PlatformObject, Shop
from plugin.http.woocommerce import CONNECT_KEY
from plugin.pipeline import platform_jobs
from plugin.platforms.woocommerce import connect_token, keys_of
from tests.helpers import fixture_json
from tests.platforms.woocommerce.conftest import DOMAIN, PUBLIC_URL, api
from webhooks.woocommerce.topics import INBOUND, WEBHOOK_KIND, webhook_secret

CALLBACK = fixture_json("woocommerce/wc_auth_callback_post_body.json")["body"]
HOOK = fixture_json("woocommerce/webhooks__retrieve_a_webhook.json")


def vault(app):
    return app.extensions["loyalty"].vault


def start(client, store: str = f"https://{DOMAIN}") -> str:
    """The connect page's redirect; the user_id it carries."""
    response = client.get("/woocommerce/connect", query_string={"store": store})
    assert response.status_code == 302, response.get_data(as_text=True)
    return parse_qs(urlsplit(response.headers["Location"]).query)["user_id"][0]


def grant(client, user_id, **changes):
    body = {**CALLBACK, "user_id": user_id, "consumer_key": "ck_" + "1" * 40,
            "consumer_secret": "cs_" + "2" * 40, **changes}
    return client.post("/woocommerce/callback", data=json.dumps(body),
                       content_type="application/json;charset=UTF-8")


def mock_install(mocked, webhooks=(), currency="RUB"):
    mocked.get(api("/webhooks"), json=list(webhooks))
    for n in range(4):
        mocked.post(api("/webhooks"), json={**HOOK, "id": 200 + n})
    mocked.get(api("/settings/general/woocommerce_currency"),
               json={"id": "woocommerce_currency", "value": currency})


def shop_row() -> Shop:
    with session():
        return Shop.get((Shop.platform == "woocommerce") & (Shop.domain == DOMAIN))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_connect_page_asks_for_the_store_in_the_owners_language(client, lang):
    response = client.get("/woocommerce/connect", query_string={"lang": lang})
    assert response.status_code == 200 and 'name="store"' in response.get_data(as_text=True)
    title = "Connect a WooCommerce store" if lang == "en" else "Подключить магазин"
    assert title in response.get_data(as_text=True)


def test_connect_redirects_to_woocommerces_key_granting_screen(app, client):
    response = client.get("/woocommerce/connect", query_string={"store": "https://Shop.Example.com/"})
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", DOMAIN, "/wc-auth/v1/authorize")
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert query["app_name"] and query["scope"] == "read_write"
    assert query["return_url"] == f"{PUBLIC_URL}/woocommerce/connected"
    assert query["callback_url"] == f"{PUBLIC_URL}/woocommerce/callback"
    with client.session_transaction() as cookie:
        assert cookie[CONNECT_KEY] == query["user_id"]


@pytest.mark.parametrize(("store", "why"), [
    ("http://shop.example.com", "OAuth 1.0a"), ("https://shop.example.com/wordpress", "subfolder"),
    ("https://shop.example.com:8443", "subfolder"), ("https://", "not a store address"),
    ("https://exa mple.com", "not a store address")])
def test_a_store_that_cannot_connect_is_422_naming_why(client, store, why):
    response = client.get("/woocommerce/connect", query_string={"store": store, "lang": "en"})
    assert response.status_code == 422 and why in response.get_data(as_text=True)


def test_the_callback_registers_the_shop_with_encrypted_keys_then_installs(app, client, job_env, mocked,
                                                                          drain):
    mock_install(mocked)
    response = grant(client, start(client))
    assert response.status_code == 200 and response.get_json()["status"] == "connected"
    response.close()  # the install work starts once the answer has gone
    drain()
    shop = shop_row()
    assert (shop.active, shop.install_pending, shop.currency) == (True, False, "RUB")
    assert "ck_1111" not in shop.access_token
    assert keys_of(vault(app), shop.access_token, DOMAIN) == ("ck_" + "1" * 40, "cs_" + "2" * 40)
    hooks = [json.loads(call.request.body) for call in mocked.calls if call.request.method == "POST"]
    assert sorted(hook["topic"] for hook in hooks) == sorted(INBOUND.subscribed)
    for hook in hooks:
        assert hook["delivery_url"] == f"{PUBLIC_URL}/webhooks/woocommerce/{shop.id}"
        assert hook["secret"] == webhook_secret(vault(app), shop.id, hook["topic"])
        assert hook["status"] == "active"
    assert len({hook["secret"] for hook in hooks}) == 4
    with session():
        kept = sorted(row.platform_id for row in
                      PlatformObject.select().where(PlatformObject.kind == WEBHOOK_KIND))
    assert kept == ["200", "201", "202", "203"]


def test_the_install_skips_webhooks_already_there_and_remembers_them(app, woo_shop, mocked):
    url = f"{PUBLIC_URL}/webhooks/woocommerce/{woo_shop.id}"
    have = [{**HOOK, "id": 300 + n, "topic": topic, "delivery_url": url}
            for n, topic in enumerate(INBOUND.subscribed)]
    mocked.get(api("/webhooks"), json=have + [{**HOOK, "id": 9}])  # another app's
    mocked.get(api("/settings/general/woocommerce_currency"), json={"value": "eur"})
    platform_jobs.install_shop(woo_shop.id)
    assert [call.request.method for call in mocked.calls] == ["GET", "GET"]
    assert shop_row().currency == "EUR"
    with session():
        assert PlatformObject.select().where(PlatformObject.kind == WEBHOOK_KIND).count() == 4


def test_user_id_arrives_as_the_string_the_connect_gave_and_a_bare_number_is_no_connect(client):
    assert grant(client, start(client)).status_code == 200  # not closed: the install work never starts
    assert grant(client, 123).status_code == 401  # the docs' example number


@pytest.mark.parametrize("forged", ["", "abc", "x.1.y.z", None, True, ["a"]])
def test_a_user_id_the_app_did_not_sign_is_401_and_stores_nothing(client, forged):
    assert grant(client, forged).status_code == 401
    with session():
        assert not Shop.select().exists()


def test_a_user_id_older_than_an_hour_is_401(app, client):
    token = connect_token(vault(app), DOMAIN, int((clock.now() - timedelta(minutes=61)).timestamp()))
    assert grant(client, token).status_code == 401


def test_keys_that_cannot_write_are_refused(client):
    response = grant(client, start(client), key_permissions="read")
    assert response.status_code == 400 and "read_write" in response.get_json()["message"]


def test_a_malformed_callback_is_400(client):
    user_id = start(client)
    assert client.post("/woocommerce/callback", data=b"{", content_type="application/json").status_code == 400
    assert grant(client, user_id, consumer_secret="").status_code == 400


def test_keys_for_a_working_shop_replace_its_keys_only_once_they_work(app, client, woo_shop, mocked, drain):
    before = woo_shop.access_token
    mocked.get(api("/webhooks"), status=401, json={"code": "woocommerce_rest_cannot_view"})
    response = grant(client, start(client))
    assert response.status_code == 200
    response.close()  # the job tries the new keys, the store refuses them
    drain()
    assert shop_row().access_token == before


def test_the_browser_that_connected_is_signed_in_once_its_keys_work(app, client, job_env, mocked, drain):
    mock_install(mocked)
    user_id = start(client)
    assert client.get("/woocommerce/connected", query_string={"success": "1", "user_id": user_id}
                      ).status_code == 202  # the keys have not arrived yet
    grant(client, user_id).close()
    drain()
    response = client.get("/woocommerce/connected", query_string={"success": "1", "user_id": user_id})
    assert response.status_code == 302
    overview = client.get(response.headers["Location"])
    assert overview.status_code == 200 and DOMAIN in overview.get_data(as_text=True)


def test_another_browser_is_not_signed_in(app, client, job_env, mocked, drain):
    mock_install(mocked)
    user_id = start(client)
    grant(client, user_id).close()
    drain()
    other = app.test_client()
    response = other.get("/woocommerce/connected", query_string={"success": "1", "user_id": user_id})
    assert response.status_code == 403


def test_a_grant_of_keys_that_never_worked_signs_nobody_in(app, client, job_env, mocked, drain):
    mocked.get(api("/webhooks"), status=401, json={"code": "woocommerce_rest_cannot_view"})
    user_id = start(client)
    grant(client, user_id).close()
    drain()
    response = client.get("/woocommerce/connected", query_string={"success": "1", "user_id": user_id})
    assert response.status_code == 202 and shop_row().install_pending


def test_a_declined_grant_says_so_and_links_back_to_the_connect_page(client):
    response = client.get("/woocommerce/connected",
                          query_string={"success": "0", "user_id": "x", "lang": "ru"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "отклонён" in page
    assert 'href="/woocommerce/connect?lang=ru">Подключить магазин заново</a>' in page
