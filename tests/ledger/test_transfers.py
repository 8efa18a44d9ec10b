"""Giving points to another shopper: the ledger's transfer, the program's limits, the widget endpoint."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import LedgerEntry, Lot
from plugin.customers import shops
from plugin.ledger import audit
from plugin.program import document, versions
from tests.helpers import shopper_headers

ALICE, BOB = "207119551", "bob-1"
SOON, LATER = datetime(2027, 1, 31), datetime(2027, 6, 30)
NOON = datetime(2026, 12, 1, 12, 0)
_domains = itertools.count()


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def headers(app, shop, customer_id: str | None = ALICE, key: str | None = "transfer-0001") -> dict:
    return shopper_headers(app, shop, customer_id, key)


def give(client, app, shop, to=BOB, points=50, point_type="regular", key="transfer-0001", sender=ALICE):
    return client.post("/widget/v1/transfers", json={"to": to, "points": points, "point_type": point_type},
                       headers=headers(app, shop, sender, key))


def grant(customer, points: int, key: str, point_type: str = "regular", expires_at=None):
    ledger.grant(customer, points, kind=EntryKind.BONUS, source=key, rule={}, key=key, point_type=point_type,
                 expires_at=expires_at)


def enable(shop, **limits) -> None:
    doc = copy.deepcopy(document.DEFAULT)
    doc["point_types"]["premium"] = {"expiry": {"kind": "days", "days": 180}}
    doc["transfers"] = {"enabled": True, **limits}
    with session():
        versions.save(shop.id, doc, author="test")


@pytest.fixture
def people(app, shop):
    """Alice holds 300 regular and 150 premium points (two expiry dates); Bob holds nothing."""
    at(NOON)
    with session(), database.atomic():
        alice = customers.ensure(shop.id, ALICE, {"email": "alice@example.com"})
        bob = customers.ensure(shop.id, BOB, {"email": "Bob@Example.com"})
        grant(alice, 300, "a-regular")
        grant(alice, 100, "a-later", "premium", LATER)
        grant(alice, 50, "a-soon", "premium", SOON)
    return alice, bob


def test_the_points_keep_their_type_and_expiry_soonest_to_expire_given_first(app, shop, people):
    alice, bob = people
    with session(), database.atomic():
        lot_ids = ledger.transfer(alice, bob, "premium", 120, key="k1")
        received = [(lot.point_type, lot.remaining, lot.expires_at, lot.source)
                    for lot in Lot.select().where(Lot.id.in_(lot_ids)).order_by(Lot.id)]
        assert received == [("premium", 50, SOON, "transfer:k1"), ("premium", 70, LATER, "transfer:k1")]
        assert ledger.balances(bob) == {"premium": 120}
        assert ledger.balances(alice) == {"regular": 300, "premium": 30}
        both = [(e.customer_id, e.delta)
                for e in LedgerEntry.select().where(LedgerEntry.kind == EntryKind.TRANSFER)]
        assert sorted(both) == sorted([(alice.id, -50), (alice.id, -70), (bob.id, 50), (bob.id, 70)])


def test_the_ledger_refuses_oneself_another_shop_and_too_many_points(app, shop, people):
    alice, bob = people
    with session(), database.atomic():
        stranger = customers.ensure(shops.register("shopify", "other.myshopify.com")[0].id, "s1")
        with pytest.raises(ledger.LedgerError, match="themselves"):
            ledger.transfer(alice, alice, "regular", 10, key="k1")
        with pytest.raises(ledger.LedgerError, match="same store"):
            ledger.transfer(alice, stranger, "regular", 10, key="k2")
        with pytest.raises(ledger.ShortOfPoints):
            ledger.transfer(alice, bob, "regular", 301, key="k3")
        assert ledger.balances(bob) == {}


def test_a_replayed_key_moves_nothing_and_returns_the_same_lots(app, shop, people):
    alice, bob = people
    with session(), database.atomic():
        first = ledger.transfer(alice, bob, "regular", 40, key="k1")
        assert ledger.transfer(alice, bob, "regular", 40, key="k1") == first
        with pytest.raises(ledger.LedgerError, match="already used"):
            ledger.transfer(alice, bob, "regular", 41, key="k1")
        assert ledger.balances(bob) == {"regular": 40}


movements = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.sampled_from(["regular", "premium"]),
                               st.integers(1, 400)), max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=movements)
def test_any_sequence_of_transfers_neither_creates_nor_destroys_points(app, moves):
    """The shop's points per (type, expiry) stay the same whatever moves, refused or not."""
    at(NOON)  # before SOON: no lot is past its expiry
    with session():
        shop, _ = shops.register("shopify", f"transfers{next(_domains)}.myshopify.com")
        people = [customers.ensure(shop.id, f"p{i}") for i in range(3)]
        with database.atomic():
            for i, person in enumerate(people):
                grant(person, 100 * (i + 1), f"r{i}")
                grant(person, 50 + i, f"s{i}", "premium", SOON)
                grant(person, 70, f"l{i}", "premium", LATER)

        before = _total(Lot.select().where(Lot.shop == shop.id))
        for n, (sender, recipient, point_type, amount) in enumerate(moves):
            try:
                with database.atomic():
                    ledger.transfer(people[sender], people[recipient], point_type, amount, key=f"m{n}")
            except ledger.LedgerError:
                assert sender == recipient or ledger.spendable(people[sender]).get(point_type, 0) < amount
        assert _total(Lot.select().where(Lot.shop == shop.id)) == before
        assert audit.check(shop.id) == []


