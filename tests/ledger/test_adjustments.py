"""Manual adjustments: one customer's (idempotent, never below zero, with the staff member) and
bulk ones from CSV (preview, apply as a batch, undo once within a day)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import session
from plugin.core.errors import Invalid
from plugin.core.kinds import EntryKind
from plugin.core.models import AdjustmentBatch, LedgerEntry, Lot
from plugin.core.status import BatchStatus
from plugin.customers import shops
from plugin.ledger import adjustments
from tests.helpers import admin_headers, set_program

PROGRAM = {
    "point_types": {"regular": {}, "premium": {"expiry": {"kind": "days", "days": 30}}},
    "earning": {"rate": {"kind": "percent", "percent": "5"}},
}
NOW = datetime(2024, 5, 3, 10, 0, tzinfo=UTC)
STAFF = "anna@store.example"


@pytest.fixture
def program(shop):
    set_program(shop, PROGRAM, NOW)


@pytest.fixture
def alice(shop, program):
    """A customer holding 100 regular points (a grant that expires later) and 50 that expire sooner."""
    with session():
        customer = customers.ensure(shop.id, "c-alice", {"email": "Alice@Example.com"})
        ledger.grant(customer, 100, kind=EntryKind.EARN, source="order:1", rule={}, key="earn:1",
                     expires_at=datetime(2025, 1, 1))
        ledger.grant(customer, 50, kind=EntryKind.EARN, source="order:2", rule={}, key="earn:2",
                     expires_at=datetime(2024, 6, 1))
    return customer


def headers(app, shop, key: str | None = "key-000001", actor: str | None = STAFF, **extra) -> dict:
    out = admin_headers(app, shop, **extra)
    if key:
        out["Idempotency-Key"] = key
    if actor:
        out["X-Loyalty-Actor"] = actor
    return out


def balance(customer, point_type: str = "regular") -> int:
    with session():
        return ledger.balances(customer).get(point_type, 0)


def post_adjust(client, app, shop, body: dict, platform_id: str = "c-alice", **kw):
    return client.post(f"/api/v1/customers/{platform_id}/adjustments", json=body,
                       headers=headers(app, shop, **kw))


# --- one customer -------------------------------------------------------------------------------

def test_positive_adjustment_grants_with_reason_and_staff_member(app, client, shop, alice):
    body = {"points": 40, "point_type": "premium", "reason": "late parcel"}
    response = post_adjust(client, app, shop, body)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["points"], body["point_type"], body["actor"], body["reason"]) == (40, "premium", STAFF,
                                                                                  "late parcel")
    assert (body["reason_code"], body["reason_params"]) == ("adjust.manual", {"text": "late parcel"})
    assert [(e["delta"], e["kind"], e["actor"]) for e in body["entries"]] == [(40, "adjust", STAFF)]
    assert body["balance"]["by_type"] == {"regular": 150, "premium": 40}
    with session():
        lot = Lot.get(Lot.key == "adjust:key-000001")
    assert lot.expires_at == datetime(2024, 6, 2, 10, 0)  # premium expires after 30 days


def test_same_key_returns_the_same_entry_once(app, client, shop, alice):
    body = {"points": 40, "reason": "late parcel"}
    first = post_adjust(client, app, shop, body)
    again = post_adjust(client, app, shop, body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json()["entries"] == first.get_json()["entries"]
    assert balance(alice) == 190


@pytest.mark.parametrize("changed", [{"points": 41}, {"reason": "other"}, {"point_type": "premium"}])
def test_same_key_with_another_body_is_422_naming_the_key(app, client, shop, alice, changed):
    assert post_adjust(client, app, shop, {"points": 40, "reason": "late parcel"}).status_code == 201
    response = post_adjust(client, app, shop, {"points": 40, "reason": "late parcel", **changed})
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == ["Idempotency-Key"]
    assert balance(alice) == 190


def test_negative_adjustment_takes_soonest_expiring_first(app, client, shop, alice):
    response = post_adjust(client, app, shop, {"points": -70, "reason": "double credit"})
    assert response.status_code == 201, response.get_json()
    entries = response.get_json()["entries"]
    assert [e["delta"] for e in entries] == [-50, -20]
    assert [e["idempotency_key"] for e in entries] == ["adjust:key-000001", "adjust:key-000001/1"]
    assert balance(alice) == 80
    again = post_adjust(client, app, shop, {"points": -70, "reason": "double credit"})
    assert (again.status_code, again.get_json()["points"], balance(alice)) == (201, -70, 80)


def test_negative_adjustment_beyond_balance_is_refused_whole(app, client, shop, alice):
    response = post_adjust(client, app, shop, {"points": -151, "reason": "fraud"})
    assert response.status_code == 422
    assert "only 150 regular points" in response.get_json()["fields"]["points"][0]
    with session():
        assert LedgerEntry.select().where(LedgerEntry.kind == EntryKind.ADJUST).count() == 0
    assert balance(alice) == 150


@pytest.mark.parametrize(("body", "kw", "field"), [
    ({"points": 5, "reason": "x"}, {"actor": None}, "X-Loyalty-Actor"),
    ({"points": 5, "reason": "x"}, {"key": None}, "Idempotency-Key"),
    ({"points": 5, "reason": "x"}, {"key": "short"}, "Idempotency-Key"),
    ({"points": 5}, {}, "reason"),
    ({"points": 5, "reason": "   "}, {}, "reason"),
    ({"points": 0, "reason": "x"}, {}, "points"),
    ({"points": "5", "reason": "x"}, {}, "points"),
    ({"points": 5, "reason": "x", "point_type": "gold"}, {}, "point_type"),
    ({"points": 5, "reason": "x", "extra": 1}, {}, "extra"),
])
def test_bad_adjustment_is_422_naming_the_field(app, client, shop, alice, body, kw, field):
    response = post_adjust(client, app, shop, body, **kw)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["fields"]
    assert balance(alice) == 150


def test_malformed_json_is_400_and_unknown_customer_404(app, client, shop, alice):
    bad = client.post("/api/v1/customers/c-alice/adjustments", data="{", headers={
        **headers(app, shop), "Content-Type": "application/json"})
    assert bad.status_code == 400
    unknown = post_adjust(client, app, shop, {"points": 5, "reason": "x"}, platform_id="nobody")
    assert unknown.status_code == 404


def test_other_shops_key_cannot_adjust_this_shops_customer(app, client, shop, alice):
    with session():
        other, _ = shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)
    response = post_adjust(client, app, other, {"points": 500, "reason": "steal"})
    assert response.status_code == 404
    assert balance(alice) == 150


def test_adjust_function_records_actor_and_reason(shop, alice):
    with session():
        entry = adjustments.adjust(alice, 25, "regular", " goodwill ", "boris", "dash-0001")
        assert (entry.delta, entry.kind, entry.actor, entry.reason) == (
            25, "adjust", "boris", {"code": "adjust.manual", "text": "goodwill"})
        assert adjustments.adjust(alice, 25, "regular", "goodwill", "boris", "dash-0001").id == entry.id
        with pytest.raises(Invalid) as error:
            adjustments.adjust(alice, 25, "regular", "", "boris", "dash-0002")
        assert set(error.value.fields) == {"reason"}


# --- bulk from CSV ------------------------------------------------------------------------------

@pytest.fixture
def bob(shop, program):
    with session():
        return customers.ensure(shop.id, "c-bob", {"email": "bob@example.com"})


BULK = (
    "customer id,email,points,point type,reason\n"
    "c-alice,,100,,spring bonus\n"          # line 2
    ",BOB@example.com,30,premium,apology\n"  # line 3: by email, any case
    "c-alice,,-200,,correction\n"           # line 4: 150 + 100 = 250 held by then
    "c-nobody,,10,,bonus\n"                 # line 5: unknown
    "c-bob,,abc,,bonus\n"                   # line 6: not a number
    "c-bob,,5,gold,bonus\n"                 # line 7: unknown type
    "c-bob,,5,,\n"                          # line 8: no reason
    "c-bob,,-31,premium,too much\n"         # line 9: only 30 premium
    "c-bob,,1\n"                            # line 10: short row
)


def bulk(client, app, shop, path: str, text: str, **kw):
    return client.post(f"/api/v1/adjustments{path}", data=text.encode(),
                       headers={**headers(app, shop, **kw), "Content-Type": "text/csv"})


def test_preview_says_what_each_row_does_and_writes_nothing(app, client, shop, alice, bob):
    response = bulk(client, app, shop, "/preview", BULK)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [(r["line"], r["customer_id"], r["points"], r["balance_before"], r["balance_after"])
            for r in body["rows"]] == [(2, "c-alice", 100, 150, 250), (3, "c-bob", 30, 0, 30),
                                       (4, "c-alice", -200, 250, 50)]
    rejected = {r["line"]: r["reason"] for r in body["rejected"]}
    assert sorted(rejected) == [5, 6, 7, 8, 9, 10]
    assert "c-nobody" in rejected[5] and "points" in rejected[6] and "gold" in rejected[7]
    assert "reason" in rejected[8] and "only 30 premium" in rejected[9] and "cells" in rejected[10]
    assert body["totals"] == {"rows": 9, "accepted": 3, "rejected": 6, "customers": 2,
                              "added": {"regular": 100, "premium": 30}, "removed": {"regular": 200}}
    with session():
        assert LedgerEntry.select().where(LedgerEntry.kind == EntryKind.ADJUST).count() == 0


def test_apply_writes_the_batch_once_per_key(app, client, shop, alice, bob):
    response = bulk(client, app, shop, "/batches", BULK, key="batch-0001")
    assert response.status_code == 201, response.get_json()
    batch = response.get_json()["batch"]
    assert (batch["rows"], batch["actor"], batch["status"]) == (3, STAFF, "applied")
    assert [r["line"] for r in batch["rejected"]] == [5, 6, 7, 8, 9, 10]
    assert (balance(alice), balance(bob, "premium")) == (50, 30)
    again = bulk(client, app, shop, "/batches", BULK, key="batch-0001")
    assert (again.status_code, again.get_json()["batch"]["id"]) == (201, batch["id"])
    other = bulk(client, app, shop, "/batches", BULK + "c-bob,,1,,more\n", key="batch-0001")
    assert other.status_code == 422
    assert (balance(alice), balance(bob, "premium")) == (50, 30)
    listed = client.get("/api/v1/adjustments/batches", headers=headers(app, shop)).get_json()
    assert [b["id"] for b in listed["items"]] == [batch["id"]]


def test_undo_reverses_exactly_once(app, client, shop, alice, bob):
    with session():
        lots_before = {lot.id: lot.remaining for lot in Lot.select().where(Lot.customer == alice.id)}
    batch = bulk(client, app, shop, "/batches", BULK, key="batch-0001").get_json()["batch"]
    undone = bulk(client, app, shop, f"/batches/{batch['id']}/undo", "", key=None, actor="boris")
    assert undone.status_code == 200, undone.get_json()
    done = undone.get_json()["batch"]
    assert (done["status"], done["undone_by"]) == ("undone", "boris")
    assert (balance(alice), balance(bob, "premium")) == (150, 0)
    with session():
        lots_after = {lot.id: lot.remaining for lot in Lot.select().where(Lot.customer == alice.id)}
        undo_actors = {e.actor for e in LedgerEntry.select().where(
            LedgerEntry.idempotency_key.startswith("undo:"))}
    assert {lot_id: lots_after[lot_id] for lot_id in lots_before} == lots_before  # taken points went back
    assert undo_actors == {"boris"}
    twice = bulk(client, app, shop, f"/batches/{batch['id']}/undo", "", key=None)
    assert (twice.status_code, twice.get_json()["error"]) == (409, "already_undone")
    assert (balance(alice), balance(bob, "premium")) == (150, 0)


def test_undo_after_a_day_is_refused(app, client, shop, alice, bob):
    batch = bulk(client, app, shop, "/batches", BULK, key="batch-0001").get_json()["batch"]
    clock.set_source(lambda: NOW + timedelta(hours=24, seconds=1))
    response = bulk(client, app, shop, f"/batches/{batch['id']}/undo", "", key=None)
    assert (response.status_code, response.get_json()["error"]) == (409, "undo_expired")
    assert "24 hours" in response.get_json()["message"]
    assert balance(alice) == 50


def test_undo_is_refused_whole_when_granted_points_were_spent(app, client, shop, bob):
    text = "customer_id,points,point_type,reason\nc-bob,30,premium,apology\n"
    batch = bulk(client, app, shop, "/batches", text, key="batch-0002").get_json()["batch"]
    with session():
        ledger.spend(bob, "premium", 10, key="spend:1")
    response = bulk(client, app, shop, f"/batches/{batch['id']}/undo", "", key=None)
    assert (response.status_code, response.get_json()["error"]) == (409, "cannot_undo")
    assert "line 2" in response.get_json()["fields"]
    assert balance(bob, "premium") == 20
    with session():
        assert AdjustmentBatch.get_by_id(batch["id"]).status == BatchStatus.APPLIED


def test_bulk_needs_actor_key_and_columns(app, client, shop, alice):
    assert bulk(client, app, shop, "/batches", BULK, actor=None).status_code == 422
    assert bulk(client, app, shop, "/batches", BULK, key=None).status_code == 422
    missing = bulk(client, app, shop, "/preview", "customer_id,points\nc-alice,5\n")
    assert missing.status_code == 422 and "reason" in missing.get_json()["message"]
    assert bulk(client, app, shop, "/preview", "").status_code == 422
    nothing = bulk(client, app, shop, "/batches", "customer_id,points,reason\nnobody,5,x\n", key="batch-0003")
    assert nothing.status_code == 422 and "line 2" in nothing.get_json()["fields"]
    binary = client.post("/api/v1/adjustments/preview", data=b"\xff\xfe", headers=headers(app, shop))
    assert binary.status_code == 422


def test_other_shop_cannot_see_or_undo_a_batch(app, client, shop, alice, bob):
    batch = bulk(client, app, shop, "/batches", BULK, key="batch-0001").get_json()["batch"]
    with session():
        other, _ = shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)
    seen = client.get(f"/api/v1/adjustments/batches/{batch['id']}", headers=headers(app, other))
    assert seen.status_code == 404
    assert bulk(client, app, other, f"/batches/{batch['id']}/undo", "", key=None).status_code == 404
    applied = bulk(client, app, other, "/batches", BULK, key="batch-0001")
    assert applied.status_code == 422  # none of this shop's customers are the other shop's
    assert balance(alice) == 50


def nonzero(points: dict[str, int]) -> dict[str, int]:
    return {point_type: n for point_type, n in points.items() if n}


ROW = st.tuples(st.sampled_from(["c-alice", "c-bob"]), st.integers(-120, 120).filter(bool),
                st.sampled_from(["regular", "premium"]))
_keys = itertools.count(1)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=8))
def test_apply_then_undo_leaves_balances_as_before(shop, alice, bob, rows):
    from plugin.ledger import bulk_adjustments

    text = "customer_id,points,point_type,reason\n" + "".join(f"{c},{p},{t},prop\n" for c, p, t in rows)
    with session():
        before = {c.platform_id: nonzero(ledger.balances(c)) for c in (alice, bob)}
        lots = {lot.id: lot.remaining for lot in Lot.select()}
        try:
            batch, _ = bulk_adjustments.apply(shop.id, text, actor=STAFF, key=f"prop-{next(_keys):06d}")
        except Invalid:  # every row rejected (e.g. only takes from an empty balance)
            return
        bulk_adjustments.undo(shop.id, batch.id, actor=STAFF)
        assert {c.platform_id: nonzero(ledger.balances(c)) for c in (alice, bob)} == before
        assert {lot.id: lot.remaining for lot in Lot.select() if lot.id in lots} == lots
