"""Outbound webhooks end to end: messages recorded in the outbox, fanned out, signed and sent to a
real local endpoint; retried while it is down, in order per shopper, paused after days of failure."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.models import Delivery, OutboxMessage, WebhookSubscription
from plugin.core.status import DeliveryStatus, SubscriptionStatus
from plugin.notify import dispatch, outbox
from plugin.notify.types import SAMPLES
from plugin.notify.webhooks import channel, guard, subscriptions


@pytest.fixture
def private_ok(monkeypatch, job_env):
    monkeypatch.setenv(guard.ALLOW_PRIVATE, "1")


def subscribe(app, shop, url: str, events=("*",)) -> tuple[WebhookSubscription, str]:
    with session():
        return subscriptions.create(shop.id, url, list(events), app.extensions["loyalty"].vault)


def record(shop, messages: list[tuple[str, str, int | None]]) -> list[str]:
    """(type, key, customer id) in one transaction; their uids in the order written."""
    with session():
        with database.atomic():
            for type_name, key, customer_id in messages:
                outbox.record(shop.id, type_name, key, SAMPLES[type_name], customer_id=customer_id)
        return [m.uid for m in OutboxMessage.select().where(OutboxMessage.shop == shop.id)
                .order_by(OutboxMessage.id)]


def drain() -> int:
    dispatch.dispatch()
    with session():
        return channel.CHANNEL.send_due(clock.now())


def deliveries() -> list[Delivery]:
    with session():
        return list(Delivery.select().order_by(Delivery.id))


def test_an_endpoint_down_for_an_hour_gets_every_message_in_order_per_shopper(
        app, shop, shoppers, private_ok, receiver, moved_clock):
    sub, secret = subscribe(app, shop, receiver.url)
    receiver.secret = secret  # verifies every delivery as it arrives
    anna, boris = shoppers
    plan = [("points.earned", "e1", anna.id), ("points.earned", "e2", boris.id),
            ("points.spent", "s1", anna.id), ("tier.changed", "t1", anna.id),
            ("redemption.committed", "r1", boris.id), ("points.expired", "x1", boris.id)]
    uids = record(shop, plan)
    receiver.answer = 503
    for _ in range(60):  # down for an hour, the drain job running every minute
        drain()
        moved_clock.move(minutes=1)
    assert receiver.received == [] and receiver.refused >= 2
    first = {d.message_id: d for d in deliveries()}
    assert all(d.status == DeliveryStatus.PENDING for d in first.values())
    receiver.answer = 204
    for _ in range(40):  # back: the next scheduled attempts deliver everything
        drain()
        moved_clock.move(minutes=5)
    assert {d.status for d in deliveries()} == {DeliveryStatus.SENT}
    bodies = [r.payload for r in receiver.received]
    assert all(bodies) and len(bodies) == len(uids)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert sorted(ids) == sorted(uids)  # every message, once
    for customer in (anna, boris):
        mine = [uid for uid, (_, _, cid) in zip(uids, plan, strict=True) if cid == customer.id]
        assert [i for i in ids if i in mine] == mine  # in order per shopper
        assert {b["data"]["customer"]["id"] for b, i in zip(bodies, ids, strict=True) if i in mine} == {
            customer.platform_id}
    earned = next(b for b in bodies if b["type"] == "points.earned")
    assert earned["data"]["points"] == SAMPLES["points.earned"]["points"]
    assert earned["data"]["shop"]["domain"] == shop.domain
    assert earned["timestamp"].startswith("2026-12-06T09:00")
    with session():
        assert WebhookSubscription.get_by_id(sub.id).failing_since is None


def test_a_forged_or_altered_delivery_does_not_verify(app, shop, shoppers, private_ok, receiver, moved_clock):
    _, secret = subscribe(app, shop, receiver.url, ["points.earned"])
    record(shop, [("points.earned", "e1", shoppers[0].id), ("points.spent", "s1", shoppers[0].id)])
    drain()
    assert len(receiver.received) == 1  # only the type it asked for
    got = receiver.received[0]
    Webhook(secret).verify(got.body, got.headers)  # the clock has not moved: verifiable now
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(got.body.replace(b"120", b"999"), got.headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(subscriptions.new_secret()).verify(got.body, got.headers)


def test_redirects_are_not_followed(app, shop, shoppers, private_ok, receiver, moved_clock):
    subscribe(app, shop, receiver.url)
    record(shop, [("points.earned", "e1", shoppers[0].id)])
    receiver.answer = 302
    assert drain() == 0
    [d] = deliveries()
    assert (d.status, d.response_code, d.attempts) == (DeliveryStatus.PENDING, 302, 1)
    assert d.error.startswith("HTTP 302")


def test_a_later_message_waits_while_an_earlier_one_for_the_shopper_is_pending(
        app, shop, shoppers, private_ok, receiver, moved_clock):
    subscribe(app, shop, receiver.url)
    anna, boris = shoppers
    record(shop, [("points.earned", "e1", anna.id)])
    receiver.answer = 500
    drain()
    receiver.answer = 204
    record(shop, [("points.spent", "s1", anna.id), ("points.earned", "e2", boris.id)])
    drain()  # anna's second waits for her first; boris is not held up
    assert [json.loads(r.body)["data"]["customer"]["id"] for r in receiver.received] == ["c-boris"]
    waiting = [d for d in deliveries() if d.status == DeliveryStatus.PENDING]
    assert len(waiting) == 2 and waiting[1].error == channel.WAITING and waiting[1].attempts == 0
    moved_clock.move(seconds=31)
    drain()
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["points.earned", "points.earned",
                                                                       "points.spent"]


def test_failing_for_three_days_pauses_then_resume_sends_what_failed(
        app, shop, shoppers, private_ok, receiver, moved_clock):
    sub, _ = subscribe(app, shop, receiver.url)
    receiver.answer = 500
    for day in range(4):
        record(shop, [("points.earned", f"e{day}", shoppers[day % 2].id)])
        for _ in range(24):
            drain()
            moved_clock.move(hours=1)
    with session():
        paused = WebhookSubscription.get_by_id(sub.id)
        assert paused.status == SubscriptionStatus.PAUSED and paused.paused_at is not None
        assert subscriptions.paused(shop.id) == [paused]
    record(shop, [("points.spent", "late", shoppers[0].id)])
    drain()  # paused: logged, not attempted
    refused = receiver.refused
    assert deliveries()[-1].status == DeliveryStatus.FAILED and deliveries()[-1].error == subscriptions.PAUSED
    assert WebhookSubscription.select().count() == 1  # never deleted
    receiver.answer = 204
    with session():
        resumed, queued = subscriptions.resume(shop.id, sub.uid)
    assert resumed.status == SubscriptionStatus.ACTIVE and queued == 5
    for _ in range(3):
        drain()
    assert receiver.refused == refused
    types = sorted(json.loads(r.body)["type"] for r in receiver.received)
    assert types == ["points.earned"] * 4 + ["points.spent"]
    # resumed with a full round of retries: each counts the one attempt that delivered it
    assert [(d.status, d.attempts) for d in deliveries()] == [(DeliveryStatus.SENT, 1)] * 5


def test_a_dns_answer_that_changes_is_checked_again_before_sending(app, shop, shoppers, job_env, monkeypatch,
                                                                   moved_clock):
    answers = {"hooks.example.com": ["93.184.216.34"]}
    monkeypatch.setattr(guard, "resolve", lambda host, port: answers[host])
    subscribe(app, shop, "https://hooks.example.com/loyalty")
    record(shop, [("points.earned", "e1", shoppers[0].id)])
    answers["hooks.example.com"] = ["93.184.216.34", "10.0.0.7"]  # now aimed at the operator's network
    assert drain() == 0
    [d] = deliveries()
    assert d.status == DeliveryStatus.PENDING and d.attempts == 1
    assert d.error == "refused: url host hooks.example.com resolves to a non-public address (10.0.0.7)"


def test_the_connection_goes_to_the_address_that_was_checked(app, shop, shoppers, job_env, receiver,
                                                             monkeypatch, moved_clock):
    """hooks.invalid never resolves (RFC 6761): the delivery arrives only because it went to the
    address the guard checked, with the host's own name in Host."""
    port = receiver.server.server_address[1]
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["127.0.0.1"])
    monkeypatch.setattr(guard, "public", lambda address: True)  # loopback stands in for a public address
    monkeypatch.setattr(guard, "target", lambda url: ("hooks.invalid", port))  # and http for https
    subscribe(app, shop, f"http://hooks.invalid:{port}/loyalty")
    record(shop, [("points.earned", "e1", shoppers[0].id)])
    assert drain() == 1
    assert receiver.received[0].headers["host"] == f"hooks.invalid:{port}"


