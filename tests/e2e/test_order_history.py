"""The owner imports a file of past orders from the imports page in headless Chromium, watches the
run finish and reads its report with the rejected line, in English and Russian, wide and narrow."""

from __future__ import annotations

import pytest

from plugin.core.db import session
from plugin.customers import shops
from tests.e2e.conftest import ARTIFACTS, browser_missing
from widgets.demo_store import DEMO_SHOP

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))]

ORDERS = ("order_id,customer_id,placed_at,amount,sku,category\n"
          "5001,anna,2025-01-05,1200.00,TEA-1,tea\n"
          "5001,anna,2025-01-05,300,CUP-1,cups\n"
          "5002,bob,2025-01-20,abc,,\n"
          "5001,anna,2025-02-10,-300,CUP-1,cups\n")


def test_owner_imports_order_history_and_reads_the_report(demo_store, page, tmp_path):
    from playwright.sync_api import expect

    with session():
        shop = shops.by_domain("shopify", DEMO_SHOP)
    api_key = demo_store.app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)
    page.goto(f"{demo_store.url}/admin/sign-in")
    page.get_by_label("Shop API key").fill(api_key)
    page.get_by_label("Your name").fill("Olga Petrova")
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{demo_store.url}/admin/imports")
    expect(page.get_by_role("heading", name="Order history")).to_be_visible()
    expect(page.get_by_role("button", name="Fetch orders")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "imports-en.png"), full_page=True)
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    form = page.locator("form", has=page.locator("input[name=kind][value=orders]"))
    form.get_by_label("CSV file").set_input_files(str(path))
    form.get_by_label("Dry run").uncheck()
    form.get_by_role("button", name="Import order history").click()

    expect(page.locator("#import-status")).to_have_text("finished")
    expect(page.locator(".cards")).to_contain_text("order lines added")
    expect(page.locator("table.rejected")).to_contain_text("amount 'abc' is not a number")
    page.screenshot(path=str(ARTIFACTS / "order-history-run-en.png"), full_page=True)
    run_url = page.url

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{demo_store.url}/admin/imports?lang=ru")
    expect(page.get_by_role("heading", name="История заказов")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "imports-ru-390.png"), full_page=True)
    page.goto(run_url)
    expect(page.locator(".cards")).to_contain_text("позиций заказов добавлено")
    page.screenshot(path=str(ARTIFACTS / "order-history-run-ru-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
