"""GET /widget/v1/account: a shopper's points after real webhooks, and the program for visitors."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Customer
from plugin.customers import shops
from plugin.program import versions
from plugin.program.document import DEFAULT
from tests.helpers import SHOP_DOMAIN, fixture_json
from widgets import identity

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
BOB = "207119551"
NOW = datetime(2026, 11, 1, 12, 0)


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def program(shop, **changes) -> None:
    doc = copy.deepcopy(DEFAULT)
    doc["earning"].update(changes.pop("earning", {}))
    doc.update(changes)
    with session():
        versions.save(shop.id, doc, author="test")


def account_of(app, client, shop, customer: str = BOB) -> dict:
    token = identity.issue_token(app.extensions["loyalty"].vault, shop, customer, ttl=3600)
    response = client.get("/widget/v1/account",
                          headers={"Authorization": f"Bearer {token}", "X-Loyalty-Shop": SHOP_DOMAIN})
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def bob_ordered(shop, post_webhook, drain):
    """Bob's paid order 450789469 (29 points under the default program) has been applied."""

    def run():
        assert post_webhook("orders/paid", ORDER).status_code == 200
        drain()

    return run


def test_account_after_a_paid_order_shows_the_points_it_earned(app, client, shop, bob_ordered):
    at(NOW)
    bob_ordered()
    data = account_of(app, client, shop)
    assert data["signed_in"] is True and data["customer"] == BOB
    assert (data["balance"], data["spendable"], data["pending"]) == ({"regular": 29}, {"regular": 29},
                                                                     {"regular": 0})
    assert data["total"] == {"balance": 29, "spendable": 29, "pending": 0}
    assert [(e["delta"], e["kind"], e["point_type"]) for e in data["recent"]] == [(29, "earn", "regular")]
    assert data["recent"][0]["created_at"] == "2026-11-01T12:00:00+00:00"
    assert data["recent"][0]["reason"]
    assert data["expiring_soon"] == [] and data["tier"] is None


def test_pending_points_are_in_the_balance_until_the_return_window_ends(app, client, shop, bob_ordered):
    at(NOW)
    program(shop, earning={"pending_days": 14})
    bob_ordered()
    data = account_of(app, client, shop)
    assert (data["balance"], data["spendable"], data["pending"]) == ({"regular": 29}, {"regular": 0},
                                                                     {"regular": 29})
    assert data["program"]["earning"]["pending_days"] == 14
    at(NOW + timedelta(days=14))
    data = account_of(app, client, shop)
    assert (data["spendable"], data["pending"]) == ({"regular": 29}, {"regular": 0})


@pytest.mark.parametrize(("expiry_days", "expiring"), [
    (10, [{"point_type": "regular", "points": 29, "expires_at": "2026-11-11T12:00:00+00:00"}]),
    (30, []),
])
def test_points_expiring_within_the_warning_window_are_listed_with_their_date(
        app, client, shop, bob_ordered, expiry_days, expiring):
    at(NOW)
    program(shop, point_types={"regular": {"expiry": {"kind": "days", "days": expiry_days}}},
            expiry_warning_days=14)
    bob_ordered()
    assert account_of(app, client, shop)["expiring_soon"] == expiring


def test_recent_history_is_the_ten_newest_entries(app, client, shop, post_webhook, drain):
    for n in range(12):
        body = copy.deepcopy(ORDER)
        body["id"] = 1000 + n
        post_webhook("orders/paid", body)
    drain()
    recent = account_of(app, client, shop)["recent"]
    assert len(recent) == 10
    assert account_of(app, client, shop)["balance"] == {"regular": 12 * 29}


def test_a_shopper_never_seen_gets_zeros_and_no_row_is_created(app, client, shop):
    data = account_of(app, client, shop, customer="never-seen-42")
    assert (data["balance"], data["spendable"], data["pending"]) == ({"regular": 0},) * 3
    assert (data["recent"], data["expiring_soon"]) == ([], [])
    with session():
        assert not Customer.select().where(Customer.platform_id == "never-seen-42").exists()


def test_anonymous_visitor_sees_only_how_the_program_works(client, shop, bob_ordered):
    bob_ordered()
    response = client.get("/widget/v1/account", headers={"X-Loyalty-Shop": SHOP_DOMAIN})
    data = response.get_json()
    assert response.status_code == 200 and set(data) == {"signed_in", "program"}
    assert data["signed_in"] is False
    assert data["program"]["earning"]["description"] == "5 points for every 100 USD spent"
    assert data["program"]["point_types"][0]["name"] == "regular"
    assert data["program"]["signup_points"] == 100


@pytest.mark.parametrize(("rate", "description"), [
    ({"kind": "per_amount", "points": 1, "per": "10"}, "1 point for every 10.00 USD spent"),
    ({"kind": "bands", "bands": [{"from": "0", "to": "100", "points": 5}, {"from": "100", "points": 20}]},
     "5 points for orders from 0.00 USD to 100.00 USD; 20 points for orders from 100.00 USD"),
])
def test_program_summary_describes_the_earning_rate(client, shop, rate, description):
    program(shop, earning={"rate": rate})
    data = client.get("/widget/v1/account", headers={"X-Loyalty-Shop": SHOP_DOMAIN}).get_json()
    assert data["program"]["earning"]["description"] == description


def test_a_request_naming_no_shop_is_400(client, shop):
    assert client.get("/widget/v1/account").status_code == 400


def test_an_unknown_shop_is_404_for_visitors(client, shop):
    response = client.get("/widget/v1/account", headers={"X-Loyalty-Shop": "nobody.myshopify.com"})
    assert response.status_code == 404


def test_the_same_customer_id_in_another_shop_sees_that_shops_points_only(app, client, shop, bob_ordered):
    bob_ordered()
    with session():
        other, _ = shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)
    token = identity.issue_token(app.extensions["loyalty"].vault, other, BOB, ttl=3600)
    data = client.get("/widget/v1/account", headers={"Authorization": f"Bearer {token}",
                                                     "X-Loyalty-Shop": other.domain}).get_json()
    assert (data["balance"], data["recent"]) == ({"regular": 0}, [])


def test_a_widget_request_reads_the_program_version_once_and_the_next_request_sees_a_new_one(
        app, client, shop, bob_ordered):
    """One lookup of the current version per request (token lifetime, account, tier), never
    carried into the next request: a version the owner saves runs from the very next request."""
    from plugin.core import prepared
    from plugin.core.base import database

    at(NOW)
    bob_ordered()
    program(shop, earning={"rate": {"kind": "percent", "percent": "5"}})
    token = identity.issue_token(app.extensions["loyalty"].vault, shop, BOB, ttl=3600)
    headers = {"Authorization": f"Bearer {token}", "X-Loyalty-Shop": SHOP_DOMAIN}
    lookups: list[str] = []
    execute = database.obj.execute_sql

    def counting(sql, *args, **kwargs):
        read = prepared.statement(sql)  # a hot read may run as an EXECUTE of a prepared statement
        if 'FROM "program_version"' in read and "DESC" in read and not sql.startswith("PREPARE"):
            lookups.append(read)
        return execute(sql, *args, **kwargs)

    database.obj.execute_sql = counting
    try:
        first = client.get("/widget/v1/account", headers=headers).get_json()
        assert len(lookups) == 1
        program(shop, earning={"rate": {"kind": "percent", "percent": "7"}})
        second = client.get("/widget/v1/account", headers=headers).get_json()
    finally:
        del database.obj.execute_sql
    assert first["program"]["earning"]["rate"]["percent"] == "5"
    assert second["program"]["earning"]["rate"]["percent"] == "7"
