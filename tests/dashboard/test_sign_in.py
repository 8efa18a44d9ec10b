"""Signing in to the dashboard: the API-key form, Shopify admin loads, sessions, one shop per session."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from plugin.core import clock
from plugin.core.db import session
from plugin.core.kinds import EventKind
from plugin.core.models import ActivationCode, Event, Shop
from plugin.core.status import EventStatus
from plugin.customers import shops
from tests.helpers import (
    SHOP_DOMAIN,
    csrf_of,
    grant,
    post_form,
    session_token,
    shopify_query,
    sign_in,
)

# --- signing in ------------------------------------------------------------------------------

def test_pages_redirect_to_sign_in_without_a_session(client, shop):
    response = client.get("/admin/customers")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/sign-in"


def test_api_key_form_signs_in_and_names_the_staff_member(app, client, shop):
    response = sign_in(app, client, shop, name="  Olga   Petrova ")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/overview"
    page = client.get("/admin/overview")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "signed in as Olga Petrova" in html and SHOP_DOMAIN in html
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "private, no-store"


def test_session_cookie_is_cross_site_partitioned_and_secure_over_https(app, client, shop):
    cookie = sign_in(app, client, shop).headers["Set-Cookie"]
    for attribute in ("Secure", "SameSite=None", "Partitioned", "HttpOnly"):
        assert attribute in cookie


@pytest.mark.parametrize("key", ["", "lk_1_" + "A" * 43, "not-a-key"])
def test_a_wrong_api_key_is_401_with_the_form_again(client, shop, key):
    token = csrf_of(client.get("/admin/sign-in").get_data(as_text=True))
    response = client.post("/admin/sign-in", data={"csrf_token": token, "api_key": key, "name": "Olga"})
    assert response.status_code == 401
    assert "This API key does not belong to an active shop." in response.get_data(as_text=True)
    assert client.get("/admin/overview").status_code == 302


def test_sign_in_without_a_name_is_422(app, client, shop):
    response = sign_in(app, client, shop, name="   ")
    assert response.status_code == 422 and "Please give your name" in response.get_data(as_text=True)


def test_a_form_without_the_csrf_token_is_403_and_changes_nothing(app, client, shop):
    key = app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)
    client.get("/admin/sign-in")
    response = client.post("/admin/sign-in", data={"api_key": key, "name": "Olga"})
    assert response.status_code == 403
    assert client.get("/admin/overview").status_code == 302
    sign_in(app, client, shop)
    response = client.post("/admin/codes", data={"csrf_token": "forged", "count": "5", "points": "10"})
    assert response.status_code == 403
    with session():
        assert not ActivationCode.select().exists()


def test_sign_out_ends_the_session(app, client, shop):
    sign_in(app, client, shop)
    response = post_form(client, "/admin/sign-out", {})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/sign-in"
    assert client.get("/admin/overview").status_code == 302


def test_a_cookie_copied_before_sign_out_no_longer_signs_in(app, client, shop):
    sign_in(app, client, shop)
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    assert copied.get("/admin/overview").status_code == 200
    post_form(client, "/admin/sign-out", {})
    response = copied.get("/admin/overview")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/sign-in"


def test_a_copied_cookie_posting_after_sign_out_is_401_and_changes_nothing(app, client, shop):
    sign_in(app, client, shop)
    token = csrf_of(client.get("/admin/codes").get_data(as_text=True))
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    post_form(client, "/admin/sign-out", {})
    response = copied.post("/admin/codes", data={"csrf_token": token, "count": "5", "points": "10"})
    assert response.status_code == 401
    with session():
        assert not ActivationCode.select().exists()


def test_signing_in_again_ends_the_sessions_cookie_had_before(app, client, shop):
    sign_in(app, client, shop)
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    sign_in(app, client, shop, name="Ivan")
    assert client.get("/admin/overview").status_code == 200
    assert copied.get("/admin/overview").status_code == 302


def test_a_session_ends_after_twelve_hours(app, client, shop):
    sign_in(app, client, shop)
    clock.set_source(lambda: datetime.now(UTC) + timedelta(hours=12, seconds=1))
    assert client.get("/admin/overview").status_code == 302


def test_reinstalling_a_shop_does_not_revive_the_sessions_of_before(app, client, shop):
    sign_in(app, client, shop)
    with session():
        Shop.update(active=False).where(Shop.id == shop.id).execute()
    assert client.get("/admin/overview").status_code == 302
    clock.set_source(lambda: datetime.now(UTC) + timedelta(seconds=1))
    with session():
        shops.register("shopify", SHOP_DOMAIN, own_webhook_secret=False)
    assert client.get("/admin/overview").status_code == 302


def test_a_rotated_api_key_ends_its_sessions(app, client, shop):
    sign_in(app, client, shop)
    with session():
        Shop.update(key_version=Shop.key_version + 1).where(Shop.id == shop.id).execute()
    assert client.get("/admin/overview").status_code == 302


# --- Shopify admin loads ---------------------------------------------------------------------

def test_shopify_admin_load_with_a_signed_query_opens_a_session_framed_by_that_admin(client, shop):
    response = client.get("/admin", query_string=shopify_query())
    assert response.status_code == 302 and response.headers["Location"] == "/admin/overview"
    page = client.get("/admin/overview")
    assert page.status_code == 200 and "signed in as Shopify staff" in page.get_data(as_text=True)
    policy = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors https://{SHOP_DOMAIN} https://admin.shopify.com;" in policy


def test_shopify_session_token_alone_opens_a_session_naming_the_user(client, shop):
    response = client.get("/admin", query_string={"shop": SHOP_DOMAIN, "id_token": session_token()})
    assert response.status_code == 302
    assert "signed in as Shopify staff 42" in client.get("/admin/overview").get_data(as_text=True)


def test_signed_query_with_its_session_token_opens_a_session(client, shop):
    query = shopify_query(id_token=session_token())
    assert client.get("/admin", query_string=query).status_code == 302


@pytest.mark.parametrize("query", [
    pytest.param(lambda: {**shopify_query(), "shop": "evil.myshopify.com"}, id="tampered-shop"),
    pytest.param(lambda: shopify_query(secret="other-app"), id="other-app-secret"),
    pytest.param(lambda: shopify_query(timestamp=str(int(time.time()) - 3 * 86400)), id="stale"),
    pytest.param(lambda: {"id_token": session_token(secret="other-app")}, id="forged-token"),
    pytest.param(lambda: {"id_token": session_token(exp=int(time.time()) - 120)}, id="expired-token"),
    pytest.param(lambda: {"id_token": session_token(nbf=int(time.time()) + 120)}, id="future-token"),
    pytest.param(lambda: {"id_token": session_token(aud="another-app")}, id="other-audience"),
    pytest.param(lambda: {"id_token": "a.b"}, id="not-a-jwt"),
    pytest.param(lambda: shopify_query(id_token=session_token(domain="evil.myshopify.com")),
                 id="token-of-another-shop"),
])
def test_a_bad_shopify_load_is_401_and_opens_no_session(client, shop, query):
    response = client.get("/admin", query_string=query())
    assert response.status_code == 401 and "text/html" in response.content_type
    assert client.get("/admin/overview").status_code == 302


def test_shopify_load_of_a_shop_that_is_not_installed_offers_the_install(client, shop):
    response = client.get("/admin", query_string=shopify_query(domain="newcomer.myshopify.com"))
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "/install?shop=newcomer.myshopify.com" in html
    assert 'target="_top"' in html
    assert client.get("/admin/overview").status_code == 302


# --- one shop per session --------------------------------------------------------------------

def test_a_session_of_one_shop_never_sees_or_changes_another_shops_data(app, client, shop, other_shop):
    grant(shop, "1001", 10, "a1", profile={"email": "anna@a.example"})
    grant(other_shop, "1001", 999, "b1", profile={"email": "boris@b.example"})
    grant(other_shop, "2002", 5, "b2", profile={"email": "bella@b.example"})
    with session():
        failed = Event.create(shop=other_shop.id, platform="custom", topic="customers/create",
                              kind=EventKind.CUSTOMER_CREATED, delivery_id="d1", raw_body="{}",
                              status=EventStatus.FAILED, error="boom")
        batch = ActivationCode.create(shop=other_shop.id, batch="b-batch", code="ABCDEFGHJKMN", points=5,
                                      point_type="regular")
    sign_in(app, client, shop)
    mine = client.get("/admin/customers/1001").get_data(as_text=True)
    assert "anna@a.example" in mine and "boris@b.example" not in mine and "999" not in mine
    assert client.get("/admin/customers/2002").status_code == 404
    assert "bella@b.example" not in client.get("/admin/customers?q=bella").get_data(as_text=True)
    assert client.get(f"/admin/codes/{batch.batch}.csv").status_code == 404
    assert post_form(client, f"/admin/events/{failed.id}/retry", {}).status_code == 404
    assert "b-batch" not in client.get("/admin/codes").get_data(as_text=True)
    with session():
        assert Event.get_by_id(failed.id).status == EventStatus.FAILED
