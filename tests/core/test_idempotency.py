"""Idempotency-Key: concurrent and later retries get the first answer; one effect, never a 5xx."""

from __future__ import annotations

import copy
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests

from plugin import customers, ledger
from plugin.cli import demo
from plugin.core import clock, idempotency
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import (
    ActivationCode,
    Activity,
    AdjustmentBatch,
    Hold,
    IdempotentRequest,
    LedgerEntry,
    Lot,
)
from plugin.core.status import IdempotencyStatus
from plugin.earn import codes
from plugin.ledger import transfers
from plugin.pipeline import cron
from plugin.program import document, versions
from tests.helpers import admin_headers, in_threads, shopper_headers

ALICE, BOB = "c-alice", "c-bob"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KEY = "retry-key-0001"
CART = {"currency": "USD", "lines": [{"sku": "A", "price": "500.00", "quantity": 2}]}
CSV = "customer id,email,points,point type,reason\nc-alice,,100,,spring bonus\n"
RETRIES = 30


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment)


@pytest.fixture
def alice(app, shop):
    """A program with transfers and an unlimited action; Alice holds 300 points, Bob none; one code."""
    at(NOW)
    doc = copy.deepcopy(document.DEFAULT)
    doc["transfers"] = {"enabled": True}
    doc["activities"] = {"share": {"points": 5, "limit": "unlimited"}}
    with session(), database.atomic():
        versions.save(shop.id, doc, author="test")
        alice = customers.ensure(shop.id, ALICE, {"email": "alice@example.com"})
        customers.ensure(shop.id, BOB, {"email": "bob@example.com"})
        ledger.grant(alice, 300, kind=EntryKind.BONUS, source="s", rule={}, key="g1")
        codes.generate(shop.id, count=1, points=100, batch="club")
    return alice


def widget(app, shop, key: str | None = KEY) -> dict:
    return {**shopper_headers(app, shop, ALICE, key), "Content-Type": "application/json"}


def admin(app, shop, key: str | None = KEY, content: str = "application/json") -> dict:
    return admin_headers(app, shop, **{"X-Loyalty-Actor": "Ann", "Idempotency-Key": key,
                                       "Content-Type": content})


def redeem(client, app, shop):
    return "/widget/v1/redeem", {"points": 120, "cart": CART}, widget(app, shop)


def cancel(client, app, shop):
    first = client.post("/widget/v1/redeem", json={"points": 100, "cart": CART},
                        headers=widget(app, shop, "first-hold-0001")).get_json()
    return f"/widget/v1/redemptions/{first['redemption']['id']}/cancel", {}, widget(app, shop)


def transfer(client, app, shop):
    return "/widget/v1/transfers", {"to": BOB, "points": 50}, widget(app, shop)


def adjustment(client, app, shop):
    return f"/api/v1/customers/{ALICE}/adjustments", {"points": 40, "reason": "late parcel"}, admin(app, shop)


def bulk_adjustment(client, app, shop):
    return "/api/v1/adjustments/batches", CSV, admin(app, shop, content="text/csv")


def activity(client, app, shop):
    body = {"activity_id": "a-1", "customer_id": ALICE, "name": "share"}
    return "/api/v1/activities", body, admin(app, shop)


def activation_code(client, app, shop):
    with session():
        code = ActivationCode.get(ActivationCode.shop == shop.id).code
    return "/api/v1/activation-codes/redeem", {"code": code, "customer_id": ALICE}, admin(app, shop)


#: request maker -> how many times its effect happened
CASES = {
    redeem: lambda: Hold.select().count(),
    cancel: lambda: LedgerEntry.select().where(LedgerEntry.kind == EntryKind.RELEASE).count(),
    transfer: lambda: LedgerEntry.select().where(
        (LedgerEntry.kind == ledger.TRANSFER) & (LedgerEntry.delta > 0)).count(),
    adjustment: lambda: LedgerEntry.select().where(LedgerEntry.kind == EntryKind.ADJUST).count(),
    bulk_adjustment: lambda: AdjustmentBatch.select().count(),
    activity: lambda: Activity.select().count(),
    activation_code: lambda: Lot.select().where(Lot.source == "code:club").count(),
}


