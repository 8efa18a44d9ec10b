"""A prepared query answers exactly as the query it was built from, builds its SQL once per
database kind and argument shapes (a tuple's size class and element type), and refuses arguments
it cannot bind unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import peewee
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


def test_the_columns_are_resolved_once_and_still_converted(app, shop, monkeypatch):
    """The first run finds no rows; later runs reuse its column resolution and still convert
    each column (a JSON reason, a datetime) as peewee would."""
    resolutions = []
    resolve = peewee._resolve_model_columns
    monkeypatch.setattr(peewee, "_resolve_model_columns",
                        lambda *args: resolutions.append(1) or resolve(*args))

    @Prepared
    def by_customer(customer_id):
        return LedgerEntry.select().where(LedgerEntry.customer == customer_id).order_by(LedgerEntry.id)

    with session(), database.atomic():
        assert by_customer(0) == []
        customer = _history(shop.id)
        expected = list(LedgerEntry.select().where(LedgerEntry.customer == customer.id)
                        .order_by(LedgerEntry.id))
        resolutions.clear()
        for _ in range(2):
            found = by_customer(customer.id)
            assert [(e.id, e.delta, e.reason, e.created_at) for e in found] == \
                   [(e.id, e.delta, e.reason, e.created_at) for e in expected]
            assert all(isinstance(e.reason, dict) and isinstance(e.created_at, datetime) for e in found)
    assert resolutions == []


def test_datetime_arguments_are_bound_too(app, shop):
    with session(), database.atomic():
        customer = _history(shop.id)
        now = clock.now()
        Lot.update(pending_until=now + timedelta(days=3)).where(
            (Lot.customer == customer.id) & (Lot.key == "g11")).execute()
        assert ledger.spendable(customer) == {"regular": sum(range(1, 13)) - 20 - 12}
        clock.set_source(lambda: (now + timedelta(days=4)).replace(tzinfo=UTC))  # the app fixture resets it
        assert ledger.spendable(customer) == {"regular": sum(range(1, 13)) - 20}


def _keyed(shop_id, keys, deltas):
    """The entries whose key is one of ``keys`` and whose delta is none of ``deltas``."""
    return (LedgerEntry.select(LedgerEntry.idempotency_key, LedgerEntry.delta)
            .where((LedgerEntry.shop == shop_id) & LedgerEntry.idempotency_key.in_(keys)
                   & LedgerEntry.delta.not_in(deltas)).order_by(LedgerEntry.id).tuples())


def test_tuples_answer_as_the_query_built_with_them(app, shop):
    prepared = Prepared(_keyed)
    storable = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8)
    with session(), database.atomic():
        _history(shop.id)

        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(keys=st.lists(st.sampled_from([f"g{n}" for n in range(12)] + ["spent"]) | storable,
                             max_size=6).map(tuple),
               deltas=st.lists(st.integers(-25, 25), max_size=4).map(tuple))
        def same_rows(keys, deltas):
            assert prepared(shop.id, keys, deltas) == list(_keyed(shop.id, keys, deltas))

        same_rows()


def test_a_tuple_is_compiled_once_per_size_class_padded_with_its_last_element(app, shop):
    built = []

    @Prepared
    def by_keys(shop_id, keys):
        built.append(len(keys))
        return _keyed(shop_id, keys, ())

    with session(), database.atomic():
        _history(shop.id)
        assert by_keys(shop.id, ("g1", "g2")) == [("g1", 2), ("g2", 3)]
        assert by_keys(shop.id, ("g5", "nothing", "g6")) == [("g5", 6), ("g6", 7)]
        assert by_keys(shop.id, ("g0",)) == [("g0", 1)]
        assert by_keys(shop.id, ()) == []  # peewee writes IN () as a constant: nothing to bind
        assert by_keys(shop.id, ("g9", "g8", "g7", "g6")) == [("g6", 7), ("g7", 8), ("g8", 9), ("g9", 10)]
        assert by_keys(shop.id, ("g3",)) == [("g3", 4)]
    assert built == [3, 1, 0, 7]  # 2 and 3 elements share a statement of 3 parameters; 4 takes 7


def test_every_element_of_a_tuple_must_reach_the_sql(app):
    @Prepared
    def query(ids):
        return Customer.select().where(Customer.id.in_(ids[:1]))

    with session(), pytest.raises(TypeError, match=r"\[0\] do not reach"):
        query((1, 2))


@pytest.mark.parametrize("argument", [True, None, 1.5, [1, 2], (1, "a"), (None,), (True, True), ((1,),)])
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


def _held() -> set[str]:
    """The statements this connection holds prepared on the server."""
    return {name for (name,) in database.execute_sql("SELECT name FROM pg_prepared_statements").fetchall()}


def test_postgres_prepares_each_hot_read_once_per_connection_outside_transactions(app, shop, backend):
    if backend != "postgres":
        pytest.skip("PREPARE is PostgreSQL's; SQLite runs the SQL as it is")
    with session(), database.atomic():
        customer = _history(shop.id)
    with session():
        with database.atomic():  # a failed statement would spoil the transaction: nothing prepared in one
            ledger.entries(customer, before=10**6, limit=3)
            assert _held() == set()
        every = [e.id for e in LedgerEntry.select().where(LedgerEntry.customer == customer.id)
                 .order_by(LedgerEntry.id.desc())]
        for _ in range(3):
            assert [e.id for e in ledger.entries(customer, before=every[4], limit=5)] == every[5:10]
        held = _held()
        assert len(held) == 1 and next(iter(held)).startswith("loyalty_")
        assert [e.id for e in ledger.entries(customer, before=None, limit=2)] == every[:2]
        assert _held() == held  # no cursor, 2^63 - 1, is a BIGINT parameter: the same statement


def test_a_value_beyond_the_type_postgres_inferred_is_answered_by_the_plain_statement(app, shop, backend):
    if backend != "postgres":
        pytest.skip("PREPARE is PostgreSQL's")

    @Prepared
    def older(customer_id, before):
        return (LedgerEntry.select(LedgerEntry.id).where((LedgerEntry.customer == customer_id)
                & (LedgerEntry.id < before)).order_by(LedgerEntry.id.desc()).tuples())

    with session(), database.atomic():
        customer = _history(shop.id)
    with session():
        ids = [e.id for e in LedgerEntry.select().where(LedgerEntry.customer == customer.id)
               .order_by(LedgerEntry.id.desc())]
        assert older(customer.id, ids[2]) == [(i,) for i in ids[3:]]
        assert older(customer.id, 2**40) == [(i,) for i in ids]  # the id parameter is an integer: plain SQL
        assert older(customer.id, ids[0]) == [(i,) for i in ids[1:]]
        assert len(_held()) == 1


@pytest.mark.parametrize("threshold", [Decimal("0.5"), Decimal("1.5"), Decimal("-19.5"), Decimal("1E+1"),
                                       Decimal("-0")])
def test_decimal_and_str_enum_constants_are_prepared_and_mean_what_they_mean_plain(
        app, shop, backend, threshold):
    """A Decimal constant is written into the statement as the driver writes it into plain SQL; sent
    as a parameter it would be rounded to the integer PostgreSQL inferred (0.5 -> 1, 1 left out).
    (Unconverted, as a Decimal meets an integer in an expression: a field's converter would make it
    an int.)"""
    if backend != "postgres":
        pytest.skip("PREPARE is PostgreSQL's")

    def plain(customer_id):
        above = LedgerEntry.delta > peewee.Value(threshold, converter=False)
        return (LedgerEntry.select(LedgerEntry.delta).where((LedgerEntry.customer == customer_id)
                & above & (LedgerEntry.kind == EntryKind.EARN))
                .order_by(LedgerEntry.delta).tuples())

    with session(), database.atomic():
        customer = _history(shop.id)
    with session():
        expected = list(plain(customer.id))
        assert expected == [(n,) for n in range(1, 13) if n > threshold]
        query = Prepared(plain)
        assert query(customer.id) == expected == query(customer.id)
        assert len(_held()) == 1


def test_with_server_preparing_off_nothing_is_prepared(app, shop, backend, monkeypatch):
    if backend != "postgres":
        pytest.skip("PREPARE is PostgreSQL's")
    monkeypatch.setattr(database.obj, "server_prepare", False)
    with session(), database.atomic():
        customer = _history(shop.id)
    with session():
        assert len(ledger.entries(customer, before=10**6, limit=3)) == 3
        assert _held() == set()


def test_outside_a_transaction_every_ledger_page_is_the_query_it_replaced(app, shop):
    """Bound values of every size, beyond PostgreSQL's integer too, prepared or run plain."""
    with session(), database.atomic():
        customer = _history(shop.id)
    with session():
        every = list(LedgerEntry.select().where(LedgerEntry.customer == customer.id)
                     .order_by(LedgerEntry.id.desc()))

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(before=st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
               limit=st.integers(0, 20))
        def same_page(before, limit):
            page = ledger.entries(customer, before=before, limit=limit)
            expected = [e for e in every if before is None or e.id < before][:limit]
            assert [(e.id, e.delta) for e in page] == [(e.id, e.delta) for e in expected]

        same_page()
