"""The shopper's rewards and launcher in headless Chromium: the keyboard opens the launcher on a
product page, the rewards the shopper can afford are there with why the others are not, a
free-shipping reward gives its code and the order that uses it commits the hold; the demo
checkout at 390 px keeps its words, columns and the points box before the order button.
Screenshots (desktop and 390 px, ru and en) go to tests/e2e/artifacts."""

from __future__ import annotations

import re

import pytest

from plugin.core.db import session
from plugin.core.models import Hold
from plugin.customers import shops
from plugin.program import document, versions
from tests.e2e.conftest import ARTIFACTS, browser_missing
from widgets.demo_store import DEMO_SHOP

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))]

BOB, ANNA = "207119551", "7390000000001"  # 1665 and 336 points after the demo deliveries
RUB = "RUB\u00a0"  # how Chromium writes roubles in English
SIZES = {"desktop": {"width": 1100, "height": 760}, "390": {"width": 390, "height": 844}}
LAUNCH = {"en": "Points & rewards", "ru": "Баллы и награды"}


def expect():
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def shoot(page, name: str, target=None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    options = {} if target else {"full_page": True}
    (target or page).screenshot(path=str(ARTIFACTS / f"{name}.png"), **options)


def tab_to(page, locator, most: int = 40) -> None:
    """Press Tab until ``locator`` has the focus, as a keyboard user gets there."""
    for _ in range(most):
        if locator.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def focus_in_dialog(page) -> bool:
    return page.evaluate("() => !!document.activeElement.closest('[role=dialog]')")


def test_shopper_opens_the_launcher_with_the_keyboard_and_redeems_free_shipping(demo_store, page):
    check = expect()
    page.goto(f"{demo_store.url}/demo/product?customer={BOB}")
    launcher = page.get_by_role("button", name=LAUNCH["en"])
    check(launcher).to_have_attribute("aria-expanded", "false")
    tab_to(page, launcher)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=LAUNCH["en"])
    check(dialog).to_be_visible()
    check(launcher).to_have_attribute("aria-expanded", "true")
    assert launcher.get_attribute("aria-controls") == dialog.get_attribute("id")
    check(dialog.locator(".loyalty__points")).to_have_text("1,665 points available")
    assert focus_in_dialog(page)
    check(dialog.locator(".loyalty__tier")).to_contain_text("Tier: Novice")
    rewards = dialog.locator(".loyalty__rewards li")
    check(rewards.filter(has_text="500 ₽ off")).to_contain_text(f"for orders from 1,000{RUB[3:]}RUB")
    check(rewards.filter(has_text="A free postcard")).to_contain_text("for Silver members")
    check(dialog.get_by_role("button", name="Get it: 300 ₽ coupon for your next order")).to_be_visible()
    shoot(page, "widget_launcher_en_desktop")

    page.keyboard.press("Escape")  # closes, and the focus is back on the button
    check(dialog).to_be_hidden()
    check(launcher).to_be_focused()
    page.keyboard.press("Enter")
    check(dialog).to_be_visible()
    take = dialog.get_by_role("button", name="Get it: Free shipping")
    tab_to(page, take)
    page.keyboard.press("Enter")
    check(dialog.locator(".loyalty__discount")).to_have_text(f"Free shipping: {RUB}190.00 off")
    code = re.search(r"LOY-\w+", dialog.locator(".loyalty__code").inner_text()).group(0)
    check(dialog.locator(".loyalty__points")).to_have_text("1,465 points available")
    assert focus_in_dialog(page)  # the dialog re-rendered under the keyboard and kept the focus
    shoot(page, "widget_launcher-redeemed_en_desktop")
    page.keyboard.press("Escape")
    check(launcher).to_be_focused()
    launcher.click()
    check(dialog).to_be_visible()
    page.mouse.click(5, 5)  # a click elsewhere on the page closes it too
    check(dialog).to_be_hidden()
    check(launcher).to_have_attribute("aria-expanded", "false")

    # The checkout picks up the held code: the shipping is off, and the paid order commits the hold.
    page.goto(f"{demo_store.url}/demo/checkout?customer={BOB}")
    check(page.locator("#discount-code")).to_have_text(code)
    check(page.locator("#total")).to_have_text(RUB + "272.50")  # 272.50 + 190 shipping − 190
    page.get_by_role("button", name="Place order").click()
    check(page.locator("#hold-status")).to_have_text("Points for the discount: committed")
    with session():
        hold = Hold.get(Hold.code == code)
    assert (hold.status, hold.points, hold.reward) == ("committed", 200, "free-shipping")


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", ["desktop", "390"])
def test_the_launcher_and_the_checkout_rewards_in_each_language_and_size(demo_store, page, lang, size):
    check = expect()
    page.set_viewport_size(SIZES[size])
    customer = BOB if lang == "en" else ANNA
    page.goto(f"{demo_store.url}/demo/checkout?customer={customer}")
    widget = page.locator("#loyalty")
    check(widget.locator(".loyalty__rewards")).to_be_visible()
    if lang == "ru":
        check(widget.locator(".loyalty__rewards")).to_contain_text("нужно 500 баллов, у вас 336")
        check(widget.locator(".loyalty__rewards")).to_contain_text("в этом заказе нет платной доставки")
    shoot(page, f"widget_rewards_{lang}_{size}", widget)
    shoot(page, f"demo_checkout_{lang}_{size}")
    page.goto(f"{demo_store.url}/demo/product?customer={customer}")
    page.get_by_role("button", name=LAUNCH[lang]).click()
    dialog = page.get_by_role("dialog", name=LAUNCH[lang])
    check(dialog.locator(".loyalty__rewards")).to_be_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"]  # fits the phone
    shoot(page, f"widget_launcher_{lang}_{size}")