@pytest.fixture
def server(app, monkeypatch):
    """The app over real HTTP from a thread; retries wait for the first answer however slow the machine."""
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 600.0)
    server = demo.start_server(app, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("request_of", list(CASES), ids=lambda f: f.__name__)
def test_concurrent_retries_all_get_the_first_answer_and_one_effect(app, client, shop, alice, server,
                                                                    request_of):
    path, body, headers = request_of(client, app, shop)
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    start, answers = threading.Barrier(RETRIES), []

    def send() -> None:
        start.wait()
        response = requests.post(server + path, data=raw, headers=headers, timeout=600)
        answers.append((response.status_code, response.text))

    in_threads(send, [()] * RETRIES)
    with session():
        stored = IdempotentRequest.get(IdempotentRequest.key == KEY)
        assert CASES[request_of]() == 1
    assert stored.response_status < 500
    assert answers == [(stored.response_status, stored.response_body)] * RETRIES


def test_same_key_with_another_body_is_422_naming_the_header(app, client, shop, alice):
    first = client.post("/widget/v1/transfers", json={"to": BOB, "points": 50}, headers=widget(app, shop))
    other = client.post("/widget/v1/transfers", json={"to": BOB, "points": 60}, headers=widget(app, shop))
    assert (first.status_code, other.status_code) == (201, 422)
    assert list(other.get_json()["fields"]) == ["Idempotency-Key"]
    with session():
        assert ledger.balances(alice) == {"regular": 250}


def test_a_retry_within_24_hours_replays_and_after_runs_anew(app, client, shop, alice):
    def adjust():
        path, body, headers = adjustment(client, app, shop)
        return client.post(path, json=body, headers=headers)

    first = adjust()
    at(NOW + timedelta(hours=23))
    replay = adjust()
    at(NOW + timedelta(hours=24, seconds=1))
    anew = adjust()  # the ledger's own key still stops a second credit: 200 says "seen before"
    assert [r.status_code for r in (first, replay, anew)] == [201, 201, 200]
    assert [r.headers.get("Idempotent-Replayed") for r in (first, replay, anew)] == [None, "true", None]
    assert replay.get_json() == first.get_json()
    with session():
        assert ledger.balances(alice) == {"regular": 340}


def test_a_refusal_is_replayed_even_after_the_balance_would_allow_it(app, client, shop, alice):
    too_much = client.post("/widget/v1/transfers", json={"to": BOB, "points": 400}, headers=widget(app, shop))
    with session():
        ledger.grant(alice, 200, kind=EntryKind.BONUS, source="s", rule={}, key="g2")
    retry = client.post("/widget/v1/transfers", json={"to": BOB, "points": 400}, headers=widget(app, shop))
    assert (too_much.status_code, retry.status_code) == (409, 409)
    assert retry.get_json() == too_much.get_json()
    with session():
        assert ledger.balances(alice) == {"regular": 500}


def test_a_server_error_drops_the_claim_so_a_retry_runs(app, client, shop, alice, monkeypatch):
    real = transfers.send
    monkeypatch.setattr(transfers, "send", lambda *a, **kw: 1 / 0)
    failed = client.post("/widget/v1/transfers", json={"to": BOB, "points": 50}, headers=widget(app, shop))
    monkeypatch.setattr(transfers, "send", real)
    retry = client.post("/widget/v1/transfers", json={"to": BOB, "points": 50}, headers=widget(app, shop))
    assert (failed.status_code, retry.status_code) == (500, 201)
    with session():
        assert ledger.balances(alice) == {"regular": 250}


def test_a_retry_while_the_first_runs_is_409_in_progress_with_retry_after(app, client, shop, alice,
                                                                         monkeypatch):
    raw = json.dumps({"to": BOB, "points": 50}).encode()
    with session():
        IdempotentRequest.create(shop=shop.id, scope=f"widget_api.transfer:{ALICE}", key=KEY,
                                 fingerprint=idempotency.fingerprint("POST", "/widget/v1/transfers", raw))
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.0)
    response = client.post("/widget/v1/transfers", data=raw, headers=widget(app, shop))
    assert (response.status_code, response.get_json()["error"]) == (409, "idempotency_in_progress")
    assert response.headers["Retry-After"] == "1"
    with session():
        assert ledger.balances(alice) == {"regular": 300}


def test_one_shoppers_key_never_answers_another_shopper(app, client, shop, alice):
    with session():
        ledger.grant(customers.find(shop.id, BOB), 100, kind=EntryKind.BONUS, source="s", rule={}, key="g3")
    body = {"to": BOB, "points": 50}
    mine = client.post("/widget/v1/transfers", json=body, headers=widget(app, shop))
    theirs = client.post("/widget/v1/transfers", json={"to": ALICE, "points": 50},
                         headers={**shopper_headers(app, shop, BOB, KEY), "Content-Type": "application/json"})
    assert (mine.status_code, theirs.status_code) == (201, 201)
    with session():
        assert ledger.balances(alice) == {"regular": 300}


def test_purge_forgets_answers_older_than_24_hours_and_runs_hourly(app, shop):
    with session():
        for key, age in (("old-key-0001", timedelta(hours=25)), ("new-key-0001", timedelta(hours=1))):
            IdempotentRequest.create(shop=shop.id, scope="s", key=key, fingerprint="f",
                                     status=IdempotencyStatus.DONE, response_status=201, response_body="{}",
                                     created_at=NOW.replace(tzinfo=None) - age)
    at(NOW)
    assert idempotency.purge_expired() == 1
    with session():
        assert [r.key for r in IdempotentRequest.select()] == ["new-key-0001"]
    assert idempotency.purge_expired in [job for job, _ in cron.PERIODIC]


def test_a_claim_left_in_progress_by_a_dead_process_is_taken_over(app, client, shop, alice):
    raw = json.dumps({"to": BOB, "points": 50}).encode()
    with session():
        IdempotentRequest.create(shop=shop.id, scope=f"widget_api.transfer:{ALICE}", key=KEY,
                                 fingerprint=idempotency.fingerprint("POST", "/widget/v1/transfers", raw),
                                 created_at=NOW.replace(tzinfo=None))
    at(NOW + idempotency.STALE + timedelta(seconds=1))
    response = client.post("/widget/v1/transfers", data=raw, headers=widget(app, shop))
    assert response.status_code == 201
    with session():
        assert ledger.balances(alice) == {"regular": 250}
