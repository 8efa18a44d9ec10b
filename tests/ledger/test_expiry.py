"""Expiry of lots past their date and the expiring-soon notices, moving the clock."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from plugin import customers, ledger
from plugin.core import clock, reasons
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Balance, LedgerEntry, Lot, Notice
from plugin.customers import shops
from plugin.ledger import audit, expiry
from plugin.program import document, versions
from tests.helpers import fixture_json

ORDER = "shopify/rest2025-07_order_450789469__GET_orders_450789469.json"  # 5% of 587.00 -> 29 points
BOB = "207119551"
RULE = {"test": "expiry"}
GRANTED = datetime(2026, 3, 10, 12, 0)
_domains = itertools.count()


def at(moment: datetime) -> None:
    """Move the clock to a naive UTC moment."""
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def program(expiry_rule: dict, **changes) -> dict:
    doc = copy.deepcopy(document.DEFAULT)
    doc["point_types"]["regular"]["expiry"] = expiry_rule
    return {**doc, **changes}


def grant(customer, points: int, key: str, expires_at: datetime | None):
    with database.atomic():
        return ledger.grant(customer, points, kind=EntryKind.EARN, source=key, rule=RULE, key=key,
                            expires_at=expires_at)


def points_of(customer_id: int) -> int:
    return sum(b.points for b in Balance.select().where(Balance.customer == customer_id))


@pytest.fixture
def customer(shop):
    with session():
        return customers.ensure(shop.id, "c1")


@pytest.mark.parametrize("rule, expires", [
    ({"kind": "never"}, None),
    ({"kind": "days", "days": 30}, datetime(2026, 4, 9, 12, 0)),
    ({"kind": "end_of_month"}, datetime(2026, 4, 1)),
    ({"kind": "end_of_year"}, datetime(2027, 1, 1)),
], ids=["never", "days", "end_of_month", "end_of_year"])
def test_points_earned_under_a_program_expire_on_its_date(shop, post_webhook, drain, rule, expires):
    at(GRANTED)
    with session():
        versions.save(shop.id, program(rule), author="t")
    assert post_webhook("orders/paid", fixture_json(ORDER)).status_code == 200
    drain()
    with session():
        lot = Lot.get()
        assert (lot.remaining, lot.expires_at, lot.program_version) == (29, expires, 1)
    at((expires or GRANTED + timedelta(days=3650)) - timedelta(seconds=1))
    assert expiry.expire_due() == 0
    at(expires or GRANTED + timedelta(days=3650))
    assert expiry.expire_due() == (29 if expires else 0)
    with session():
        assert points_of(lot.customer_id) == (0 if expires else 29)
        if expires:
            entry = LedgerEntry.get(LedgerEntry.kind == EntryKind.EXPIRE)
            assert (entry.delta, entry.lot_id, entry.idempotency_key) == (-29, lot.id, f"expire:{lot.id}")


def test_a_partly_spent_lot_expires_exactly_what_is_left(customer):
    at(GRANTED)
    with session():
        lot = grant(customer, 100, "g1", GRANTED + timedelta(days=1))
        with database.atomic():
            assert ledger.debit(lot, 30, kind=EntryKind.REVERSE, key="r1") == 30
    at(GRANTED + timedelta(days=2))
    assert expiry.expire_due() == 70
    with session():
        assert [e.delta for e in ledger.entries(customer)] == [-70, -30, 100]
        expired = LedgerEntry.get(LedgerEntry.kind == EntryKind.EXPIRE)  # written by the database itself
        why = reasons.expired(GRANTED + timedelta(days=1))
        assert (expired.reason, expired.reason_code) == (why, "expire")
        stored = database.execute_sql(f'SELECT "reason" FROM "ledger_entry" WHERE "id" = {expired.id}')
        assert stored.fetchone()[0] == reasons.dumps(why)
        assert Lot.get_by_id(lot.id).remaining == 0
        assert points_of(customer.id) == 0
        assert audit.check(customer.shop_id) == []


def test_an_expired_lot_is_not_expired_twice(customer):
    at(GRANTED)
    with session():
        lot = grant(customer, 10, "g1", GRANTED + timedelta(hours=1))
    at(GRANTED + timedelta(hours=2))
    assert expiry.expire_due() == 10
    assert expiry.expire_due() == 0
    with session(), database.atomic():
        assert ledger.expire(lot, now=clock.now()) == 0
        assert LedgerEntry.select().where(LedgerEntry.kind == EntryKind.EXPIRE).count() == 1
        assert points_of(customer.id) == 0


def test_a_lot_not_yet_due_is_left_alone_by_a_direct_expire(customer):
    at(GRANTED)
    with session():
        lot = grant(customer, 10, "g1", GRANTED + timedelta(days=1))
        with database.atomic():
            assert ledger.expire(lot, now=clock.now()) == 0
        assert Lot.get_by_id(lot.id).remaining == 10


def test_a_debt_never_expires(customer):
    at(GRANTED)
    with session():
        lot = grant(customer, 10, "g1", GRANTED + timedelta(days=1))
        with database.atomic():
            assert ledger.debit(lot, 15, kind=EntryKind.REVERSE, key="r1", spill=True, allow_debt=True) == 15
        debt = Lot.get(Lot.source == ledger.DEBT)
        Lot.update(expires_at=GRANTED).where(Lot.id == debt.id).execute()  # even with a date
    at(GRANTED + timedelta(days=2))
    assert expiry.expire_due() == 0
    with session():
        assert Lot.get_by_id(debt.id).remaining == -5
        with database.atomic():
            assert ledger.expire(Lot.get_by_id(debt.id), now=clock.now()) == 0
        assert points_of(customer.id) == -5


def test_every_due_lot_of_every_shop_expires_in_batches(customer):
    at(GRANTED)
    with session():
        other, _ = shops.register("shopify", f"expiry{next(_domains)}.myshopify.com")
        someone = customers.ensure(other.id, "c1")
        for n in range(5):
            grant(customer, 10 + n, f"g{n}", GRANTED + timedelta(hours=n))
            grant(someone, 1, f"g{n}", GRANTED + timedelta(hours=n))
        grant(customer, 1000, "later", GRANTED + timedelta(days=30))
    at(GRANTED + timedelta(days=1))
    assert expiry.expire_due(batch_size=3) == 10 + 11 + 12 + 13 + 14 + 5
    with session():
        assert points_of(customer.id) == 1000
        assert points_of(someone.id) == 0
        assert LedgerEntry.select().where(LedgerEntry.kind == EntryKind.EXPIRE).count() == 10


def test_a_lot_locked_by_another_worker_is_skipped_then_expired(app, backend, customer):
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers: there is no row lock to skip")
    import psycopg2

    at(GRANTED)
    with session():
        busy = grant(customer, 7, "busy", GRANTED)
        grant(customer, 3, "free", GRANTED)
    other = psycopg2.connect(app.extensions["loyalty"].settings.database_url)
    try:
        with other.cursor() as cursor:  # another worker is in the middle of spending this lot
            cursor.execute("SELECT id FROM lot WHERE id = %s FOR UPDATE", (busy.id,))
            at(GRANTED + timedelta(hours=1))
            assert expiry.expire_due() == 3
        other.rollback()
    finally:
        other.close()
    assert expiry.expire_due() == 7
    with session():
        assert points_of(customer.id) == 0


def test_a_shoppers_lot_skipped_by_its_batch_waits_for_the_next_run(app, backend, customer, monkeypatch):
    """A lot locked by a spend when its shopper's batch ran stays for the next run even when a
    later batch of the same run comes across it unlocked: a shopper hears once a run."""
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers: there is no row lock to skip")
    import psycopg2

    at(GRANTED)
    with session():
        grant(customer, 3, "free", GRANTED)
        someone = customers.ensure(customer.shop_id, "c2")
        grant(someone, 1, "between", GRANTED + timedelta(minutes=30))
        busy = grant(customer, 7, "busy", GRANTED + timedelta(hours=1))
    other = psycopg2.connect(app.extensions["loyalty"].settings.database_url)
    expire_customers = ledger.expire_customers

    def first_batch_then_unlock(customer_ids, *, now):
        try:
            return expire_customers(customer_ids, now=now)
        finally:
            if customer.id in customer_ids:
                other.rollback()  # the spend ends after the shopper's batch

    monkeypatch.setattr(ledger, "expire_customers", first_batch_then_unlock)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM lot WHERE id = %s FOR UPDATE", (busy.id,))
        at(GRANTED + timedelta(hours=2))
        assert expiry.expire_due(batch_size=1) == 3 + 1
    finally:
        other.close()
        monkeypatch.undo()
    with session():
        assert Lot.get_by_id(busy.id).remaining == 7
    assert expiry.expire_due() == 7
    with session():
        assert points_of(customer.id) == 0
        assert audit.check(customer.shop_id) == []


def test_lots_expiring_soon_are_noticed_once(customer):
    at(GRANTED)
    with session():
        soon = grant(customer, 40, "soon", GRANTED + timedelta(days=10))
        grant(customer, 50, "later", GRANTED + timedelta(days=20))
        grant(customer, 60, "never", None)
        grant(customer, 70, "gone", GRANTED - timedelta(days=1))  # past: expiry's job, not a warning
    assert expiry.warn_expiring() == 1
    assert expiry.warn_expiring() == 0
    with session():
        notice = Notice.get()
        assert (notice.customer_id, notice.kind, notice.key) == (
            customer.id, "points_expiring_soon", f"expiring:{soon.id}")
        assert notice.data == {"points": 40, "point_type": "regular",
                               "expires_at": (GRANTED + timedelta(days=10)).isoformat()}
    at(GRANTED + timedelta(days=7))  # the second lot is now within the 14 days
    assert expiry.warn_expiring() == 1
    assert expiry.warn_expiring() == 0
    with session():
        assert Notice.select().count() == 2


def test_the_warning_window_is_the_programs(shop, customer):
    at(GRANTED)
    with session():
        versions.save(shop.id, program({"kind": "never"}, expiry_warning_days=3), author="t")
        grant(customer, 1, "in", GRANTED + timedelta(days=3))
        grant(customer, 1, "out", GRANTED + timedelta(days=3, seconds=1))
    assert expiry.warn_expiring() == 1
    with session():
        versions.save(shop.id, program({"kind": "never"}, expiry_warning_days=0), author="t")
    at(GRANTED + timedelta(days=1))
    assert expiry.warn_expiring() == 0


def test_a_partly_spent_lot_warns_of_what_is_left(customer):
    at(GRANTED)
    with session():
        lot = grant(customer, 100, "g1", GRANTED + timedelta(days=5))
        with database.atomic():
            ledger.debit(lot, 60, kind=EntryKind.REVERSE, key="r1")
        spent = grant(customer, 5, "g2", GRANTED + timedelta(days=5))
        with database.atomic():
            ledger.debit(spent, 5, kind=EntryKind.REVERSE, key="r2")
    assert expiry.warn_expiring(batch_size=1) == 1
    with session():
        assert Notice.get().data["points"] == 40


def test_points_given_back_to_an_expired_lot_stay_and_the_job_moves_past_it(customer):
    """A hold taken before the expiry and released after it returns its points to the expired lot;
    its expiry key is used, so they stay, and the batches walk past that lot instead of stopping."""
    at(GRANTED)
    with session():
        held = grant(customer, 10, "held", GRANTED + timedelta(hours=1))
        with database.atomic():
            taken = ledger.spend(customer, "regular", 4, key="hold-1", kind=EntryKind.HOLD)
        grant(customer, 5, "other", GRANTED + timedelta(hours=1))
    at(GRANTED + timedelta(hours=2))
    assert expiry.expire_due() == 6 + 5
    with session(), database.atomic():
        ledger.restore(customer.shop_id, taken, kind=EntryKind.RELEASE, key="release-1")
    with session():
        grant(customer, 7, "late", GRANTED + timedelta(hours=1, minutes=30))
    assert expiry.expire_due(batch_size=1) == 7
    with session():
        assert Lot.get_by_id(held.id).remaining == 4
        assert points_of(customer.id) == 4
        assert audit.check(customer.shop_id) == []


@pytest.mark.parametrize("lanes", [1, 2, 3])
def test_lanes_split_the_shoppers_and_expire_each_once(shop, lanes):
    """However many lanes walk the due lots (threads on connections of their own on PostgreSQL),
    every due lot burns once, each shopper's lots in one batch, and nothing else moves."""
    at(GRANTED)
    with session():
        people = [customers.ensure(shop.id, f"lane-{n}") for n in range(7)]
        for n, person in enumerate(people):
            for k in range(n % 3 + 1):
                grant(person, 10 * n + k + 1, f"due-{n}-{k}", GRANTED + timedelta(minutes=k))
            grant(person, 100, f"later-{n}", GRANTED + timedelta(days=30))
    due = sum(10 * n + k + 1 for n in range(7) for k in range(n % 3 + 1))
    at(GRANTED + timedelta(hours=1))
    assert expiry.expire_due(batch_size=2, lanes=lanes) == due
    assert expiry.expire_due(batch_size=2, lanes=lanes) == 0
    with session():
        assert [points_of(person.id) for person in people] == [100] * 7
        expired = LedgerEntry.select().where(LedgerEntry.kind == EntryKind.EXPIRE)
        assert expired.count() == sum(n % 3 + 1 for n in range(7))
        assert audit.check(shop.id) == []
