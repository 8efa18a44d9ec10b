"""A prepared query answers exactly as the query it was built from, builds its SQL once per
database kind and argument types, and refuses arguments it cannot bind unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, LedgerEntry, Lot
from plugin.core.prepared import Prepared


def _history(shop_id: int) -> Customer:
    customer = customers.ensure(shop_id, "prepared")
    ledger.grant_many(shop_id, [ledger.Grant(customer.id, n + 1, source=f"s{n}", rule={}, key=f"g{n}")
                                for n in range(12)], kind=EntryKind.EARN)
    ledger.spend(customer, "regular", 20, key="spent")
    return customer


def test_it_builds_the_sql_once_and_binds_each_call(app, shop):
    built = []

    @Prepared
    def by_key(shop_id, key):
        built.append(key)
        return LedgerEntry.select(LedgerEntry.delta).where(
            (LedgerEntry.shop == shop_id) & (LedgerEntry.idempotency_key == key)).tuples()

    with session(), database.atomic():
        _history(shop.id)
        assert by_key(shop.id, "g3") == [(4,)]
        assert by_key(shop.id, "g7") == [(8,)]
        assert by_key(shop.id, "nothing") == []
    assert len(built) == 1  # the stand-in call only


def test_the_ledger_page_is_the_query_it_replaced(app, shop):
    with session(), database.atomic():
        customer = _history(shop.id)
        every = list(LedgerEntry.select().where(LedgerEntry.customer == customer.id)
                     .order_by(LedgerEntry.id.desc()))

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(before=st.none() | st.integers(min_value=1, max_value=2**62), limit=st.integers(0, 20))
        def same_page(before, limit):
            page = ledger.entries(customer, before=before, limit=limit)
            expected = [e for e in every if before is None or e.id < before][:limit]
            assert [(e.id, e.delta, e.kind, e.reason) for e in page] == \
                   [(e.id, e.delta, e.kind, e.reason) for e in expected]
            assert all(isinstance(e, LedgerEntry) for e in page)

        same_page()


def test_datetime_arguments_are_bound_too(app, shop):
    with session(), database.atomic():
        customer = _history(shop.id)
        now = clock.now()
        Lot.update(pending_until=now + timedelta(days=3)).where(
            (Lot.customer == customer.id) & (Lot.key == "g11")).execute()
        assert ledger.spendable(customer) == {"regular": sum(range(1, 13)) - 20 - 12}
        clock.set_source(lambda: (now + timedelta(days=4)).replace(tzinfo=UTC))  # the app fixture resets it
        assert ledger.spendable(customer) == {"regular": sum(range(1, 13)) - 20}


@pytest.mark.parametrize("argument", [True, None, 1.5, [1, 2]])
def test_an_argument_it_cannot_bind_unchanged_is_refused(app, argument):
    @Prepared
    def query(value):
        return Customer.select().where(Customer.platform_id == value)

    with session(), pytest.raises(TypeError, match="argument 0"):
        query(argument)


def test_an_argument_that_never_reaches_the_sql_is_refused(app):
    @Prepared
    def query(shop_id, since):
        return Customer.select().where((Customer.shop == shop_id)
                                       & (Customer.created_at >= since - timedelta(1)))

    with session(), pytest.raises(TypeError, match=r"\[1\] do not reach"):
        query(1, datetime(2026, 1, 1))
