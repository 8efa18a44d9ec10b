"""The owner's notification settings and message log in headless Chromium: switch a message on
for SMS with a gateway, see it saved, and find a shopper's message with its failed delivery."""

from __future__ import annotations

import pytest

from plugin.core.db import session
from plugin.customers import shops
from tests.e2e.conftest import ARTIFACTS, browser_missing
from tests.notify.messages import message
from widgets.demo_store import DEMO_SHOP

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))]

BOB = "207119551"


def test_owner_switches_sms_on_and_reads_a_failed_delivery(demo_store, page):
    from playwright.sync_api import expect

    with session():
        shop = shops.by_domain("shopify", DEMO_SHOP)
    uid = message(shop, "points.expiring", "e2e:expiring", shopper=BOB,
                  deliveries=(("email", "bob.norman@mail.example.com", "failed", "550 mailbox unavailable"),))
    page.goto(f"{demo_store.url}/admin/sign-in")
    api_key = demo_store.app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)
    page.get_by_label("Shop API key").fill(api_key)
    page.get_by_label("Your name").fill("Olga Petrova")
    page.get_by_role("button", name="Sign in").click()

    nav = page.get_by_role("navigation", name="Dashboard sections")
    nav.get_by_role("link", name="Notifications").click()
    page.get_by_label("Points earned: SMS").check()
    page.get_by_label("SMS gateway").select_option("smsru")
    page.get_by_label("Sender name").fill("DemoShop")
    page.get_by_label("Gateway key (SMS.ru api_id, or the auth header's value)").fill("api-id-secret")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_label("Points earned: SMS")).to_be_checked()
    expect(page.get_by_label("Sender name")).to_have_value("DemoShop")
    assert "api-id-secret" not in page.content()

    page.get_by_role("link", name="Messages sent").click()
    page.get_by_label("Shopper").fill(BOB)
    page.get_by_role("button", name="Find").click()
    expect(page.locator("table.messages")).to_contain_text("e-mail: failed")
    page.locator(f"a[href$='/admin/messages/{uid}']").click()
    expect(page.locator("main")).to_contain_text("550 mailbox unavailable")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard_message.png"), full_page=True)
