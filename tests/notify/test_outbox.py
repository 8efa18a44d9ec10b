"""The outbox: every fact a shopper or a CRM cares about is written as one message in the fact's
own transaction; a rolled-back fact leaves none, a replayed one adds none."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import customers, ledger
from plugin.core import clock, reasons
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import OutboxMessage
from plugin.customers import shops
from plugin.ledger import expiry
from plugin.notify import outbox

GRANTED = datetime(2026, 3, 10, 12, 0)  # naive UTC, as stored
_domains = itertools.count()


class Rollback(Exception):
    """Raised inside a transaction to undo it, as a failed batch would."""


def messages(shop_id: int | None = None) -> list[OutboxMessage]:
    query = OutboxMessage.select().order_by(OutboxMessage.id)
    return list(query.where(OutboxMessage.shop == shop_id) if shop_id else query)


@pytest.fixture
def customer(shop):
    with session():
        return customers.ensure(shop.id, "c1", {"email": "Anna@Example.com"})


def grant(customer, points: int, key: str, *, kind=EntryKind.EARN, reason=None, source="order:1001",
          expires_at=None):
    with database.atomic():
        return ledger.grant(customer, points, kind=kind, source=source, rule={}, key=key,
                            reason=reason or "", expires_at=expires_at)


def test_an_earned_grant_is_one_message_with_the_balance_after_it(customer):
    grant(customer, 120, "order:1001")
    grant(customer, 120, "order:1001")  # replayed: no second lot, no second message
    with session():
        [message] = messages()
    assert (message.type, message.key, message.customer_id) == (
        "points.earned", "points.earned:order:1001", customer.id)
    assert message.data == {"points": 120, "balance": 120, "point_type": "regular", "source": "order",
                            "order_id": "1001", "expires_at": None}
    assert message.uid.startswith("msg_") and len(message.uid) == 36


def test_birthday_referral_adjustment_and_import_each_tell_their_own_story(customer):
    grant(customer, 300, "birthday:2026", kind=EntryKind.BONUS, reason=reasons.birthday(2026),
          source="birthday:2026")
    grant(customer, 500, "ref:1", kind=EntryKind.BONUS, reason=reasons.referral("referrer"),
          source="referral:1")
    grant(customer, 50, "adj:1", kind=EntryKind.ADJUST, reason=reasons.manual("goodwill"), source="adjust")
    grant(customer, 999, "imp:1", kind=EntryKind.IMPORT, reason=reasons.imported_opening(), source="import")
    with session():
        found = [(m.type, m.data["points"], m.data["balance"]) for m in messages()]
        adjusted = messages()[2].data
    assert found == [("birthday.granted", 300, 300), ("referral.rewarded", 500, 800),
                     ("points.adjusted", 50, 850)]
    assert adjusted["reason"] == "goodwill"


def test_reversals_spends_and_staff_debits_are_messages_with_signed_points(customer):
    lot = grant(customer, 100, "order:1")
    with session(), database.atomic():
        ledger.debit(lot, 30, kind=EntryKind.REVERSE, key="refund:r1")
        ledger.debit(lot, 10, kind=EntryKind.ADJUST, key="adj:2", reason=reasons.manual("typo"))
        ledger.spend(customer, "regular", 20, key="reward:1")
    with session():
        found = [(m.type, m.key, m.data["points"], m.data["balance"]) for m in messages()[1:]]
        adjusted = messages()[2].data["reason"]
    assert found == [("points.reversed", "points.reversed:refund:r1", 30, 70),
                     ("points.adjusted", "points.adjusted:adj:2", -10, 60),
                     ("points.spent", "points.spent:reward:1", 20, 40)]
    assert adjusted == "typo"


def test_a_shopper_gets_one_expiring_reminder_for_all_their_lots_and_each_lot_once(customer):
    clock.set_source(lambda: GRANTED.replace(tzinfo=UTC))
    first = grant(customer, 40, "g1", expires_at=GRANTED + timedelta(days=10))
    grant(customer, 60, "g2", expires_at=GRANTED + timedelta(days=12))
    later = grant(customer, 5, "g3", expires_at=GRANTED + timedelta(days=40))
    assert expiry.warn_expiring() == 2
    assert expiry.warn_expiring() == 0
    with session():
        [reminder] = [m for m in messages() if m.type == "points.expiring"]
    assert reminder.key == f"points.expiring:{customer.id}:{first.id}"
    assert reminder.data["points"] == 100 and reminder.data["balance"] == 105
    assert reminder.data["expires_at"] == (GRANTED + timedelta(days=10)).isoformat() + "+00:00"
    assert [lot["points"] for lot in reminder.data["lots"]] == [40, 60]
    # the third lot comes into the window
    clock.set_source(lambda: (GRANTED + timedelta(days=30)).replace(tzinfo=UTC))
    assert expiry.warn_expiring() == 1
    with session():
        reminders = [m for m in messages() if m.type == "points.expiring"]
    assert len(reminders) == 2 and reminders[1].key.endswith(f":{later.id}")


def test_a_shoppers_lots_that_burn_together_are_one_message_per_point_type(customer):
    """Batches of one lot still burn all of a shopper's due lots at once: one message per point
    type with the total, the balance after and each lot, keyed by its first lot; a re-run adds none."""
    clock.set_source(lambda: GRANTED.replace(tzinfo=UTC))
    with session():
        other = customers.ensure(customer.shop_id, "c2")
    day = GRANTED + timedelta(days=1)
    first = grant(customer, 40, "g1", expires_at=day)
    grant(other, 5, "o1", expires_at=day + timedelta(minutes=30))
    grant(customer, 25, "g2", expires_at=day + timedelta(hours=1))
    with session(), database.atomic():
        premium = ledger.grant(customer, 7, kind=EntryKind.EARN, source="order:1002", rule={}, key="p1",
                               point_type="premium", expires_at=day + timedelta(hours=2))
    grant(customer, 100, "later", expires_at=day + timedelta(days=30))
    clock.set_source(lambda: (GRANTED + timedelta(days=2)).replace(tzinfo=UTC))
    assert expiry.expire_due(batch_size=1) == 40 + 5 + 25 + 7
    assert expiry.expire_due(batch_size=1) == 0
    with session():
        expired = [m for m in messages() if m.type == "points.expired"]
    assert sorted((m.customer_id, m.key) for m in expired) == sorted([
        (customer.id, f"points.expired:expire:{first.id}"),
        (customer.id, f"points.expired:expire:{premium.id}"),
        (other.id, f"points.expired:expire:{first.id + 1}")])
    [regular] = [m for m in expired if m.key.endswith(f":{first.id}")]
    assert regular.data == {"points": 65, "balance": 100, "point_type": "regular", "lots": [
        {"points": 40, "expires_at": clock.iso(day)},
        {"points": 25, "expires_at": clock.iso(day + timedelta(hours=1))}]}
    [extra] = [m for m in expired if m.key.endswith(f":{premium.id}")]
    assert (extra.data["points"], extra.data["balance"], extra.data["point_type"]) == (7, 100, "premium")


# -- the outbox property: committed facts have exactly one message, rolled-back ones none --------

facts_and_fates = st.lists(
    st.tuples(st.sampled_from(["grant", "spend", "replay"]), st.integers(1, 500), st.booleans()),
    min_size=1, max_size=25)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=facts_and_fates)
def test_every_committed_fact_has_exactly_one_message_and_no_rolled_back_fact_has_any(app, ops):
    with session():
        shop, _ = shops.register("shopify", f"outbox-{next(_domains)}.myshopify.com")
        person = customers.ensure(shop.id, "p")
        committed: set[str] = set()
        keys: list[str] = []
        for n, (op, points, keep) in enumerate(ops):
            key = keys[points % len(keys)] if op == "replay" and keys else f"k{n}"
            try:
                with database.atomic():
                    if op == "spend":
                        if sum(ledger.spendable(person).values()) < points:
                            continue
                        ledger.spend(person, "regular", points, key=key)
                        written = f"points.spent:{key}"
                    else:
                        ledger.grant(person, points, kind=EntryKind.EARN, source="t", rule={}, key=key)
                        written = f"points.earned:{key}"
                    if not keep:
                        raise Rollback
            except Rollback:
                continue
            if op != "spend":
                keys.append(key)  # a replay repeats a grant
            committed.add(written)
        found = [m.key for m in messages(shop.id)]
    assert sorted(found) == sorted(committed)


def test_a_message_of_an_unknown_type_is_refused(shop):
    with session(), pytest.raises(ValueError, match="no such message type"):
        outbox.record(shop.id, "points.teleported", "k", {})
