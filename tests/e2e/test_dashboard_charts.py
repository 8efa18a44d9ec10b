"""The overview and analytics pages in headless Chromium, in Russian and English, on a desktop and
a 390 px phone: every chart's legend stays clear of its title and plot, count axes tick in whole
numbers, and customers are listed by name. Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import pytest

from plugin.core.db import session
from plugin.customers import shops
from tests.e2e.conftest import ARTIFACTS, browser_missing, sign_in_as_owner
from tests.e2e.test_owner_dashboard import seed_past_orders
from widgets.demo_store import DEMO_SHOP

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
COUNT_CHARTS = ("#chart-orders", "#chart-tiers")  # orders and customers: whole numbers only

#: Each chart's boxes as the browser lays them out: title, legend (if any), plot area, the SVG.
BOXES = """figures => figures.map(figure => {
  const box = (selector) => { const el = figure.querySelector(selector); if (!el) return null;
    const r = el.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  return {id: figure.id, svg: box("svg"), title: box(".chart-title"), legend: box(".legend"),
          plot: box(".plot-area")};
})"""


def overlap(a: dict, b: dict) -> bool:
    return (a["left"] < b["right"] and b["left"] < a["right"]
            and a["top"] < b["bottom"] and b["top"] < a["bottom"])


def inside(inner: dict, outer: dict) -> bool:
    return (inner["left"] >= outer["left"] - 0.5 and inner["right"] <= outer["right"] + 0.5
            and inner["top"] >= outer["top"] - 0.5 and inner["bottom"] <= outer["bottom"] + 0.5)


def check_charts(page) -> int:
    """Every chart on the page: legend, title and plot apart and inside the SVG; returns how many."""
    charts = page.locator("figure.chart").evaluate_all(BOXES)
    assert charts
    for chart in charts:
        assert chart["title"] and chart["plot"], chart
        assert not overlap(chart["title"], chart["plot"]), chart
        assert inside(chart["title"], chart["svg"]), chart
        if chart["legend"]:
            assert not overlap(chart["legend"], chart["title"]), chart
            assert not overlap(chart["legend"], chart["plot"]), chart
            assert inside(chart["legend"], chart["svg"]), chart
    return len(charts)


def check_count_ticks(page) -> None:
    for selector in COUNT_CHARTS:
        ticks = page.locator(f"{selector} g.y-axis text").all_text_contents()
        assert len(ticks) >= 2, selector
        assert all(tick.strip().isdigit() for tick in ticks), (selector, ticks)


@pytest.fixture(scope="module")
def seeded(demo_store):
    seed_past_orders(demo_store)
    with session():
        shop = shops.by_domain("shopify", DEMO_SHOP)
    return demo_store, demo_store.app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)


@pytest.mark.parametrize("size", VIEWPORTS)
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_charts_leave_titles_and_lines_clear_and_count_axes_are_whole(seeded, browser, lang, size):
    demo_store, api_key = seeded
    context = browser.new_context(viewport=VIEWPORTS[size], locale="en-US", timezone_id="UTC")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in_as_owner(page, demo_store.url, api_key)
        ARTIFACTS.mkdir(exist_ok=True)

        page.goto(f"{demo_store.url}/admin/overview?lang={lang}")
        assert check_charts(page) == 1
        ledger_names = page.locator("main table").first.locator("tbody td a").all_text_contents()
        assert "Bob Norman" in ledger_names and "Анна Иванова" in ledger_names, ledger_names
        assert not any(name.strip().isdigit() for name in ledger_names), ledger_names
        page.screenshot(path=str(ARTIFACTS / f"dash_overview_{lang}_{size}.png"), full_page=True)
        chart = ARTIFACTS / f"dash_overview-chart_{lang}_{size}.png"
        page.locator("#chart-recent").screenshot(path=str(chart))

        page.goto(f"{demo_store.url}/admin/analytics?lang={lang}")
        assert check_charts(page) == 4
        check_count_ticks(page)
        page.screenshot(path=str(ARTIFACTS / f"dash_analytics_{lang}_{size}.png"), full_page=True)
        page.locator(".charts").screenshot(path=str(ARTIFACTS / f"dash_analytics-charts_{lang}_{size}.png"))
    finally:
        context.close()
    assert not errors, errors
