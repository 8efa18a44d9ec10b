"""A shopper's balance reads stay O(1) in the length of their history: no statement of the widget's
account or the admin API's customer page reads the lots a long history has emptied; and the
widget's one read of the open lots answers as the aggregate reads do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import customers, ledger
from plugin.core import clock, prepared
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Lot
from tests.helpers import SHOP_DOMAIN, admin_headers
from widgets import identity

SPENT_LOTS = 400


class Recorded:
    """The SQL and parameters of every statement run while it is active."""

    def __enter__(self):
        self.seen, execute = [], database.obj.execute_sql

        def recording(sql, params=None, *args, **kwargs):
            self.seen.append((sql, params))
            return execute(sql, params, *args, **kwargs)

        database.obj.execute_sql = recording
        return self

    def __exit__(self, *exc):
        del database.obj.execute_sql


@pytest.fixture
def long_history(shop):
    """A shopper with SPENT_LOTS lots earned and spent in full, then two open lots."""
    with session(), database.atomic():
        customer = customers.ensure(shop.id, "long")
        ledger.grant_many(shop.id, [ledger.Grant(customer.id, 10, source=f"s{n}", rule={}, key=f"g{n}")
                                    for n in range(SPENT_LOTS)], kind=EntryKind.EARN)
        ledger.spend(customer, "regular", 10 * SPENT_LOTS, key="spent")
        ledger.grant_many(shop.id, [ledger.Grant(customer.id, 5, source="o1", rule={}, key="open-1"),
                                    ledger.Grant(customer.id, 7, source="o2", rule={}, key="open-2")],
                          kind=EntryKind.EARN)
        database.execute_sql("ANALYZE")
    return customer


def test_the_balance_reads_never_walk_the_spent_lots(app, client, backend, shop, long_history):
    if backend == "sqlite":
        pytest.skip("the plan is PostgreSQL's; SQLite's planner has no row estimates to choose by")
    token = identity.issue_token(app.extensions["loyalty"].vault, shop, "long", ttl=3600)
    with Recorded() as recorded:
        widget = client.get("/widget/v1/account",
                            headers={"Authorization": f"Bearer {token}", "X-Loyalty-Shop": SHOP_DOMAIN})
        admin = client.get("/api/v1/customers/long", headers=admin_headers(app, shop))
    assert widget.status_code == admin.status_code == 200
    assert widget.get_json()["balance"] == {"regular": 12}
    assert [lot["remaining"] for lot in admin.get_json()["lots"]] == [5, 7]
    # A hot read runs as an EXECUTE of a statement PostgreSQL holds prepared (plugin.core.prepared):
    # its plans, generic and custom, are the ones checked; any other read the plain SQL it ran.
    lot_reads = [(prepared.statement(sql), params) for sql, params in recorded.seen
                 if sql.startswith(("SELECT", "EXECUTE")) and 'FROM "lot"' in prepared.statement(sql)]
    assert len(lot_reads) >= 3  # the widget's open lots; the admin's spendable sum and open lots
    assert any("$1" in sql for sql, _ in lot_reads), "the widget's lots are read by a prepared statement"
    with session(), database.atomic():
        database.execute_sql("SET LOCAL enable_seqscan = off")  # a few pages: still an index, but which
        for n, (sql, params) in enumerate(lot_reads):
            if "$1" not in sql:
                plans = ["\n".join(row for (row,) in database.execute_sql(
                    "EXPLAIN (COSTS OFF) " + sql, params))]
            else:
                database.execute_sql(f"PREPARE plan_{n} AS {sql}")
                plans = []
                for mode in ("force_generic_plan", "force_custom_plan"):
                    database.execute_sql(f"SET LOCAL plan_cache_mode = {mode}")
                    marks = ", ".join(["%s"] * len(params))
                    plans.append("\n".join(row for (row,) in database.execute_sql(
                        f"EXPLAIN (COSTS OFF) EXECUTE plan_{n} ({marks})", params)))
                database.execute_sql(f"DEALLOCATE plan_{n}")
            for plan in plans:
                assert "lot_open_customer_id" in plan, plan


_LOT = st.tuples(st.sampled_from(["regular", "premium"]), st.integers(-5, 9),
                 st.none() | st.integers(-3, 3), st.none() | st.integers(-3, 12))  # type, points, days


def test_the_widgets_one_read_of_the_lots_answers_as_the_aggregate_reads(app, shop):
    """``spendable_among`` and ``expiring_among`` over ``lots_held`` (the account and the offers)
    agree with ``spendable`` and the open lots the SQL picks, for lots of every kind."""
    with session(), database.atomic() as transaction:  # rolled back: lots without their entries
        customer = customers.ensure(shop.id, "lots")
        now = clock.now()

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(lots=st.lists(_LOT, max_size=8), window=st.integers(1, 10))
        def same_answers(lots, window):
            Lot.delete().where(Lot.customer == customer.id).execute()
            for n, (point_type, points, pending, expires) in enumerate(lots):
                Lot.create(shop=shop.id, customer=customer.id, point_type=point_type, source="s", key=f"k{n}",
                           original=max(points, 0), remaining=points, rule={},
                           pending_until=None if pending is None else now + timedelta(days=pending, hours=1),
                           expires_at=None if expires is None else now + timedelta(days=expires, hours=1))
            held = ledger.lots_held(customer.id)
            assert ledger.spendable_among(held, now) == ledger.spendable(customer)
            expected = ledger.open_lots(customer).where(Lot.expires_at > now,
                                                         Lot.expires_at <= now + timedelta(days=window))
            assert ([(lot.expires_at, lot.remaining) for lot in ledger.expiring_among(held, now, window)]
                    == [(lot.expires_at, lot.remaining) for lot in expected])

        same_answers()
        transaction.rollback()
