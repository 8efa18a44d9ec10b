"""The widget's static files (size, no HTML injection, caching) and the demo storefront's routes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from plugin.cli import demo
from plugin.cli.main import main
from plugin.core.db import session
from plugin.core.models import Hold, Order, ProgramVersion
from plugin.core.status import HoldStatus
from plugin.http.manifest import manifest
from plugin.program import versions
from tests.helpers import BOB, UNSET, redeem, shopper_headers
from widgets import identity, static_bp

STATIC = Path(static_bp.__file__).with_name("static")


# --- serving -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "media"), [("loyalty.js", "text/javascript"), ("loyalty.css", "text/css")])
def test_asset_is_served_with_etag_and_short_cache(client, name, media):
    response = client.get(f"/widget/{name}")
    assert response.status_code == 200
    assert response.mimetype == media
    assert response.data == (STATIC / name).read_bytes()
    assert response.headers["ETag"] == f'"{static_bp.asset(name).digest}"'
    assert response.headers["Cache-Control"] == static_bp.SHORT_CACHE
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_versioned_asset_url_is_cached_for_a_year(app, client):
    with app.test_request_context():
        url = static_bp.asset_url("loyalty.js")
    assert re.fullmatch(r"/widget/loyalty\.js\?v=[0-9a-f]{20}", url)
    assert client.get(url).headers["Cache-Control"] == static_bp.LONG_CACHE
    stale = client.get("/widget/loyalty.js?v=0123456789abcdef0123")
    assert stale.headers["Cache-Control"] == static_bp.SHORT_CACHE


def test_asset_with_matching_etag_is_304_without_body(client):
    etag = client.get("/widget/loyalty.css").headers["ETag"]
    response = client.get("/widget/loyalty.css", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.data == b""


@pytest.mark.parametrize("name", ["static_bp.py", "nope.js", "..%2Fapi.py", "v1"])
def test_only_the_listed_assets_are_served(client, name):
    assert client.get(f"/widget/{name}").status_code == 404


def test_manifest_widgets_name_scripts_the_app_serves_and_mount_points(client):
    widgets = manifest()["widgets"]
    assert {w["id"] for w in widgets} == {"checkout", "account", "product", "launcher"}
    for widget in widgets:
        assert widget["mount"] == f"div[data-loyalty-widget][data-mode={widget['id']}]"
        assert client.get(widget["script"]).status_code == 200
        assert client.get(widget["stylesheet"]).status_code == 200


# --- the demo storefront -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/demo/checkout", "/demo/product", "/demo/account"])
def test_demo_pages_are_404_when_the_demo_store_is_off(app, client, demo_shop, path):
    app.config["LOYALTY_DEMO_STORE"] = False
    assert client.get(path).status_code == 404


def test_demo_pages_are_404_without_the_demo_shop(app, client, shop):
    app.config["LOYALTY_DEMO_STORE"] = True
    assert client.get("/demo/checkout").status_code == 404


def test_demo_checkout_passes_a_signed_token_in_data_attributes_only(app, client, demo_shop):
    response = client.get(f"/demo/checkout?customer={BOB}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    token = re.search(r'data-token="([^"]+)"', html).group(1)
    with session():
        assert identity.read_token(app.extensions["loyalty"].vault, demo_shop, token) == BOB
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL):
        assert "src=" in attributes or 'type="application/json"' in attributes
        assert token not in body
    assert 'data-mode="checkout"' in html and 'lang="en"' in html


def test_demo_account_page_mounts_the_account_widget(app, client, demo_shop):
    html = client.get(f"/demo/account?customer={BOB}").get_data(as_text=True)
    assert 'data-mode="account"' in html and "data-token=" in html and "My account" in html


def test_demo_program_is_saved_once_with_tiers_referrals_transfers_and_games(demo_shop):
    with session():
        demo.configure_program(demo_shop.id)
        demo.configure_program(demo_shop.id)  # a rerun keeps the version there
        assert ProgramVersion.select().where(ProgramVersion.shop == demo_shop.id).count() == 1
        _, program = versions.current(demo_shop.id)
    assert [t["id"] for t in program["tiers"]["tiers"]] == ["novice", "bronze", "silver"]
    assert program["transfers"]["enabled"] and program["referrals"]["friend_points"]
    assert program["games"]["badges"] and program["games"]["challenges"]
    assert program["signup"]["points"] == 100 and program["earning"]["rate"]["percent"] == 5


def test_demo_checkout_of_anna_is_in_russian_and_roubles(client, demo_shop):
    html = client.get("/demo/checkout?customer=7390000000001").get_data(as_text=True)
    assert 'lang="ru"' in html and 'data-currency="RUB"' in html and "Кофе в зёрнах 1 кг" in html


@pytest.mark.parametrize("customer", ["abc", "0", "1" * 19, "<script>"])
def test_demo_checkout_of_a_malformed_customer_is_404(client, demo_shop, customer):
    assert client.get("/demo/checkout", query_string={"customer": customer}).status_code == 404


def test_placing_the_demo_order_with_the_code_commits_the_hold(app, client, demo_shop, drain):
    held = redeem(app, client, demo_shop, 50)
    response = client.post("/demo/checkout/order", json={"customer": BOB, "code": held["code"]})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["order"]["discount"], body["order"]["total"]) == ("50.00", "412.50")  # + 190 shipping
    assert body["redemption"] == held["id"] and body["webhook"] == {"status": 200, "outcome": "accepted"}
    drain()
    with session():
        hold = Hold.get_by_id(held["id"])
        order = Order.get(Order.platform_id == body["order"]["id"])
    assert (hold.status, hold.order_id) == ("committed", body["order"]["id"])
    assert order.earned == 11  # 5% of 222.50: the discount is allocated to the lines
    status = client.get(f"/widget/v1/redemptions/{held['id']}", headers=shopper_headers(app, demo_shop, BOB))
    assert status.get_json()["redemption"]["status"] == "committed"


def test_placing_the_demo_order_without_a_code_earns_on_the_full_cart(client, demo_shop, drain):
    response = client.post("/demo/checkout/order", json={"customer": BOB})
    assert response.status_code == 201 and response.get_json()["redemption"] is None
    drain()
    with session():
        order = Order.get(Order.platform_id == response.get_json()["order"]["id"])
    assert order.earned == 13


def test_demo_order_with_another_shoppers_code_is_422_and_sends_nothing(app, client, demo_shop):
    held = redeem(app, client, demo_shop, 50)
    response = client.post("/demo/checkout/order", json={"customer": "7390000000001", "code": held["code"]})
    assert response.status_code == 422 and response.get_json()["error"] == "invalid_code"
    with session():
        assert not Order.select().exists()
        assert Hold.get_by_id(held["id"]).status == HoldStatus.HELD


def test_demo_order_as_a_form_post_is_refused(client, demo_shop):
    assert client.post("/demo/checkout/order", data={"customer": BOB}).status_code == 415


@pytest.mark.parametrize("body", [[BOB], {"customer": "bob"}, {}])
def test_demo_order_without_a_customer_id_is_a_json_error(client, demo_shop, body):
    response = client.post("/demo/checkout/order", json=body)
    assert response.status_code == 400 and response.get_json()["error"]


def test_demo_command_prints_the_storefront_urls(tmp_path):
    env = {**UNSET, "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "LOYALTY_REDIS_URL": ""}
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--port", "0"], env=env)
    assert result.exit_code == 0, result.output
    for customer in (BOB, "7390000000001"):
        for page in ("product", "checkout", "account"):
            assert f"/demo/{page}?customer={customer}" in result.output
    assert re.search(r"^  http://127\.0\.0\.1:[1-9]\d*/demo/checkout\?customer=207119551$", result.output,
                     re.MULTILINE)
