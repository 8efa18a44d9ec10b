"""The owner's dashboard in headless Chromium (the issue's acceptance walk): sign in with the
shop's API key, find a customer, read their ledger, adjust their balance with a reason, see the
ledger line with the staff member's name, open the analytics page with its charts."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from plugin.cli import demo
from plugin.core import clock
from plugin.core.db import session
from plugin.customers import shops
from tests.e2e.conftest import ARTIFACTS, browser_missing
from widgets.demo_store import DEMO_SHOP

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))]

BOB = "207119551"
PAST_DAYS = 6


def seed_past_orders(demo_store) -> None:
    """Anna's demo order again on each of the last days, sent as signed webhooks on that day (the
    server applies them in-process, on the moved clock), so the charts have a line to draw."""
    data = demo.deliveries()
    paid = next(d for d in data["deliveries"] if d["topic"] == "orders/paid")
    deliveries = []
    for back in range(PAST_DAYS, 0, -1):
        order = copy.deepcopy(paid)
        order["body"]["id"] = 7390000000200 + back
        order["delivery_id"] = f"e2e-past-order-{back}"
        deliveries.append((back, order))
    now = datetime.now(UTC)
    try:
        for back, order in deliveries:
            clock.set_source(lambda back=back: now - timedelta(days=back))
            results = demo.post_deliveries(demo_store.url, demo_store.app.extensions["loyalty"],
                                           {"shop": data["shop"], "deliveries": [order]})
            assert [code for _, code, _ in results] == [200]
    finally:
        clock.set_source(None)


def test_owner_signs_in_with_the_api_key_and_reads_a_customers_ledger(demo_store, page):
    from playwright.sync_api import expect

    seed_past_orders(demo_store)
    with session():
        shop = shops.by_domain("shopify", DEMO_SHOP)
    api_key = demo_store.app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)

    page.goto(f"{demo_store.url}/admin")
    expect(page).to_have_url(f"{demo_store.url}/admin/sign-in")
    page.get_by_label("Shop API key").fill(api_key)
    page.get_by_label("Your name").fill("Olga Petrova")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.locator("header")).to_contain_text("signed in as Olga Petrova")
    page.get_by_role("navigation", name="Dashboard sections").get_by_role("link", name="Customers").click()
    page.get_by_label("Search").fill("bob.norman")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Bob Norman").click()

    expect(page.get_by_role("heading", name="Ledger")).to_be_visible()
    ledger = page.locator("table.ledger")
    expect(ledger).to_contain_text("sign-up bonus")
    expect(ledger.locator("tbody tr").first.locator("td.actor")).to_have_text("automatic")
    expect(page.locator("main")).to_contain_text("bob.norman@mail.example.com")

    page.get_by_label("Points (+ to add, − to take)").fill("250")
    page.get_by_label("Point type").select_option("regular")
    page.get_by_label("Reason (required)").fill("Apology for a late parcel")
    page.get_by_role("button", name="Save the adjustment").click()

    expect(page.get_by_role("status")).to_have_text("Added 250 points (regular), recorded by Olga Petrova.")
    newest = page.locator("table.ledger tbody tr").first
    expect(newest.locator("td.actor")).to_have_text("Olga Petrova")
    expect(newest).to_contain_text("Apology for a late parcel")
    expect(newest).to_contain_text("250")

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard_customer.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")  # noqa: T201 - the path is the test's report

    page.get_by_role("link", name="Русский").click()
    expect(page.get_by_role("heading", name="Журнал")).to_be_visible()
    page.get_by_role("navigation", name="Разделы").get_by_role("link", name="Аналитика").click()
    expect(page.get_by_role("heading", name="Аналитика")).to_be_visible()
    page.get_by_role("link", name="English").click()

    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    for chart in ("points", "orders", "revenue", "tiers"):
        expect(page.locator(f"#chart-{chart} svg")).to_be_visible()
    points = page.get_by_role("img", name="Points issued, redeemed and expired per day")
    expect(points.locator("polyline").first).to_be_visible()
    assert points.locator("circle").count() >= 30
    expect(page.locator("#chart-tiers rect.bar").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("points issued")

    shot = ARTIFACTS / "dashboard_analytics.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")  # noqa: T201 - the path is the test's report