def _total(lots) -> dict:
    """Remaining points per (point type, expiry) over the given lots."""
    out: dict = {}
    for lot in lots:
        out[(lot.point_type, lot.expires_at)] = out.get((lot.point_type, lot.expires_at), 0) + lot.remaining
    return out


def test_a_transfer_moves_the_points_once_and_a_retry_gets_the_first_answer(app, client, shop, people):
    enable(shop)
    first, again = give(client, app, shop), give(client, app, shop)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert first.get_json()["transfer"] == {"to": BOB, "points": 50, "point_type": "regular",
                                            "left_today": None}
    with session():
        assert ledger.balances(people[1]) == {"regular": 50}
        assert ledger.balances(people[0])["regular"] == 250


def test_the_recipient_is_found_by_email_whatever_its_case(app, client, shop, people):
    enable(shop)
    assert give(client, app, shop, to="bob@example.COM").status_code == 201
    with session():
        assert ledger.balances(people[1]) == {"regular": 50}


def test_more_than_the_spendable_points_is_409(app, client, shop, people):
    enable(shop)
    response = give(client, app, shop, points=301)
    assert response.status_code == 409 and response.get_json()["error"] == "not_enough_points"


def test_a_program_without_transfers_refuses_with_403(app, client, shop, people):
    response = give(client, app, shop)
    assert response.status_code == 403
    assert response.get_json()["message"] == "this store does not allow giving points to other shoppers"


def test_an_unknown_recipient_and_another_shops_customer_are_both_404(app, client, shop, people):
    enable(shop)
    with session():
        customers.ensure(shops.register("shopify", "other.myshopify.com")[0].id, "stranger",
                         {"email": "stranger@example.com"})
    unknown = give(client, app, shop, to="nobody@example.com")
    foreign = give(client, app, shop, to="stranger@example.com", key="transfer-0002")
    foreign_id = give(client, app, shop, to="stranger", key="transfer-0003")
    assert {unknown.status_code, foreign.status_code, foreign_id.status_code} == {404}
    assert unknown.get_json() == foreign.get_json() == foreign_id.get_json()


@pytest.mark.parametrize("to", [ALICE, "ALICE@example.com"])
def test_giving_points_to_oneself_is_refused(app, client, shop, people, to):
    enable(shop)
    response = give(client, app, shop, to=to)
    assert response.status_code == 422 and "yourself" in response.get_json()["message"]


@pytest.mark.parametrize("points,message", [(5, "at least 10"), (101, "at most 100")])
def test_the_limits_per_transfer_are_enforced(app, client, shop, people, points, message):
    enable(shop, min_points=10, max_per_transfer=100)
    response = give(client, app, shop, points=points)
    assert response.status_code == 422 and message in response.get_json()["message"]


def test_the_daily_limit_counts_today_utc_and_resets_the_next_day(app, client, shop, people):
    enable(shop, max_per_day=200)
    assert give(client, app, shop, points=150, key="transfer-0001").get_json()["transfer"]["left_today"] == 50
    over = give(client, app, shop, points=60, key="transfer-0002")
    assert over.status_code == 422 and "50 left today" in over.get_json()["message"]
    assert give(client, app, shop, points=50, key="transfer-0003").status_code == 201
    at(NOON.replace(hour=23, minute=59))
    assert give(client, app, shop, points=1, key="transfer-0004").status_code == 422
    at(NOON + timedelta(days=1))
    assert give(client, app, shop, points=60, key="transfer-0005").status_code == 201
    with session():
        assert ledger.balances(people[1]) == {"regular": 260}


def test_a_retry_after_the_daily_limit_still_answers_the_first_transfer(app, client, shop, people):
    enable(shop, max_per_day=100)
    assert give(client, app, shop, points=100).status_code == 201
    assert give(client, app, shop, points=100).status_code == 201


def test_signed_out_or_without_an_idempotency_key_is_refused(app, client, shop, people):
    enable(shop)
    signed_out = give(client, app, shop, sender=None)
    no_key = give(client, app, shop, key=None)
    assert (signed_out.status_code, no_key.status_code) == (401, 400)
    with session():
        assert ledger.balances(people[1]) == {}