def test_replay_sends_one_message_again_and_everything_since_a_time(
        app, shop, shoppers, private_ok, receiver, moved_clock):
    sub, _ = subscribe(app, shop, receiver.url)
    uids = record(shop, [("points.earned", "e1", shoppers[0].id)])
    drain()
    moved_clock.move(hours=1)
    since = clock.now()
    later = [("points.spent", "s1", shoppers[0].id), ("points.earned", "e2", shoppers[1].id)]
    uids += record(shop, later)[1:]
    drain()
    assert len(receiver.received) == 3
    with session():
        assert subscriptions.replay_message(shop.id, sub.uid, uids[0]) == 1
    drain()
    with session():
        assert subscriptions.replay_since(shop.id, sub.uid, since) == 2
    drain()
    assert [r.headers["webhook-id"] for r in receiver.received] == uids + [uids[0]] + uids[1:]


def test_replay_reaches_a_subscription_made_after_the_messages(app, shop, shoppers, private_ok, receiver,
                                                               moved_clock):
    record(shop, [("points.earned", "e1", shoppers[0].id), ("reward.issued", "r1", shoppers[0].id)])
    drain()
    sub, _ = subscribe(app, shop, receiver.url, ["points.earned"])
    with session():
        assert subscriptions.replay_since(shop.id, sub.uid, clock.now().replace(year=2020)) == 1
    drain()
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["points.earned"]
