"""The owner opens the dashboard from the InSales admin: InSales vouches for them with MD5 digests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from plugin.core import clock
from plugin.http.insales import autologin_valid
from plugin.platforms.insales import md5_hex
from tests.helpers import fixture_json
from tests.platforms.insales.conftest import DOMAIN, INSALES_ID, PASSWORD, PUBLIC_URL

VECTORS = fixture_json("insales/api_DERIVED_autologin_vectors.json")
USER = VECTORS["docs_long_form"]["params"]
TOKEN = VECTORS["token_sent_by_app"]


def test_the_fixture_password_is_the_install_example():
    assert VECTORS["password"] == PASSWORD


@pytest.mark.parametrize("args", [
    {"token3": VECTORS["docs_long_form"]["expected_token3"], **USER},  # the docs' long form
    {"token3": VECTORS["docs_long_form"]["expected_token3"],  # ... as the docs spell the name
     **{k if k != "email_confirmed" else "email_\u0441onfirmed": v for k, v in USER.items()}},
    {"token3": VECTORS["gem_form"]["expected"], **{k: v for k, v in USER.items() if k != "email_confirmed"}},
    {"token": VECTORS["short_form"]["expected_token"]},  # MD5(token + password)
])
def test_each_documented_digest_is_accepted(args):
    assert autologin_valid(TOKEN, PASSWORD, MultiDict(args))


@pytest.mark.parametrize("args", [
    {"token3": VECTORS["docs_long_form"]["expected_token3"], **USER, "user_name": "mallory"},
    {"token3": VECTORS["gem_form"]["expected"], **USER, "user_id": "2"},
    {"token": VECTORS["short_form"]["expected_token"][::-1]},
    {"token3": "", "token": ""},
    {},
])
def test_a_digest_that_does_not_match_is_refused(args):
    assert not autologin_valid(TOKEN, PASSWORD, MultiDict(args))


def start_login(client) -> str:
    response = client.get("/insales/login", query_string={"shop": DOMAIN, "insales_id": INSALES_ID,
                                                          "user_id": "1"})
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == (
        f"https://{DOMAIN}/admin/applications/myapplogin/login")
    query = parse_qs(target.query)
    assert query["login"] == [f"{PUBLIC_URL}/insales/autologin"]
    return query["token"][0]


def answer(token: str, **user) -> dict:
    fields = {**USER, **user}
    digest = md5_hex(token + fields["user_email"] + fields["user_name"] + fields["user_id"]
                     + fields["email_confirmed"] + PASSWORD)
    return {"token3": digest, **fields}


def test_autologin_opens_the_dashboard_for_the_shop(client, insales_shop):
    token = start_login(client)
    response = client.get("/insales/autologin", query_string=answer(token))
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/overview")
    assert client.get("/admin/overview").status_code == 200


def test_autologin_with_a_wrong_digest_or_twice_is_401(client, insales_shop):
    token = start_login(client)
    assert client.get("/insales/autologin", query_string=answer(token, user_name="x") | {
        "user_name": "y"}).status_code == 401
    assert client.get("/insales/autologin", query_string=answer(token)).status_code == 401  # single use
    assert client.get("/admin/overview").status_code in (302, 401)


def test_autologin_without_a_login_started_here_is_401(client, insales_shop):
    assert client.get("/insales/autologin", query_string=answer(TOKEN)).status_code == 401


def test_autologin_answered_too_late_is_401(client, insales_shop):
    token = start_login(client)
    later = datetime.now(UTC) + timedelta(minutes=11)
    clock.set_source(lambda: later)
    assert client.get("/insales/autologin", query_string=answer(token)).status_code == 401


def test_login_for_a_shop_not_installed_or_another_insales_id_is_401(client, insales_shop):
    assert client.get("/insales/login", query_string={"shop": "other.myinsales.ru"}).status_code == 401
    assert client.get("/insales/login", query_string={"shop": DOMAIN, "insales_id": "999"}).status_code == 401
