"""What each canonical event does to balances, using Shopify's own example payloads."""

from __future__ import annotations

from plugin.core.db import session
from plugin.core.models import Customer, Event, LedgerEntry, Order, Shop
from plugin.program import document, versions
from tests.helpers import fixture_json

ORDER = "shopify/rest2025-07_order_450789469__GET_orders_450789469.json"
REFUND = "shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json"
CANCELLED = "shopify/rest2025-07_order_cancelled__POST_orders_450789469_cancel.json"
CUSTOMER = "shopify/rest2025-07_customer_created__POST_customers.json"
BOB = "207119551"


def balance(platform_id: str) -> int:
    with session():
        customer = Customer.get(Customer.platform_id == platform_id)
        return sum(e.delta for e in LedgerEntry.select().where(LedgerEntry.customer == customer))


def statuses() -> list[str]:
    with session():
        return [e.status for e in Event.select().order_by(Event.id)]


def test_paid_order_earns_five_percent_of_lines_after_discounts(post_webhook, shop, drain):
    post_webhook("orders/paid", fixture_json(ORDER))
    drain()
    # 3 x 199.00 less 10.00 of allocated discounts = 587.00; 5% = 29.35 -> 29
    assert balance(BOB) == 29
    with session():
        entry = LedgerEntry.get()
        assert entry.lot.rule["earned"]["eligible"] == "587.00"
        assert entry.idempotency_key == "order:450789469:earn"


def test_shipping_tax_and_gift_cards_do_not_earn(post_webhook, shop, drain):
    order = fixture_json(ORDER)
    order["line_items"][2]["gift_card"] = True  # 199.00 - 3.33 no longer counts
    order["shipping_lines"] = [{"price": "1000.00"}]
    order["total_tax"] = "500.00"
    post_webhook("orders/paid", order)
    drain()
    assert balance(BOB) == 19  # 5% of 391.33


def test_guest_order_earns_nothing_but_is_recorded(post_webhook, shop, drain):
    order = fixture_json(ORDER)
    order["customer"] = None
    post_webhook("orders/paid", order)
    drain()
    with session():
        assert LedgerEntry.select().count() == 0
        assert Order.get().customer is None
    assert statuses() == ["applied"]


def test_customer_created_grants_the_signup_bonus_once(post_webhook, shop, drain):
    body = fixture_json(CUSTOMER)
    post_webhook("customers/create", body)
    post_webhook("customers/create", body)  # a second delivery of the same sign-up
    drain()
    assert balance(str(body["id"])) == document.DEFAULT["signup"]["points"] == 100
    with session():
        assert Customer.get().email == body["email"]


def test_refund_takes_back_the_refunded_share(post_webhook, shop, drain):
    post_webhook("orders/paid", fixture_json(ORDER))
    post_webhook("refunds/create", fixture_json(REFUND))
    drain()
    # refunded line: 199.00 - 3.33 = 195.67; 5% of the remaining 391.33 = 19 -> 10 taken back
    assert balance(BOB) == 19


def test_partial_refunds_add_up_without_rounding_drift(post_webhook, shop, drain):
    post_webhook("orders/paid", fixture_json(ORDER))
    for n, line in enumerate(fixture_json(ORDER)["line_items"]):
        refund = fixture_json(REFUND)
        refund["id"] = 900 + n
        refund["refund_line_items"][0]["line_item"] = line
        post_webhook("refunds/create", refund)
    drain()
    assert balance(BOB) == 0


def test_refund_before_its_order_waits_then_applies_once(post_webhook, shop, drain):
    post_webhook("refunds/create", fixture_json(REFUND))
    drain()
    assert statuses() == ["waiting"]
    post_webhook("orders/paid", fixture_json(ORDER))
    drain()
    assert statuses() == ["applied", "applied"]
    assert balance(BOB) == 19


def test_cancellation_takes_back_what_is_left(post_webhook, shop, drain):
    post_webhook("orders/paid", fixture_json(ORDER))
    post_webhook("refunds/create", fixture_json(REFUND))
    post_webhook("orders/cancelled", fixture_json(CANCELLED))
    drain()
    assert balance(BOB) == 0
    with session():
        kinds = [e.kind for e in LedgerEntry.select().order_by(LedgerEntry.id)]
        assert Order.get().cancelled
    assert kinds == ["earn", "reverse", "reverse"]


def test_refund_reverses_at_the_rate_the_order_earned(post_webhook, shop, drain):
    post_webhook("orders/paid", fixture_json(ORDER))
    drain()
    richer = {**document.DEFAULT, "earning": {**document.DEFAULT["earning"],
                                              "rate": {"kind": "percent", "percent": "50"}}}
    with session():  # today's program is ten times richer
        versions.save(shop.id, richer, author="owner@example.com")
    post_webhook("refunds/create", fixture_json(REFUND))
    drain()
    assert balance(BOB) == 19  # reversed at the order's 5%, not at 50%


def test_app_uninstalled_deactivates_the_shop_and_forgets_its_token(post_webhook, shop, drain):
    with session():
        Shop.update(access_token="encrypted").where(Shop.id == shop.id).execute()
    post_webhook("app/uninstalled", {"id": 1, "domain": shop.domain})
    drain()
    with session():
        after = Shop.get_by_id(shop.id)
    assert not after.active and after.access_token is None and after.uninstalled_at is not None


def test_orders_of_an_uninstalled_shop_are_recorded_not_applied(post_webhook, shop, drain):
    with session():
        Shop.update(active=False).where(Shop.id == shop.id).execute()
    assert post_webhook("orders/paid", fixture_json(ORDER)).get_json()["status"] == "ignored"
    drain()
    assert statuses() == ["ignored"]
