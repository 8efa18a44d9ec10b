"""The demo checkout in headless Chromium: redeem, see the discount, place the order, see it committed
and the next cart priced at the tier the order reached; a shopper who abandons the cart gets the
points back once the hold times out (the clock moved)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Hold, Order
from plugin.spend import redemption
from tests.e2e.conftest import ARTIFACTS, browser_missing

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))]

BOB, ANNA = "207119551", "7390000000001"  # 1665 and 336 points after the demo deliveries
RUB = "RUB\u00a0"  # how Chromium writes roubles in English


def expect():
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def test_shopper_redeems_at_checkout_and_the_paid_order_commits_the_hold(demo_store, page):
    check = expect()
    page.goto(f"{demo_store.url}/demo/checkout?customer={BOB}")
    widget = page.locator("[data-loyalty-widget]")
    check(widget.locator(".loyalty__points")).to_have_text("1,665 points available")
    check(widget).to_contain_text("You will earn 13 points with this order")  # 5% of 272.50
    check(page.locator("#total")).to_have_text(RUB + "462.50")  # 272.50 and 190 shipping
    check(page.locator("#tier-label")).to_be_hidden()  # a Novice (one order) has no tier price
    height, reserved = widget.evaluate(
        "el => [el.getBoundingClientRect().height, parseFloat(getComputedStyle(el).minHeight)]")
    assert height <= reserved, "the loaded widget outgrew the box reserved for it: the page would shift"

    slider = widget.get_by_role("slider", name="Points to spend")
    slider.focus()
    page.keyboard.press("End")  # the keyboard reaches the most the cart allows (272.50: 272 points)
    check(widget.get_by_role("spinbutton", name="Points to spend")).to_have_value("272")
    page.keyboard.press("Home")
    for _ in range(50):
        page.keyboard.press("ArrowRight")
    check(widget.locator(".loyalty__worth")).to_have_text(f"50 points = {RUB}50.00 off")
    widget.get_by_role("button", name="Apply discount").click()

    check(widget.locator(".loyalty__discount")).to_have_text(f"Discount {RUB}50.00 applied")
    code = re.search(r"LOY-\w+", widget.locator(".loyalty__code").inner_text()).group(0)
    check(page.locator("#discount-code")).to_have_text(code)
    check(page.locator("#discount")).to_have_text(f"−{RUB}50.00")
    check(page.locator("#total")).to_have_text(RUB + "412.50")
    check(widget.locator(".loyalty__points")).to_have_text("1,615 points available")  # 50 on hold
    check(widget).to_contain_text("You will earn 11 points with this order")  # 5% of 222.50, as credited

    page.get_by_role("button", name="Place order").click()
    check(page.locator("#hold-status")).to_have_text("Points for the discount: committed")
    check(page.locator("#order-status")).to_contain_text(RUB + "412.50")
    check(widget.locator(".loyalty__msg")).to_have_text("Your discount was used on your order.")
    check(widget.locator(".loyalty__points")).to_have_text("1,626 points available")  # + 5% of 222.50
    with session():
        hold = Hold.get(Hold.code == code)
        order = Order.get(Order.platform_id == hold.order_id)
    assert (hold.status, hold.points, order.earned) == ("committed", 50, 11)

    # The second order made Bob Bronze: the page shows the same cart at the tier's price, as the widget does.
    check(page.locator("#tier-label")).to_have_text("Bronze price −3%")
    check(page.locator("#tier-discount")).to_have_text(f"−{RUB}8.18")  # 3% of each line: 5.97 + 1.74 + 0.47
    check(page.locator("#discount")).to_be_hidden()
    check(page.locator("#total")).to_have_text(RUB + "454.32")
    check(widget.locator(".loyalty__perk")).to_have_text(f"Bronze price: −3% ({RUB}8.18)")
    check(widget).to_contain_text("You will earn 13 points with this order")  # 5% of 264.32
    check(page.locator("#order-status")).to_contain_text(RUB + "412.50")  # what the placed order cost
    check(page.get_by_role("button", name="Place order")).to_be_enabled()

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "checkout.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")  # noqa: T201 - the path is the test's report


def test_product_page_shows_what_the_product_earns_and_the_launcher(demo_store, page):
    check = expect()
    page.goto(f"{demo_store.url}/demo/product?customer={BOB}")
    check(page.locator("[data-mode=product]")).to_have_text("Earn 9 points with this purchase")  # 5% of 199
    page.get_by_role("button", name="Points & rewards").click()  # the program turns the launcher on
    check(page.get_by_role("dialog").locator(".loyalty__points")).to_contain_text("points available")


def test_abandoned_hold_gives_the_points_back_after_the_timeout(demo_store, page):
    check = expect()
    checkout = f"{demo_store.url}/demo/checkout?customer={ANNA}"
    page.goto(checkout)
    widget = page.locator("[data-loyalty-widget]")
    check(widget.locator(".loyalty__points")).to_have_text("Доступно: 336 баллов")
    check(page.locator("#tier-label")).to_have_text("Цена уровня «Бронза» −3%")  # two orders: Bronze
    check(page.locator("#tier-discount")).to_contain_text("124,80")
    widget.get_by_role("spinbutton", name="Сколько баллов списать").fill("100")
    widget.get_by_role("button", name="Применить скидку").click()
    check(widget.locator(".loyalty__discount")).to_contain_text("Скидка")
    check(widget.locator(".loyalty__points")).to_have_text("Доступно: 236 баллов")
    check(page.locator("#discount")).to_contain_text("100,00")
    # 4160 − 124,80 (the Bronze price) − 100 (the points)
    check(page.locator("#total")).to_have_text(re.compile(r"^3\s935,20\s₽$"))
    page.reload()  # the widget remembers its hold and hands the discount to the page again
    check(widget.locator(".loyalty__discount")).to_contain_text("100,00")
    check(page.locator("#discount")).to_contain_text("100,00")

    page.goto("about:blank")  # the shopper leaves; nothing cancels the hold
    later = datetime.now(UTC) + timedelta(minutes=31)
    clock.set_source(lambda: later)
    assert redemption.release_expired() == 1

    page.goto(checkout)
    check(widget.locator(".loyalty__points")).to_have_text("Доступно: 336 баллов")
    check(widget.locator(".loyalty__msg")).to_have_text("Зарезервированные баллы вернулись.")
    check(page.locator("#discount")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "checkout_abandoned.png"), full_page=True)


def test_account_page_shows_tier_referral_badges_and_gives_points_to_a_friend(demo_store, page):
    check = expect()
    page.goto(f"{demo_store.url}/demo/account?customer={BOB}")
    widget = page.locator("[data-loyalty-widget]")
    points = widget.locator(".loyalty__points")
    check(points).to_contain_text("points available")
    # Novice 0 / Bronze 2 orders / Silver 5 orders: Bob has one or two orders by now (the first test)
    check(widget.locator(".loyalty__tier")).to_have_text(re.compile(r"^Tier: (Novice|Bronze)$"))
    bar = widget.get_by_role("progressbar").first
    check(bar).to_have_attribute("aria-valuemax", re.compile(r"^[25]$"))
    check(bar).to_have_attribute("aria-valuetext", re.compile(r"^\d orders? to (Bronze|Silver)$"))
    check(widget.locator(".loyalty__progress").first).to_have_text(re.compile(r"orders? to (Bronze|Silver)"))
    # the rewards catalogue: without a cart only the coupon can be taken here, the rest say where
    rewards = widget.locator(".loyalty__rewards li")
    check(rewards.filter(has_text="Free shipping")).to_contain_text("at checkout")
    check(widget.get_by_role("button", name="Get it: 300 ₽ coupon for your next order")).to_be_visible()
    height, reserved = widget.evaluate(
        "el => [el.getBoundingClientRect().height, parseFloat(getComputedStyle(el).minHeight)]")
    assert height <= reserved, f"the account widget ({height}px) outgrew its reserved box ({reserved}px)"

    widget.get_by_text("Invite friends").click()
    check(widget.get_by_label("Your link")).to_have_value(re.compile(r"^https://demo-store\.myshopify\.com/\?ref=\w+$"))
    widget.get_by_text("Badges").click()
    check(widget.locator(".loyalty__badges")).to_contain_text("First order")
    check(widget.locator(".loyalty__badges")).to_contain_text("not yet")

    before = int(re.search(r"[\d,]+", points.inner_text()).group(0).replace(",", ""))
    widget.get_by_text("Give points to a friend").press("Enter")  # the keyboard opens the section
    widget.get_by_label("Email or customer ID").fill("anna.ivanova@example.ru")
    widget.get_by_label("Points", exact=True).fill("10")
    widget.get_by_role("button", name="Send points").click()
    sent = widget.locator(".loyalty__give .loyalty__msg")
    check(sent).to_have_text("10 points sent to anna.ivanova@example.ru")
    check(points).to_have_text(f"{before - 10:,} points available")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "account.png"), full_page=True)
