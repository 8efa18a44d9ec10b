"""The economics page in headless Chromium on the demo shop: the published program against a draft
that earns twice as much, in Russian and English, on a desktop and a 390 px phone. The charts keep
their titles, legends and plots apart, each difference carries a word and an arrow as well as its
colour, the form runs a single program, and the deferred-revenue CSV downloads. Screenshots go to
tests/e2e/artifacts/."""

from __future__ import annotations

import copy

import pytest

from plugin.core.db import session
from plugin.customers import shops
from plugin.program import document, drafts
from tests.e2e.conftest import ARTIFACTS, browser_missing, sign_in_as_owner
from tests.e2e.test_dashboard_charts import VIEWPORTS, check_charts
from tests.e2e.test_owner_dashboard import seed_past_orders
from widgets.demo_store import DEMO_SHOP

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))]

WORDS = {"en": ("worse", "better"), "ru": ("хуже", "лучше")}


@pytest.fixture(scope="module")
def with_draft(demo_store):
    seed_past_orders(demo_store)
    with session():
        shop = shops.by_domain("shopify", DEMO_SHOP)
        generous = copy.deepcopy(document.DEFAULT)
        generous["earning"]["rate"] = {"kind": "percent", "percent": "10"}
        drafts.keep(shop.id, generous, 0, "Olga Petrova")
    yield demo_store, demo_store.app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)
    with session():
        drafts.discard(shop.id)


@pytest.mark.parametrize("size", VIEWPORTS)
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_draft_against_the_published_program_reads_in_words_and_arrows(with_draft, browser, lang, size):
    demo_store, api_key = with_draft
    context = browser.new_context(viewport=VIEWPORTS[size], locale="en-US", timezone_id="UTC",
                                  accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in_as_owner(page, demo_store.url, api_key)
        page.goto(f"{demo_store.url}/admin/overview?lang={lang}")
        page.locator("nav a[href*='/admin/economics']").click()
        page.wait_for_url("**/admin/economics*")
        assert check_charts(page) == 4  # points, money, and each program's rules
        cost = page.locator("table.econ-compare tr.points_issued td.delta")
        assert "changed" in cost.get_attribute("class") and "▲" in cost.inner_text()
        worse, _ = WORDS[lang]
        liability = page.locator("table.econ-compare tr.liability td.delta")
        assert "worse" in liability.get_attribute("class") and worse in liability.inner_text()
        assert page.locator("main").evaluate("m => m.scrollWidth <= document.documentElement.clientWidth + 1")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"dash_economics_{lang}_{size}.png"), full_page=True)

        page.locator("#econ-compare_with").select_option("")
        page.locator("form.econ-form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("table.econ-compare").count() == 0
        assert check_charts(page) == 3
        with page.expect_download() as download:
            page.locator("a[href*='deferred-revenue.csv']").click()
        assert download.value.suggested_filename.startswith("deferred-revenue-")
    finally:
        context.close()
    assert not errors, errors
