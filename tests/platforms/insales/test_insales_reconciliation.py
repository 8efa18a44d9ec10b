"""The acceptance test of InSales reconciliation (issue #12): of 50 paid orders, 10 webhooks are
never delivered; after one reconciliation pass every order has earned exactly once."""

from __future__ import annotations

import copy
import json

import pytest
from responses import matchers

from plugin.core.db import session
from plugin.core.kinds import EntryKind, EventKind
from plugin.core.models import Customer, Event, LedgerEntry, Order, Shop
from plugin.ledger import balances
from plugin.pipeline import platform_jobs
from plugin.platforms.insales import adapter
from tests.helpers import fixture_json
from tests.platforms.insales.conftest import api
from webhooks.insales.topics import path_secret

ORDER = fixture_json("insales/api_DERIVED_order_webhook_from_dmz9_xml.json")["order"]
PAGE = 20  # 50 orders over three pages
MISSED = {n for n in range(50) if n % 5 == 0}  # InSales never delivered these 10


def paid_order(n: int, minute: int) -> dict:
    """Order n: client 5000 + n % 10, one line of (n % 3 + 1) x 1000.00, paid."""
    body = copy.deepcopy(ORDER)
    quantity = n % 3 + 1
    body["order_lines"][0].update(quantity=quantity, sale_price="1000.0", full_sale_price="1000.0",
                                  total_price=f"{1000 * quantity}.0", full_total_price=f"{1000 * quantity}.0")
    body["client"] = {**body["client"], "id": 5000 + n % 10, "email": f"c{n % 10}@example.test"}
    body.update(id=20000 + n, number=n, financial_status="paid", fulfillment_status="new",
                updated_at=f"2026-11-01 10:{minute:02d}:00 +0300", discounts=[], discount=None)
    return body


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(adapter, "PER_PAGE", PAGE)


def test_one_reconciliation_pass_makes_every_order_earn_exactly_once(app, client, insales_shop, mocked,
                                                                     drain, small_pages):
    secret = path_secret(app.extensions["loyalty"].vault, insales_shop.id)
    orders = [paid_order(n, minute=n) for n in range(50)]
    for n, body in enumerate(orders):
        if n not in MISSED:
            response = client.post(f"/webhooks/insales/{insales_shop.id}/{secret}/orders/create",
                                   data=json.dumps(body), headers={"Content-Type": "application/json"})
            assert response.status_code == 200
    drain()
    with session():
        assert Order.select().where(Order.shop == insales_shop.id).count() == 40

    # orders.json lists all 50 (by updated_at, then id), page 1 with the moving filter each time
    # (orders 3, 24 and 41 changed again after their webhook: a later version of an order that earned).
    listed = [copy.deepcopy(body) for body in orders]
    for n in (3, 24, 41):
        listed[n]["updated_at"] = "2026-11-01 11:30:00 +0300"
    listed.sort(key=lambda body: (body["updated_at"], body["id"]))
    since = insales_shop.installed_at.strftime("%Y-%m-%d %H:%M:%S +0000")
    for start in range(0, 60, PAGE):
        query = {"updated_since": since, "per_page": str(PAGE)}
        if start:
            last = listed[start - 1]
            query.update(updated_since=last["updated_at"], from_id=str(last["id"]))
        mocked.get(api("/admin/orders.json"), json=listed[start:start + PAGE],
                   match=[matchers.query_param_matcher(query)])

    assert platform_jobs.reconcile_all() == 1
    drain()

    with session():
        earned = list(LedgerEntry.select().where((LedgerEntry.shop == insales_shop.id)
                                                 & (LedgerEntry.kind == EntryKind.EARN)))
        paid = Event.select().where((Event.shop == insales_shop.id) & (Event.kind == EventKind.ORDER_PAID))
        assert Order.select().where(Order.shop == insales_shop.id).count() == 50
        assert len(earned) == 50 and paid.count() == 50
        assert sorted(e.business_key for e in paid) == sorted(f"order.paid:{20000 + n}" for n in range(50))
        expected = {str(5000 + c): sum(50 * (n % 3 + 1) for n in range(50) if n % 10 == c) for c in range(10)}
        got = {customer.platform_id: sum(balances(customer).values())
               for customer in Customer.select().where(Customer.shop == insales_shop.id)}
        assert got == expected  # 5% of 1000.00 per unit: 50 points each
        last = listed[-1]
        assert Shop.get_by_id(insales_shop.id).reconciled_to == f"{last['updated_at']}|{last['id']}"
        reconciled = Event.select().where(Event.delivery_id.startswith("reconcile:")).count()
    assert reconciled == 10 + 3  # the missed orders and the three later versions; the rest were duplicates

    # the next pass finds nothing new (a short page at the watermark) and changes nothing
    mocked.get(api("/admin/orders.json"), json=[], match=[matchers.query_param_matcher(
        {"updated_since": last["updated_at"], "from_id": str(last["id"]), "per_page": str(PAGE)})])
    assert platform_jobs.reconcile_shop(insales_shop.id) == 0
