"""Birthday bonus: the birthday over the admin API, and the yearly grant moving the clock."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import pytest

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, LedgerEntry, Lot, Shop
from plugin.customers import shops
from plugin.earn import birthdays
from plugin.ledger import expiry
from plugin.program import document, versions
from tests.helpers import admin_headers

BIRTHDAY = date(1990, 6, 15)
ON_THE_DAY = datetime(2026, 6, 15, 9, 0)
SET_LONG_AGO = datetime(2026, 1, 1)


def at(moment: datetime) -> None:
    """Move the clock to a naive UTC moment."""
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def premium_program() -> dict:
    """Issue #3, Case 1: on the birthday 2000 premium points that expire after 3 months."""
    doc = copy.deepcopy(document.DEFAULT)
    doc["point_types"]["premium"] = {"expiry": {"kind": "days", "days": 90}}
    doc["birthday"] = {"points": 2000, "point_type": "premium"}
    return doc


def headers(app, shop: Shop) -> dict:
    return admin_headers(app, shop)


def person(shop: Shop, platform_id: str = "c1", birthday: date | None = BIRTHDAY,
           set_at: datetime | None = SET_LONG_AGO) -> Customer:
    with session():
        customer = customers.ensure(shop.id, platform_id)
        Customer.update(birthday=birthday, birthday_set_at=set_at).where(Customer.id == customer.id).execute()
        return customer


def bonuses(customer: Customer) -> list[LedgerEntry]:
    with session():
        return list(LedgerEntry.select().where((LedgerEntry.customer == customer.id)
                                               & (LedgerEntry.kind == EntryKind.BONUS))
                    .order_by(LedgerEntry.id))


@pytest.fixture
def program(shop) -> int:
    with session():
        return versions.save(shop.id, premium_program(), author="t").number


def test_birthday_earns_premium_points_that_expire_after_90_days(shop, program):
    customer = person(shop)
    at(ON_THE_DAY)
    assert birthdays.grant_birthdays() == 1
    with session():
        lot = Lot.get()
        entry = LedgerEntry.get()
        assert (lot.customer_id, lot.point_type, lot.original, lot.program_version) == (
            customer.id, "premium", 2000, program)
        assert lot.expires_at == ON_THE_DAY + timedelta(days=90)
        assert (entry.kind, entry.delta, entry.idempotency_key) == (
            "bonus", 2000, f"birthday:{customer.id}:2026")
        assert ledger.balances(customer) == {"premium": 2000}
    at(ON_THE_DAY + timedelta(days=90))
    assert expiry.expire_due() == 2000


def test_birthday_earns_once_a_year(shop, program):
    customer = person(shop)
    at(ON_THE_DAY)
    assert birthdays.grant_birthdays() == 1
    assert birthdays.grant_birthdays() == 0  # the next hourly run
    at(ON_THE_DAY.replace(hour=23, minute=59))
    assert birthdays.grant_birthdays() == 0
    at(datetime(2026, 9, 1))
    assert birthdays.grant_birthdays() == 0
    at(ON_THE_DAY.replace(year=2027))
    assert birthdays.grant_birthdays() == 1
    assert [e.idempotency_key for e in bonuses(customer)] == [
        f"birthday:{customer.id}:2026", f"birthday:{customer.id}:2027"]


@pytest.mark.parametrize("when", [ON_THE_DAY - timedelta(days=1), ON_THE_DAY + timedelta(days=1)],
                         ids=["day-before", "day-after"])
def test_another_day_earns_nothing(shop, program, when):
    person(shop)
    at(when)
    assert birthdays.grant_birthdays() == 0


def test_a_birthday_set_10_days_ago_earns_nothing(shop, program):
    customer = person(shop, set_at=ON_THE_DAY - timedelta(days=10))
    at(ON_THE_DAY)
    assert birthdays.grant_birthdays() == 0
    assert bonuses(customer) == []


def test_a_birthday_set_30_days_ago_earns(shop, program):
    person(shop, set_at=ON_THE_DAY - timedelta(days=30))
    at(ON_THE_DAY)
    assert birthdays.grant_birthdays() == 1


def test_a_birthday_without_a_date_it_was_set_earns_nothing(shop, program):
    person(shop, set_at=None)
    at(ON_THE_DAY)
    assert birthdays.grant_birthdays() == 0


