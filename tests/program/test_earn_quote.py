"""The widget's "you will earn" is what the ledger credits for the same cart placed as an order:
after the tier price and the points discount held for it, times the tier multiplier."""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import pytest

from plugin import customers, ledger, tiers
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, LedgerEntry
from plugin.program import versions
from tests.helpers import shopper_headers

BOB = "207119551"
CENT = Decimal("0.01")
LINES = [("A", "1990.00", 1), ("B", "290.00", 2), ("C", "155.00", 1)]
CART = {"currency": "USD",
        "lines": [{"sku": sku, "price": price, "quantity": qty} for sku, price, qty in LINES]}


def program(multiplier: str) -> dict:
    return {"point_types": {"regular": {"expiry": {"kind": "never"}}},
            "earning": {"point_type": "regular", "rate": {"kind": "percent", "percent": "5"}},
            "tiers": {"metric": "orders", "window": "lifetime", "tiers": [
                {"id": "base", "threshold": "0"},
                {"id": "gold", "threshold": "100", "discount_percent": "3", "earn_multiplier": multiplier}]}}


@pytest.fixture
def gold(shop):
    """Bob holds 500 points on the gold tier (3% off every line, earns x1.5)."""
    with session(), database.atomic():
        versions.save(shop.id, program("1.5"), "test")
        customer = customers.ensure(shop.id, BOB)
        ledger.grant(customer, 500, kind=EntryKind.BONUS, source="s", rule={}, key="g1")
        tiers.assign(customer, "gold")
    return customer


def quoted(app, client, shop) -> int:
    response = client.post("/widget/v1/quote", json={"cart": CART}, headers=shopper_headers(app, shop, BOB))
    assert response.status_code == 200
    return response.get_json()["earns"]["points"]


def held(app, client, shop, points: int) -> dict:
    response = client.post("/widget/v1/redeem", json={"points": points, "cart": CART},
                           headers=shopper_headers(app, shop, BOB, key="quote-key-0001"))
    assert response.status_code == 201
    return response.get_json()["redemption"]


def shopify_order(code: str | None, discount: Decimal, tier_percent: Decimal) -> dict:
    """The paid order as Shopify sends it: each line's share of the tier's automatic discount
    (rounded down per line) and of the code (pro rata, the rounding on the last line)."""
    totals = [Decimal(price) * qty for _, price, qty in LINES]
    tier = [t - (t * (100 - tier_percent) / 100).quantize(CENT, ROUND_FLOOR) for t in totals]
    after = [t - s for t, s in zip(totals, tier, strict=True)]
    shares = [(discount * a / sum(after)).quantize(CENT, ROUND_HALF_UP) for a in after[:-1]]
    shares.append(discount - sum(shares))
    return {"id": 5001, "currency": "USD", "financial_status": "paid",
            "customer": {"id": int(BOB)},
            "discount_codes": [{"code": code}] if code else [],
            "line_items": [{"id": 900 + n, "sku": sku, "price": price, "quantity": qty,
                            "discount_allocations": [{"amount": str(tier[n])}, {"amount": str(shares[n])}]}
                           for n, (sku, price, qty) in enumerate(LINES)]}


def credited(shop) -> int:
    with session():
        customer = Customer.get((Customer.shop == shop.id) & (Customer.platform_id == BOB))
        return LedgerEntry.get((LedgerEntry.customer == customer.id)
                               & (LedgerEntry.kind == EntryKind.EARN)).delta


def test_quote_after_a_points_discount_and_tier_multiplier_is_what_the_ledger_credits(
        app, client, shop, gold, post_webhook, drain):
    hold = held(app, client, shop, 300)
    promised = quoted(app, client, shop)
    assert post_webhook("orders/paid", shopify_order(hold["code"], Decimal(hold["amount"]),
                                                     Decimal(3))).status_code == 200
    drain()
    assert promised == credited(shop) == 175  # 5% of 2725.00 - 81.75 (tier) - 300.00 = 117, x1.5


def test_quote_after_a_points_discount_without_a_multiplier_is_what_the_ledger_credits(
        app, client, shop, gold, post_webhook, drain):
    with session():
        versions.save(shop.id, program("1"), "test")
    hold = held(app, client, shop, 300)
    promised = quoted(app, client, shop)
    post_webhook("orders/paid", shopify_order(hold["code"], Decimal(hold["amount"]), Decimal(3)))
    drain()
    assert promised == credited(shop) == 117


def test_quote_without_a_hold_counts_the_tier_multiplier(app, client, shop, gold):
    assert quoted(app, client, shop) == 198  # 5% of 2643.25 = 132, x1.5


def test_a_cart_in_another_currency_than_the_shops_gets_no_earn_figure(app, client, shop, gold):
    response = client.post("/widget/v1/quote", json={"cart": {**CART, "currency": "EUR"}},
                           headers=shopper_headers(app, shop, BOB))
    assert response.status_code == 200 and response.get_json()["earns"] is None
