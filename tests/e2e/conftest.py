"""Browser tests: the demo storefront served by a real HTTP server, driven by headless Chromium.

They run once, not per backend (no ``app`` fixture): the embedded default, a fresh SQLite file,
in-process jobs, and the demo's own signed webhooks so the demo shoppers have points.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from plugin.app import create_app
from plugin.cli import demo
from plugin.core import clock
from plugin.core.db import database, session
from plugin.customers import shops
from plugin.ledger import audit
from plugin.program import versions

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "e2e: a browser test (headless Chromium); runs once, not per backend")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None; under CI nothing is an excuse."""
    if CHROMIUM.exists() or os.environ.get("CI"):
        return None
    return f"{CHROMIUM} is missing (tests/run.sh installs Debian's chromium; CI always runs these)"


@dataclass(frozen=True)
class Demo:
    url: str
    app: object


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """`loyalty demo` in-process: the app on a free port with the demo storefront and deliveries."""
    db_path = tmp_path_factory.mktemp("e2e") / "demo.db"
    shops.forget_cached()
    versions.forget_cached()
    app = create_app({"LOYALTY_DATABASE_URL": f"sqlite:///{db_path}", "LOYALTY_REDIS_URL": "",
                      "LOYALTY_SECRET_KEY": "e2e-secret-key-0123456789", "SHOPIFY_API_KEY": "",
                      "SHOPIFY_API_SECRET": "", "LOYALTY_PUBLIC_URL": "http://127.0.0.1"})
    app.config["LOYALTY_DEMO_STORE"] = True
    server = demo.start_server(app, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.server_port}"
    results = demo.post_deliveries(url, app.extensions["loyalty"], demo.deliveries())
    assert {code for _, code, _ in results} == {200}
    yield Demo(url, app)
    server.shutdown()
    clock.set_source(None)
    with session():
        problems = audit.check()
    if not database.is_closed():
        database.close()
    assert not problems, "loyalty audit failed after the browser tests: " + "; ".join(map(str, problems))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context per test (its own sessionStorage), failing on any page error."""
    context = browser.new_context(viewport={"width": 1100, "height": 760}, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    yield page
    context.close()
    assert not errors, f"the page logged errors: {errors}"


def sign_in_as_owner(page, url: str, api_key: str) -> None:
    """The owner signs in on the dashboard's own form with the shop's API key."""
    page.goto(f"{url}/admin/sign-in?lang=en")
    page.get_by_label("Shop API key").fill(api_key)
    page.get_by_label("Your name").fill("Olga Petrova")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/overview*")


@pytest.fixture(autouse=True)
def real_clock():
    yield
    clock.set_source(None)
