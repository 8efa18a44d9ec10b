"""The program editor in forms, in headless Chromium (issue #15's acceptance walk): an owner builds
the car-service program of the market material only through the forms, publishes it, and a signed
order sent as a webhook then earns what the program says. Screenshots of the editor (desktop and
390 px, English and Russian) go to tests/e2e/artifacts/."""

from __future__ import annotations

import copy
import json
import re

import pytest

from plugin.cli import demo
from plugin.core.db import session
from plugin.core.models import Customer, LedgerEntry, ProgramVersion
from plugin.customers import shops
from plugin.program import document, versions
from tests.e2e.conftest import ARTIFACTS, browser_missing
from tests.e2e.test_russian import english_words
from tests.unit.program.test_earning import CAR_SERVICE
from widgets.demo_store import DEMO_SHOP

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))]

EDITOR = "/admin/program/edit"
DRIVER = "7390000000777"  # a new shopper: their first visit to the car service


def sign_in(demo_store, page) -> None:
    from playwright.sync_api import expect

    with session():
        shop = shops.by_domain("shopify", DEMO_SHOP)
    page.goto(f"{demo_store.url}/admin/sign-in?lang=en")
    vault = demo_store.app.extensions["loyalty"].vault
    page.locator("#api_key").fill(vault.api_key(shop.id, shop.key_version))
    page.locator("#name").fill("Olga Petrova")
    page.locator("button[type=submit]").click()
    expect(page.locator("main h1").first).to_be_visible()


def rows(page, section: str):
    return page.locator(f'[data-rows="{section}"] > .row')


def fresh_rows(page, section: str, count: int) -> None:
    """Remove a list's rows and add ``count`` empty ones, with the list's own buttons."""
    while rows(page, section).count():
        rows(page, section).first.get_by_role("button", name="Remove").click()
    for _ in range(count):
        page.locator(f'button[data-add="{section}"]').click()


def fill(page, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = page.locator(f'[name="{name}"]')
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def wider(page, width: int) -> list[str]:
    """What sticks out of a narrow screen (tag, class, text), for the failure message."""
    return page.evaluate("""(width) => [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > width + 1)
      .slice(0, 8).map((el) => `${el.tagName}.${el.className}: ${el.textContent.slice(0, 40)}`)""", width)


def test_owner_builds_the_car_service_program_in_forms_and_an_order_earns_by_it(demo_store, page, browser):
    from playwright.sync_api import expect

    sign_in(demo_store, page)
    page.goto(f"{demo_store.url}{EDITOR}?lang=en")
    expect(page.get_by_role("heading", name="Program")).to_be_visible()

    fresh_rows(page, "categories", 3)
    fill(page, {"categories.0.name": "works", "categories.0.sku_prefixes": "W-",
                "categories.1.name": "parts", "categories.1.sku_prefixes": "P-",
                "categories.2.name": "promo", "categories.2.tags": "promo"})
    fresh_rows(page, "point_types", 2)
    fill(page, {"point_types.0.name": "regular", "point_types.0.label.en": "Regular points",
                "point_types.0.label.ru": "Обычные баллы", "point_types.0.expiry.kind": "never",
                "point_types.0.redemption_cap.percent": "10",
                "point_types.0.redemption_cap.category": "works",
                "point_types.1.name": "premium", "point_types.1.label.en": "Premium points",
                "point_types.1.label.ru": "Премиальные баллы", "point_types.1.expiry.kind": "days",
                "point_types.1.expiry.days": "90",
                "point_types.1.redemption_cap.percent": "50",
                "point_types.1.redemption_cap.category": "works"})
    fill(page, {"earning.rate.kind": "percent", "earning.rate.percent": "0", "earning.point_type": "regular",
                "earning.first_order_min_points": "1000", "redemption.exclude_categories": "promo",
                "birthday.points": "2000", "birthday.point_type": "premium", "signup.points": ""})
    fresh_rows(page, "earning.category_rules", 2)
    fill(page, {"earning.category_rules.0.category": "works", "earning.category_rules.0.rate.kind": "percent",
                "earning.category_rules.0.rate.percent": "4",
                "earning.category_rules.1.category": "parts", "earning.category_rules.1.rate.kind": "percent",
                "earning.category_rules.1.rate.percent": "12"})

    # an error as the owner types, next to its field, then fixed
    fill(page, {"point_types.1.expiry.days": "ninety"})
    error = page.locator('[data-error-for="point_types.1.expiry.days"]')
    expect(error).to_have_text("Not a valid integer.")
    error.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "editor_program-error_en_desktop.png"))
    fill(page, {"point_types.1.expiry.days": "90"})
    expect(error).to_have_text("")
    expect(page.locator("#check-state")).to_have_text("The draft is valid and kept.")

    # the preview: a sample line of each category (1,000 each): 4% of works + 12% of parts
    small = page.locator("table.preview tbody tr").first
    expect(small).to_contain_text("160")
    expect(small).to_contain_text("1,000")  # as a first order
    expect(small).to_contain_text("Regular points: 100")  # 10% of the works line
    expect(small).to_contain_text("Premium points: 500")  # 50% of it
    expect(page.locator("table.preview")).to_contain_text("Order 7390000000103")  # a real recent order
    for width, name in ((1100, "desktop"), (390, "390")):
        page.set_viewport_size({"width": width, "height": 900})
        for lang in ("en", "ru"):
            page.goto(f"{demo_store.url}{EDITOR}?lang={lang}")  # the draft is kept across visits
            expect(page.locator('[name="point_types.1.expiry.days"]')).to_have_value("90")
            expect(page.locator("table.preview")).to_be_visible()
            shoot(page, f"editor_program_{lang}_{name}")
            if lang == "ru":
                assert english_words(page, frozenset({"Olga", "Petrova"})) == []
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width, wider(page, width)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"{demo_store.url}{EDITOR}?lang=en")
    expect(page.locator("#check-state")).to_have_text("The draft is valid and kept.")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status").first).to_contain_text("saved")

    with session():
        shop = shops.by_domain("shopify", DEMO_SHOP)
        version = ProgramVersion.select().where(ProgramVersion.shop == shop.id).order_by(
            ProgramVersion.number.desc()).first()
        published = versions.at(shop.id, version.number)
    assert version.author == "Olga Petrova"
    expected = document.load(CAR_SERVICE)
    for section in ("categories", "earning", "birthday"):
        assert published[section] == {**expected[section], **(
            {"rounding": "down"} if section == "earning" else {})}, section
    assert published["redemption"]["exclude_categories"] == ["promo"]
    for name in ("regular", "premium"):
        assert {k: published["point_types"][name][k] for k in ("expiry", "redemption_cap")} == {
            k: expected["point_types"][name][k] for k in ("expiry", "redemption_cap")}
    assert published["games"] and published["transfers"]["enabled"]  # untouched by the form

    first = send_order(demo_store, 7390000000501, [("W-OIL", "2000.00"), ("P-FILTER", "1000.00"),
                                                   ("PROMO-MAT", "500.00")])
    second = send_order(demo_store, 7390000000502, [("W-OIL", "5000.00"), ("P-PADS", "2500.00")])
    assert (first, second) == (1000, 200 + 300)  # the first visit's minimum, then 4% + 12%
    with session():
        customer = Customer.get((Customer.shop == shop.id) & (Customer.platform_id == DRIVER))
        earned = [e.delta for e in LedgerEntry.select().where(LedgerEntry.customer == customer.id)
                  .order_by(LedgerEntry.id)]
    assert earned == [1000, 500]