@pytest.mark.parametrize("today, born, earns", [
    (datetime(2027, 2, 28, 8), date(2000, 2, 29), True),  # not a leap year: Feb 28 instead
    (datetime(2027, 3, 1, 8), date(2000, 2, 29), False),
    (datetime(2028, 2, 28, 8), date(2000, 2, 29), False),  # a leap year: wait for the 29th
    (datetime(2028, 2, 29, 8), date(2000, 2, 29), True),
    (datetime(2027, 2, 28, 8), date(2001, 2, 28), True),
    (datetime(2028, 2, 29, 8), date(2001, 2, 28), False),
], ids=["leapling-feb28", "leapling-mar1", "leapling-leap-feb28", "leapling-leap-feb29",
        "feb28-feb28", "feb28-on-feb29"])
def test_february_29_birthdays(shop, program, today, born, earns):
    person(shop, birthday=born)
    at(today)
    assert birthdays.grant_birthdays() == int(earns)


def test_a_shop_without_a_birthday_section_grants_nothing(shop):
    customer = person(shop)  # the default program has no birthday bonus
    at(ON_THE_DAY)
    assert birthdays.grant_birthdays() == 0
    assert bonuses(customer) == []


def test_only_shops_with_a_birthday_section_grant(shop, program):
    with session():
        other, _ = shops.register("shopify", "nobirthday.myshopify.com")
    mine, theirs = person(shop), person(other)
    at(ON_THE_DAY)
    assert birthdays.grant_birthdays() == 1
    assert len(bonuses(mine)) == 1 and bonuses(theirs) == []


def test_many_customers_are_granted_in_batches(shop, program):
    people = [person(shop, f"c{n}") for n in range(7)]
    person(shop, "other-day", birthday=date(1990, 6, 16))
    at(ON_THE_DAY)
    assert birthdays.grant_birthdays(batch_size=3) == 7
    assert all(len(bonuses(p)) == 1 for p in people)


def test_birthday_set_over_the_api_earns_after_the_waiting_period(app, client, shop, program):
    person(shop, birthday=None, set_at=None)
    at(SET_LONG_AGO)
    response = client.put("/api/v1/customers/c1/birthday", json={"birthday": "1990-06-15"},
                          headers=headers(app, shop))
    assert response.status_code == 200
    assert response.get_json() == {"id": "c1", "birthday": "1990-06-15",
                                   "birthday_set_at": SET_LONG_AGO.isoformat()}
    at(ON_THE_DAY)
    assert birthdays.grant_birthdays() == 1


def test_only_a_change_of_birthday_restarts_the_waiting_period(app, client, shop):
    person(shop, birthday=None, set_at=None)
    for when, birthday, set_at in [
        (SET_LONG_AGO, "1990-06-15", SET_LONG_AGO),
        (SET_LONG_AGO + timedelta(days=5), "1990-06-15", SET_LONG_AGO),  # the same: unchanged
        (SET_LONG_AGO + timedelta(days=9), "1991-06-15", SET_LONG_AGO + timedelta(days=9)),
        (SET_LONG_AGO + timedelta(days=12), None, SET_LONG_AGO + timedelta(days=12)),
    ]:
        at(when)
        response = client.put("/api/v1/customers/c1/birthday", json={"birthday": birthday},
                              headers=headers(app, shop))
        assert response.status_code == 200
        assert response.get_json()["birthday_set_at"] == set_at.isoformat()
        with session():
            stored = Customer.get(Customer.platform_id == "c1")
            assert (stored.birthday, stored.birthday_set_at) == (
                date.fromisoformat(birthday) if birthday else None, set_at)


@pytest.mark.parametrize("body", [
    {"birthday": "1990-13-01"},
    {"birthday": "15/06/1990"},
    {"birthday": 19900615},
    {"birthday": "2026-06-16"},  # tomorrow
    {"birthday": "1850-01-01"},
    {},
], ids=["month-13", "not-iso", "number", "future", "too-old", "missing"])
def test_a_bad_birthday_is_422_naming_the_field(app, client, shop, body):
    person(shop, birthday=None, set_at=None)
    at(ON_THE_DAY)
    response = client.put("/api/v1/customers/c1/birthday", json=body, headers=headers(app, shop))
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == ["birthday"]
    with session():
        assert Customer.get(Customer.platform_id == "c1").birthday is None


def test_birthday_of_an_unknown_or_another_shops_customer_is_404(app, client, shop):
    with session():
        other, _ = shops.register("shopify", "elsewhere.myshopify.com")
    person(other, "theirs")
    for platform_id in ("nobody", "theirs"):
        response = client.put(f"/api/v1/customers/{platform_id}/birthday", json={"birthday": "1990-06-15"},
                              headers=headers(app, shop))
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"


def test_birthday_without_a_key_is_401(client, shop):
    person(shop, birthday=None, set_at=None)
    response = client.put("/api/v1/customers/c1/birthday", json={"birthday": "1990-06-15"})
    assert response.status_code == 401
    with session():
        assert Customer.get(Customer.platform_id == "c1").birthday is None
