"""The demo in Russian, in headless Chromium: no English word is visible on the storefront's
checkout widget, the account page's history, the dashboard's overview, a customer page, the
rules page, an import report and the program page showing check errors.

Words that are the same in every language are allowed (ALLOWED: brand names, codes, units), and
so are code, ids, emails and URLs. Screenshots of each page in both languages go to
tests/e2e/artifacts.
"""

from __future__ import annotations

import re

import pytest

from plugin.core.db import session
from plugin.customers import shops
from plugin.program import versions
from tests.e2e.conftest import ARTIFACTS, browser_missing
from widgets.demo_store import DEMO_SHOP, SHOPPERS

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))]

ANNA = "7390000000001"
#: The same in every language; and the demo shoppers' names (data, not texts).
ALLOWED = {"Shopify", "Telegram", "WhatsApp", "VK", "API", "UTC", "ID", "JSON", "CSV", "RUB", "English",
           *(word for shopper in SHOPPERS.values() for word in shopper["name"].split()),
           "loyalty", "demo"}  # the author `loyalty demo` records for the demo's program
#: Names and values of the program document, shown as the owner types them
#: ("обязательно, когда kind = 'percent'", "Допустимые значения: down, nearest, up").
DOCUMENT_WORDS = frozenset({"kind", "down", "nearest", "up"})
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
NOT_WORDS = re.compile(r"`[^`]*`|'[^']*'|\b[\w-]+(?:\.[\w-]+)+\b|\S+@\S+|https?://\S+|\b\w*_\w*\b|\b[A-Z0-9-]*\d[A-Z0-9-]*\b")
HIDE = """() => {
  const hide = (e) => e.setAttribute("data-not-read", "");
  document.querySelectorAll("code, pre, textarea, input, select").forEach(hide);
}"""


def english_words(page, ids: frozenset[str] = frozenset()) -> list[str]:
    """The English words a reader sees on the page (hidden elements, code and inputs not read);
    ``ids``: the program's own names shown as they are (a point type without a label)."""
    page.evaluate(HIDE)
    text = page.evaluate("""() => {
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      const out = [];
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const parent = n.parentElement;
        if (parent && !parent.closest("[data-not-read]") && parent.getClientRects().length) {
          out.push(n.textContent);
        }
      }
      const attrs = [...document.querySelectorAll("[aria-label], [placeholder], [title]")].map((e) =>
        ["aria-label", "placeholder", "title"].map((name) => e.getAttribute(name) || "").join(" "));
      return out.join(" ") + " " + attrs.join(" ") + " " + document.title;
    }""")
    return sorted({word for word in WORD.findall(NOT_WORDS.sub(" ", text)) if word not in ALLOWED | ids})


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def visit(page, url: str, name: str, ready: str, ids: frozenset[str]) -> list[str]:
    """The page in English then in Russian (screenshots of both); the English words of the latter."""
    from playwright.sync_api import expect

    joiner = "&" if "?" in url else "?"
    page.goto(f"{url}{joiner}lang=en")
    expect(page.locator(ready).first).to_be_visible()
    shoot(page, f"{name}_en")
    page.goto(f"{url}{joiner}lang=ru")
    expect(page.locator(ready).first).to_be_visible()
    shoot(page, f"{name}_ru")
    return english_words(page, ids)


def sign_in(demo_store, page, shop, check: bool = False) -> None:
    from playwright.sync_api import expect

    page.goto(f"{demo_store.url}/admin/sign-in?lang=ru")
    if check:
        assert english_words(page) == []
    vault = demo_store.app.extensions["loyalty"].vault
    page.locator("#api_key").fill(vault.api_key(shop.id, shop.key_version))
    page.locator("#name").fill("Ольга Петрова")
    page.locator("button[type=submit]").click()
    expect(page.locator("main h1, main h2").first).to_be_visible()


def test_the_storefront_widget_and_account_history_are_all_russian(demo_store, page):
    from playwright.sync_api import expect

    page.goto(f"{demo_store.url}/demo/checkout?customer={ANNA}")
    expect(page.locator(".loyalty__points")).to_be_visible()
    expect(page.locator(".loyalty__offers, .loyalty__offer").first).to_be_visible()
    shoot(page, "storefront_checkout_ru")
    assert english_words(page) == []

    page.goto(f"{demo_store.url}/demo/account?customer={ANNA}")
    expect(page.locator("h3.loyalty__sub").last).to_be_visible()
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    shoot(page, "storefront_account_ru")
    assert english_words(page) == []


def test_the_dashboard_and_rules_page_are_all_russian(demo_store, page, tmp_path):
    from playwright.sync_api import expect

    with session():
        shop = shops.by_domain("shopify", DEMO_SHOP)
        ids = frozenset(versions.current(shop.id)[1]["point_types"])
    admin = f"{demo_store.url}/admin"
    sign_in(demo_store, page, shop, check=True)

    assert visit(page, f"{admin}/overview", "dashboard_overview", "main table", ids) == []
    assert visit(page, f"{admin}/customers/{ANNA}", "dashboard_customer", "table.ledger", ids) == []
    assert visit(page, f"{demo_store.url}/rules/{DEMO_SHOP}", "rules", "main h2", ids) == []

    upload = tmp_path / "customers.csv"
    upload.write_text("customer_id,email,points_balance\n,,\nnew 1,not-an-email,-3\n"
                      "7390000000009,vera@example.ru,12\n", encoding="utf-8")
    page.goto(f"{admin}/imports?lang=ru")
    page.locator("#file").set_input_files(str(upload))
    page.locator("form", has=page.locator("#file")).locator("button[type=submit]").click()
    expect(page.locator("td.error").first).to_be_visible()
    report = page.url.split("?")[0]
    assert visit(page, report, "dashboard_import_report", "td.error", ids) == []



def test_the_program_page_shows_its_check_errors_in_russian(demo_store, browser):
    """Its own browser context: the page answers 422, which the ``page`` fixture counts as an error."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1100, "height": 760}, locale="ru-RU", timezone_id="UTC")
    page = context.new_page()
    with session():
        shop = shops.by_domain("shopify", DEMO_SHOP)
    sign_in(demo_store, page, shop)
    page.goto(f"{demo_store.url}/admin/program?lang=ru")
    page.locator("#document").fill('{"earning": {"rate": {"kind": "percent"}, "rounding": "sideways"},'
                                   ' "tiers": "none", "extra": 1}')
    page.locator("button[value=review]").click()
    expect(page.locator("#errors")).to_be_visible()
    shoot(page, "dashboard_program_errors_ru")
    words = english_words(page, DOCUMENT_WORDS)
    context.close()
    assert words == []