@pytest.mark.parametrize("customer", [BOB, ANNA])
def test_the_demo_checkout_at_390_px_keeps_words_columns_and_the_points_box_first(demo_store, page, customer):
    check = expect()
    page.set_viewport_size(SIZES["390"])
    page.goto(f"{demo_store.url}/demo/checkout?customer={customer}")
    check(page.locator("#loyalty .loyalty__points")).to_be_visible()
    points = page.locator("aside").bounding_box()
    button = page.get_by_role("button", name=re.compile("Place order|Оформить заказ")).bounding_box()
    assert points["y"] + points["height"] <= button["y"], "the points box must come before the order button"
    for row in page.locator("table tr").all():
        cells = [cell.bounding_box() for cell in row.locator("th, td").all()]
        for left, right in zip(cells, cells[1:], strict=False):
            assert left["x"] + left["width"] <= right["x"] + 0.5, "two columns run into each other"
        texts = row.locator("th.num, td.num").evaluate_all("""cells => cells.map((cell) => {
          const range = document.createRange();
          range.selectNodeContents(cell);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        })""")
        assert texts == [1] * len(texts), "a quantity or price breaks over lines"
    header = page.locator("thead th").all()
    assert len({round(th.bounding_box()["height"]) for th in header}) == 1  # "Кол-во" stays on one line


def test_the_store_turning_the_launcher_off_leaves_no_button(demo_store, page):
    with session():
        shop = shops.by_domain("shopify", DEMO_SHOP)
        _, program = versions.current(shop.id)
        versions.save(shop.id, {**document.dump(program), "widget": {"launcher": False}}, author="e2e")
    page.goto(f"{demo_store.url}/demo/product?customer={BOB}")
    expect()(page.locator("[data-mode=product]")).to_contain_text("Earn")
    page.wait_for_load_state("networkidle")  # the launcher decides once the program has arrived
    assert page.locator("[data-mode=launcher]").count() == 0
    assert page.get_by_role("button", name=LAUNCH["en"]).count() == 0
