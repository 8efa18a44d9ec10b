"""The ledger API and its invariants, with property tests against a simple model."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import customers, ledger
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Balance, Lot
from plugin.customers import shops
from plugin.ledger import audit

RULE = {"program": "test", "rule": "fixed"}
_domains = itertools.count()


def new_customer(platform_id: str = "c1"):
    shop, _ = shops.register("shopify", f"ledger{next(_domains)}.myshopify.com")
    return customers.ensure(shop.id, platform_id)


def test_grant_writes_entry_lot_and_balance_together(app):
    with session(), database.atomic():
        customer = new_customer()
        lot = ledger.grant(customer, 40, kind=EntryKind.EARN, source="order:1", rule=RULE, key="k1")
        assert lot.remaining == lot.original == 40
        assert ledger.balances(customer) == {"regular": 40}
        assert [e.delta for e in ledger.entries(customer)] == [40]


def test_replayed_grant_changes_nothing(app):
    with session(), database.atomic():
        customer = new_customer()
        ledger.grant(customer, 40, kind=EntryKind.EARN, source="order:1", rule=RULE, key="k1")
        assert ledger.grant(customer, 40, kind=EntryKind.EARN, source="order:1", rule=RULE, key="k1") is None
        assert ledger.balances(customer) == {"regular": 40}


def test_debit_of_one_lot_is_clamped_at_what_it_holds(app):
    with session(), database.atomic():
        customer = new_customer()
        lot = ledger.grant(customer, 10, kind=EntryKind.EARN, source="order:1", rule=RULE, key="k1")
        assert ledger.debit(lot, 25, kind=EntryKind.REVERSE, key="r1") == 10
        assert ledger.debit(lot, 5, kind=EntryKind.REVERSE, key="r2") == 0
        assert ledger.balances(customer) == {"regular": 0}


def test_takes_from_many_lots_move_each_lots_points_together(app):
    with session(), database.atomic():
        customer = new_customer()
        one, two = (ledger.grant(customer, 10, kind=EntryKind.EARN, source=f"order:{n}", rule=RULE,
                                 key=f"k{n}") for n in (1, 2))
        ledger.take_many(customer.shop_id, [ledger.Take(one, 4, "r1"), ledger.Take(two, 10, "r2")],
                         kind=EntryKind.REVERSE)
        assert [Lot.get_by_id(lot.id).remaining for lot in (one, two)] == [6, 0]
        assert ledger.balances(customer) == {"regular": 6}
        assert audit.check() == []


def test_takes_asking_more_than_a_lot_has_left_move_nothing(app):
    with session(), database.atomic():
        customer = new_customer()
        one, two = (ledger.grant(customer, 10, kind=EntryKind.EARN, source=f"order:{n}", rule=RULE,
                                 key=f"k{n}") for n in (1, 2))
        with pytest.raises(ledger.LedgerError), database.atomic():
            ledger.take_many(customer.shop_id, [ledger.Take(one, 4, "r1"), ledger.Take(two, 11, "r2")],
                             kind=EntryKind.REVERSE)
        assert [Lot.get_by_id(lot.id).remaining for lot in (one, two)] == [10, 10]
        assert ledger.balances(customer) == {"regular": 20}


@pytest.mark.parametrize("points", [0, -5, 2.5, "10", True])
def test_non_positive_or_non_integer_points_are_refused(app, points):
    with session(), database.atomic():
        customer = new_customer()
        lot = ledger.grant(customer, 10, kind=EntryKind.EARN, source="s", rule=RULE, key="k")
        with pytest.raises(ledger.LedgerError):
            ledger.grant(customer, points if points is not True else 1.0, kind=EntryKind.EARN, source="s",
                         rule=RULE, key="k2")
        if not isinstance(points, bool):
            with pytest.raises(ledger.LedgerError):
                ledger.debit(lot, points, kind=EntryKind.REVERSE, key="r")


def test_open_lots_come_soonest_to_expire_first(app):
    from datetime import datetime

    with session(), database.atomic():
        customer = new_customer()
        late = ledger.grant(customer, 1, kind=EntryKind.EARN, source="a", rule=RULE, key="a",
                            expires_at=datetime(2031, 1, 1))
        never = ledger.grant(customer, 1, kind=EntryKind.EARN, source="b", rule=RULE, key="b")
        soon = ledger.grant(customer, 1, kind=EntryKind.EARN, source="c", rule=RULE, key="c",
                            expires_at=datetime(2027, 1, 1))
        assert [lot.id for lot in ledger.open_lots(customer)] == [soon.id, late.id, never.id]


def test_audit_names_the_customer_whose_balance_was_tampered_with(app):
    with session():
        customer = new_customer("tampered-7")
        with database.atomic():
            ledger.grant(customer, 10, kind=EntryKind.EARN, source="s", rule=RULE, key="k")
        Balance.update(points=99).where(Balance.customer == customer.id).execute()
        problems = audit.check(customer.shop_id)
        Balance.update(points=10).where(Balance.customer == customer.id).execute()
    assert [p.customer for p in problems] == ["tampered-7"]
    assert "balance 99, ledger sum 10, open lots 10" in problems[0].message


def test_audit_catches_a_lot_that_disagrees_with_its_entries(app):
    with session():
        customer = new_customer("lot-9")
        with database.atomic():
            lot = ledger.grant(customer, 10, kind=EntryKind.EARN, source="s", rule=RULE, key="k")
        Lot.update(remaining=12).where(Lot.id == lot.id).execute()
        problems = audit.check(customer.shop_id)
        Lot.update(remaining=10).where(Lot.id == lot.id).execute()
    assert any("outside 0..10" in p.message for p in problems)
    assert any("its entries sum to 10" in p.message for p in problems)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("grant"), st.integers(0, 2), st.integers(1, 10**12)),
        st.tuples(st.just("take"), st.integers(0, 20), st.integers(1, 10**12)),
        st.tuples(st.just("replay"), st.integers(0, 20), st.just(0)),
    ),
    max_size=30,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_any_sequence_of_movements_keeps_every_invariant(app, ops):
    """Grants, clamped take-backs and replays: balances match a model and `audit` stays clean."""
    with session():
        people = [new_customer(f"p{i}") for i in range(1)]
        shop_id = people[0].shop_id
        people += [customers.ensure(shop_id, f"p{i}") for i in (1, 2)]
        lots, model, keys = [], {p.id: 0 for p in people}, []
        with database.atomic():
            for n, (op, index, points) in enumerate(ops):
                if op == "grant":
                    person = people[index]
                    lots.append([ledger.grant(person, points, kind=EntryKind.EARN, source=f"s{n}",
                                              rule=RULE, key=f"g{n}"), points])
                    model[person.id] += points
                    keys.append(("grant", person, points, f"g{n}"))
                elif op == "take" and lots:
                    lot, left = lots[index % len(lots)]
                    taken = ledger.debit(lot, points, kind=EntryKind.REVERSE, key=f"t{n}")
                    assert taken == min(points, left)
                    lots[index % len(lots)][1] -= taken
                    model[lot.customer_id] -= taken
                elif op == "replay" and keys:
                    _, person, points, key = keys[index % len(keys)]
                    assert ledger.grant(person, points, kind=EntryKind.EARN, source="x", rule=RULE,
                                        key=key) is None
        for person in people:
            assert sum(ledger.balances(person).values()) == model[person.id]
        assert audit.check(shop_id) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 10**9), st.integers(0, 9)), max_size=25))
def test_grant_many_equals_the_same_grants_one_by_one(app, items):
    """Bulk and single grants leave identical balances, lots and keys; used keys are skipped."""
    with session():
        bulk, single = new_customer("b0"), new_customer("s0")
        bulk_people = [bulk] + [customers.ensure(bulk.shop_id, f"b{i}") for i in (1, 2, 3)]
        single_people = [single] + [customers.ensure(single.shop_id, f"s{i}") for i in (1, 2, 3)]
        unique = {key: (who, points) for who, points, key in items}  # one grant per key
        with database.atomic():
            first = list(unique.items())[: len(unique) // 2]
            for key, (who, points) in first:  # some keys were already used before the batch
                ledger.grant(bulk_people[who], points, kind=EntryKind.EARN, source=f"o{key}", rule=RULE,
                             key=f"k{key}")
            written = ledger.grant_many(bulk.shop_id, [
                ledger.Grant(bulk_people[who].id, points, f"o{key}", RULE, f"k{key}")
                for key, (who, points) in unique.items()], kind=EntryKind.EARN)
            for key, (who, points) in unique.items():
                ledger.grant(single_people[who], points, kind=EntryKind.EARN, source=f"o{key}", rule=RULE,
                             key=f"k{key}")
        assert set(written) == {f"k{key}" for key, _ in unique.items()} - {f"k{key}" for key, _ in first}
        for b, s in zip(bulk_people, single_people, strict=True):
            assert ledger.balances(b) == ledger.balances(s)
            assert b.__class__.get_by_id(b.id).lifetime_earned == s.__class__.get_by_id(s.id).lifetime_earned
        assert audit.check(bulk.shop_id) == [] and audit.check(single.shop_id) == []


def test_spending_takes_the_soonest_to_expire_lots_first_and_never_pending_ones(app):
    from datetime import datetime, timedelta

    from plugin.core import clock

    with session(), database.atomic():
        customer = new_customer()
        never = ledger.grant(customer, 50, kind=EntryKind.EARN, source="a", rule=RULE, key="a")
        late = ledger.grant(customer, 30, kind=EntryKind.EARN, source="b", rule=RULE, key="b",
                            expires_at=datetime(2031, 1, 1))
        soon = ledger.grant(customer, 20, kind=EntryKind.EARN, source="c", rule=RULE, key="c",
                            expires_at=datetime(2027, 1, 1))
        pending = ledger.grant(customer, 500, kind=EntryKind.EARN, source="d", rule=RULE, key="d",
                               pending_until=clock.now() + timedelta(days=10))
        assert ledger.spend(customer, "regular", 60, key="s1")
        left = {lot.id: Lot.get_by_id(lot.id).remaining for lot in (never, late, soon, pending)}
        assert left == {never.id: 40, late.id: 0, soon.id: 0, pending.id: 500}
        assert not ledger.spend(customer, "regular", 60, key="s1")  # a replay
        with pytest.raises(ledger.LedgerError):
            ledger.spend(customer, "regular", 41, key="s2")  # only 40 are spendable
        assert ledger.balances(customer) == {"regular": 540}
        assert ledger.spendable(customer) == {"regular": 40}
