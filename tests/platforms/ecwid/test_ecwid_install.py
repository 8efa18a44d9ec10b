"""Ecwid's OAuth install: the authorize redirect with a single-use state, the callback's code for
the store's token (stored encrypted), the store registered or reactivated, the owner answered in
their language, and the profile's currency and name read as a job after the answer."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
import responses

from plugin.core.db import session
from plugin.core.models import Shop
from plugin.platforms.ecwid import SCOPES, TOKEN_URL
from tests.helpers import fixture_json
from tests.webhooks.ecwid_bodies import PROFILE, api, install

COMPLETE = fixture_json("ecwid/oauth_token_response_complete_flow.json")
MARKET = fixture_json("ecwid/oauth_token_response_appmarket_install.json")
PUBLIC_URL = "https://loyalty.example.test"


def start(client) -> str:
    response = client.get("/ecwid/install")
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)["state"][0]


def back(client, **query):
    response = client.get("/ecwid/callback", query_string=query, headers={"Accept-Language": "ru,en;q=0.5"})
    response.close()  # the install work starts once the answer has gone
    return response


def store_row() -> Shop | None:
    with session():
        return Shop.get_or_none(Shop.platform == "ecwid")


def api_answers(ecwid_api, token: dict = COMPLETE) -> None:
    ecwid_api.add(responses.POST, TOKEN_URL, json=token)
    ecwid_api.add(responses.GET, api("/profile"), json=PROFILE)


def test_install_redirects_to_ecwids_authorize_page_with_the_scopes_and_a_state(client, app):
    response = client.get("/ecwid/install")
    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://my.ecwid.com/api/oauth/authorize"
    assert query["client_id"] == ["loyalty-test"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"{PUBLIC_URL}/ecwid/callback"]
    assert query["scope"][0].split() == list(SCOPES)
    assert len(query["state"][0]) >= 40


def test_the_callback_stores_the_token_encrypted_and_reads_the_currency_and_name(app, client, job_env,
                                                                                ecwid_api, drain):
    api_answers(ecwid_api)
    response = back(client, code="abc", state=start(client))
    assert response.status_code == 200
    assert "Программа лояльности установлена" in response.get_data(as_text=True)
    assert "1003" in response.get_data(as_text=True)
    drain()
    shop = store_row()
    assert (shop.domain, shop.platform_shop_id) == ("1003", "1003")
    assert (shop.active, shop.install_pending) == (True, False)
    assert app.extensions["loyalty"].vault.decrypt(shop.access_token) == COMPLETE["access_token"]
    assert shop.access_token != COMPLETE["access_token"]
    assert (shop.currency, shop.name) == ("RUB", "Example Ecwid store")
    exchange = parse_qs(ecwid_api.calls[0].request.body)
    assert exchange["code"] == ["abc"] and exchange["grant_type"] == ["authorization_code"]
    assert exchange["client_secret"] == ["abcde123456789"]
    assert exchange["redirect_uri"] == [f"{PUBLIC_URL}/ecwid/callback"]
    assert ecwid_api.calls[1].request.headers["Authorization"] == f"Bearer {COMPLETE['access_token']}"


def test_an_app_market_install_comes_back_with_a_code_and_no_state(app, client, job_env, ecwid_api, drain):
    api_answers(ecwid_api, MARKET)
    response = back(client, code="market-code")
    assert response.status_code == 200
    drain()
    shop = store_row()
    assert app.extensions["loyalty"].vault.decrypt(shop.access_token) == MARKET["access_token"]


def test_a_state_that_does_not_match_is_refused_and_single_use(app, client, ecwid_api):
    state = start(client)
    assert back(client, code="abc", state="forged").status_code == 401
    assert back(client, code="abc", state=state).status_code == 401  # popped by the failed try
    assert store_row() is None and len(ecwid_api.calls) == 0


def test_a_callback_without_a_state_is_accepted_even_after_a_started_install(app, client, job_env, ecwid_api,
                                                                            drain):
    """Ecwid's docs do not say the state comes back: a code alone installs the code's own store."""
    api_answers(ecwid_api)
    start(client)
    assert back(client, code="abc").status_code == 200
    drain()
    assert store_row().domain == "1003"


def test_a_state_this_browser_never_asked_for_is_refused(app, client, ecwid_api):
    assert back(client, code="abc", state="from-elsewhere").status_code == 401
    assert store_row() is None


def test_a_code_used_twice_is_refused_by_ecwid_and_answered_in_english(app, client, ecwid_api):
    ecwid_api.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})
    state = start(client)
    response = client.get("/ecwid/callback", query_string={"code": "used", "state": state},
                          headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert "a code works only once" in response.get_data(as_text=True)
    assert store_row() is None


def test_an_owner_who_declines_gets_a_page_and_nothing_is_installed(app, client, ecwid_api):
    response = back(client, error="access_denied", state=start(client))
    assert response.status_code == 400 and "не установлено" in response.get_data(as_text=True)
    assert store_row() is None


def test_ecwid_unreachable_is_a_502_page(app, client, ecwid_api):
    ecwid_api.add(responses.POST, TOKEN_URL, body=requests.ConnectionError("down"))
    assert back(client, code="abc", state=start(client)).status_code == 502


def test_a_reinstall_reactivates_the_store_with_the_new_token(app, client, job_env, ecwid_api, drain):
    shop = install(app)
    with session():
        Shop.update(active=False, access_token=None, reconciled_to="123").where(Shop.id == shop.id).execute()
    api_answers(ecwid_api)
    assert back(client, code="again", state=start(client)).status_code == 200
    drain()
    again = store_row()
    assert (again.id, again.active, again.reconciled_to) == (shop.id, True, None)
    assert app.extensions["loyalty"].vault.decrypt(again.access_token) == COMPLETE["access_token"]


def test_a_profile_that_fails_leaves_the_install_pending_for_the_periodic_retry(app, client, job_env,
                                                                                ecwid_api, drain):
    ecwid_api.add(responses.POST, TOKEN_URL, json=COMPLETE)
    ecwid_api.add(responses.GET, api("/profile"), status=500)
    assert back(client, code="abc", state=start(client)).status_code == 200
    drain()
    assert store_row().install_pending is True