def send_order(demo_store, order_id: int, lines: list[tuple[str, str]]) -> int:
    """A paid Shopify order of the new driver, signed and posted; the points its ledger line gives."""
    data = demo.deliveries()
    paid = copy.deepcopy(next(d for d in data["deliveries"] if d["delivery_id"] == "demo-delivery-04"))
    body = paid["body"]
    template = body["line_items"][0]
    body["id"], paid["delivery_id"] = order_id, f"e2e-car-service-{order_id}"
    body["customer"] = {"id": int(DRIVER), "email": "driver@example.ru", "first_name": "Иван",
                        "last_name": "Петров"}
    body["email"] = "driver@example.ru"
    body["discount_codes"], body["discount_applications"], body["shipping_lines"] = [], [], []
    body["line_items"] = []
    for n, (sku, amount) in enumerate(lines):
        line = copy.deepcopy(template)
        money = {"shop_money": {"amount": amount, "currency_code": "RUB"},
                 "presentment_money": {"amount": amount, "currency_code": "RUB"}}
        zero = {"shop_money": {"amount": "0.00", "currency_code": "RUB"},
                "presentment_money": {"amount": "0.00", "currency_code": "RUB"}}
        line.update({"id": order_id * 10 + n, "sku": sku, "name": sku, "title": sku, "price": amount,
                     "price_set": money, "quantity": 1, "current_quantity": 1, "product_id": None,
                     "variant_id": None, "total_discount": "0.00", "total_discount_set": zero,
                     "discount_allocations": [], "tax_lines": []})
        body["line_items"].append(line)
    results = demo.post_deliveries(demo_store.url, demo_store.app.extensions["loyalty"],
                                   {"shop": data["shop"], "deliveries": [paid]})
    assert [code for _, code, _ in results] == [200]
    with session():
        shop = shops.by_domain("shopify", DEMO_SHOP)
        customer = Customer.get((Customer.shop == shop.id) & (Customer.platform_id == DRIVER))
        entry = (LedgerEntry.select().where(LedgerEntry.customer == customer.id)
                 .order_by(LedgerEntry.id.desc()).first())
    return entry.delta


def test_the_json_and_the_form_follow_each_other_and_tiers_start_from_the_ladder(demo_store, page):
    from playwright.sync_api import expect

    sign_in(demo_store, page)
    page.goto(f"{demo_store.url}{EDITOR}?lang=en")
    fill(page, {"birthday.points": "777"})
    expect(page.locator("#json")).to_have_value(re.compile(r'"birthday": \{\s*"points": 777,'))

    doc = json.loads(page.locator("#json").input_value())
    doc["signup"] = {"points": 321, "point_type": "premium"}
    page.locator("#json").fill(json.dumps(doc))
    page.get_by_role("button", name="Apply the JSON to the form").click()
    expect(page.locator('[name="signup.points"]')).to_have_value("321")
    expect(page.locator('[name="birthday.points"]')).to_have_value("777")

    fresh_rows(page, "tiers.tiers", 0)
    page.locator('[name="tiers.enabled"]').uncheck()
    page.locator('[name="tiers.enabled"]').check()
    expect(rows(page, "tiers.tiers")).to_have_count(5)
    expect(page.locator('[name="tiers.tiers.1.title.ru"]')).to_have_value("Бронзовый")
    expect(page.locator('[name="tiers.tiers.3.threshold"]')).to_have_value("10001")
    expect(page.locator('[name="tiers.tiers.4.hidden"]')).to_be_checked()
    expect(page.locator("#check-state")).to_have_text("The draft is valid and kept.")
    page.get_by_role("button", name="Discard the draft").click()
    expect(page.locator('[name="birthday.points"]')).to_have_value("2000")
