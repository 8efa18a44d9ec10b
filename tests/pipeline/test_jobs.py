"""The apply job, the doorbell, the sweep and the cron: failures, outages and replays."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import peewee
import pytest

from plugin import ledger
from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Event, LedgerEntry, Lot, OutboxMessage
from plugin.core.status import EventStatus
from plugin.customers import shops
from plugin.ledger import audit
from plugin.pipeline import apply, cron, jobs, queue
from tests.helpers import APP_SECRET, SHOP_DOMAIN, fixture_json, in_threads
from webhooks import inbox
from webhooks.signatures import shopify_sign
from webhooks.topics import REGISTRY, Mapped

ORDER = "shopify/rest2025-07_order_450789469__GET_orders_450789469.json"


def store(shop, topic: str, body: dict, delivery: str) -> Event:
    with session():
        return inbox.store(shop, "shopify", topic, delivery, "{}", REGISTRY["shopify"][topic](body))


def orders(count: int) -> list[dict]:
    out = []
    for n in range(count):
        order = fixture_json(ORDER)
        order["id"] = 1000 + n
        out.append(order)
    return out


def test_failing_event_is_marked_failed_and_the_rest_of_the_batch_lands(shop):
    with session():
        inbox.store(shop, "shopify", "orders/paid", "d-bad", "{}", Mapped("order.paid", {}, "k-bad"))
    store(shop, "orders/paid", fixture_json(ORDER), "d-good")
    with session():
        assert jobs.apply_pending(shop.id) == 2
        events = list(Event.select().order_by(Event.id))
        assert [e.status for e in events] == ["failed", "applied"]
        assert events[0].error == "KeyError: 'order_id'" and events[0].attempts == 1
        assert LedgerEntry.select().count() == 1


def test_event_of_unknown_kind_fails_with_its_name(shop):
    with session():
        inbox.store(shop, "shopify", "x", "d", "{}", Mapped("bogus.kind", {}))
        jobs.apply_pending(shop.id)
        assert "bogus.kind" in Event.get().error


def test_database_failure_mid_batch_rolls_back_the_whole_batch(shop, monkeypatch):
    for n, order in enumerate(orders(3)):
        store(shop, "orders/paid", order, f"d-{n}")
    real = ledger.grant_many

    def dies_after_writing(*args, **kwargs):
        real(*args, **kwargs)  # the lots and entries are written, then the connection drops
        raise peewee.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(ledger, "grant_many", dies_after_writing)
    with session(), pytest.raises(peewee.OperationalError):
        jobs.apply_pending(shop.id)
    with session():
        assert {e.status for e in Event.select()} == {"pending"}
        assert LedgerEntry.select().count() == 0
    monkeypatch.setattr(ledger, "grant_many", real)
    with session():  # RQ's retry runs the job again: everything lands, once
        assert jobs.apply_pending(shop.id) == 3
        assert LedgerEntry.select().count() == 3


def test_a_bulk_failure_falls_back_to_one_by_one_and_records_the_culprit(shop):
    store(shop, "orders/paid", orders(1)[0], "d-good")
    with session():  # an order.paid whose stored payload lacks its lines
        inbox.store(shop, "shopify", "orders/paid", "d-bad", "{}",
                    Mapped("order.paid", {"order_id": "77", "customer": None, "currency": "USD"}, "k"))
    store(shop, "orders/paid", orders(2)[1], "d-good-2")
    with session():
        jobs.apply_pending(shop.id)
        events = list(Event.select().order_by(Event.id))
        assert [e.status for e in events] == ["applied", "failed", "applied"]
        assert events[1].error == "KeyError: 'lines'"
        assert LedgerEntry.select().count() == 2


def test_a_backlog_is_applied_in_batches_in_arrival_order_by_chained_jobs(shop, monkeypatch, drain):
    monkeypatch.setattr(jobs, "MAX_BATCHES_PER_JOB", 2)
    for n, order in enumerate(orders(7)):
        store(shop, "orders/paid", order, f"d-{n}")
    with session():
        first_job = jobs.apply_pending(shop.id, batch_size=2)
    drain()  # the first job handed the rest over to the next (queued, or run in-process)
    with session():
        entries = [e.idempotency_key for e in LedgerEntry.select().order_by(LedgerEntry.id)]
    assert first_job >= 4
    assert entries == [f"order:{1000 + n}:earn" for n in range(7)]


@pytest.fixture
def redis_only(backend):
    if backend == "sqlite":
        pytest.skip("the embedded default has no Redis: jobs run in the web process")


def test_redis_outage_loses_nothing_the_sweep_catches_up(redis_only, app, shop, post_webhook, drain):
    settings = app.extensions["loyalty"].settings
    queue.configure("redis://127.0.0.1:1/0", settings.batch_size)  # nothing listens there
    response = post_webhook("orders/paid", fixture_json(ORDER))
    assert response.status_code == 200
    queue.configure(settings.redis_url, settings.batch_size)  # Redis is back, the doorbell is lost
    drain()
    with session():
        assert Event.get().status == EventStatus.PENDING
    clock.set_source(lambda: clock.datetime.now(clock.UTC) + timedelta(minutes=5))
    assert jobs.sweep() == 1
    drain()
    with session():
        assert Event.get().status == EventStatus.APPLIED
        assert LedgerEntry.get().delta == 29


def test_a_burst_of_webhooks_rings_one_job(redis_only, shop, post_webhook, drain):
    for order in orders(5):
        assert post_webhook("orders/paid", order).status_code == 200
    assert queue.queue().count == 1
    drain()
    with session():
        assert Event.select().where(Event.status == EventStatus.APPLIED).count() == 5


def _sets(connection) -> int:
    return int(connection.info("commandstats").get("cmdstat_set", {}).get("calls", 0))


def test_a_burst_of_webhooks_costs_no_redis_round_trip_on_the_request_and_one_ring(
        redis_only, shop, client, monkeypatch, drain):
    class Held(queue._Ringer):
        def _run(self) -> None:  # its thread ends at once: only ring_noted rings
            pass

    monkeypatch.setattr(queue, "_ringer", Held())
    connection = queue.connection()
    before = _sets(connection)
    for order in orders(20):
        raw = json.dumps(order).encode()
        response = client.post("/webhooks/shopify", data=raw, headers={
            "Content-Type": "application/json", "X-Shopify-Topic": "orders/paid",
            "X-Shopify-Shop-Domain": SHOP_DOMAIN, "X-Shopify-Webhook-Id": f"burst-{order['id']}",
            "X-Shopify-Hmac-Sha256": shopify_sign(APP_SECRET, raw)})
        assert response.status_code == 200
    assert _sets(connection) == before and queue.queue().count == 0  # answered, nothing rung yet
    queue.ring_noted()
    assert _sets(connection) == before + 1 and queue.queue().count == 1
    drain()
    with session():
        assert Event.select().where(Event.status == EventStatus.APPLIED).count() == 20


def test_the_doorbell_thread_rings_for_a_webhook_by_itself(redis_only, shop, client):
    raw = json.dumps(orders(1)[0]).encode()
    client.post("/webhooks/shopify", data=raw, headers={
        "Content-Type": "application/json", "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Shop-Domain": SHOP_DOMAIN, "X-Shopify-Webhook-Id": "alone",
        "X-Shopify-Hmac-Sha256": shopify_sign(APP_SECRET, raw)})
    deadline = time.monotonic() + 30  # RING_INTERVAL is 50 ms: generous for a busy machine
    while queue.queue().count == 0:
        assert time.monotonic() < deadline, "the doorbell thread never rang"
        time.sleep(0.01)
    assert queue.queue().count == 1


def test_cron_jobs_are_json_jobs_our_worker_runs(redis_only, shop, drain):
    scheduler = cron.scheduler(queue.connection())
    names = {job.func_name for job in scheduler.get_jobs()}
    assert names == {"plugin.pipeline.jobs.sweep", "plugin.platforms.shopify.tokens.refresh_expiring_tokens",
                     "plugin.ledger.expiry.expire_due", "plugin.ledger.expiry.warn_expiring",
                     "plugin.earn.birthdays.grant_birthdays", "plugin.spend.redemption.release_expired",
                     "plugin.spend.redemption.retry_releasing",
                     "plugin.spend.copurchase.update_copurchases",
                     "plugin.earn.referrals.rewards.reward_due", "plugin.tiers.runs.reevaluate_all",
                     "plugin.tiers.sync.sync_all", "plugin.reports.rollups.roll_up_recent",
                     "plugin.core.idempotency.purge_expired", "plugin.pipeline.platform_jobs.reconcile_all",
                     "plugin.pipeline.platform_jobs.retry_unread",
                     "plugin.notify.jobs.drain", "plugin.notify.retention.purge_old",
                     "plugin.notify.campaigns.announce_started"}
    for job in scheduler.get_jobs():
        job.enqueue(queue.connection())
    drain()
    periodic = queue.queue(queue.PERIODIC_QUEUE)
    assert periodic.count == 0
    assert periodic.failed_job_registry.count == 0


def test_refund_ahead_of_its_order_in_one_batch_is_applied_in_that_job(shop):
    refund = fixture_json("shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json")
    store(shop, "refunds/create", refund, "d-refund")
    store(shop, "orders/paid", fixture_json(ORDER), "d-order")
    with session():
        jobs.apply_pending(shop.id)
        assert [e.status for e in Event.select().order_by(Event.id)] == ["applied", "applied"]
        assert sum(e.delta for e in LedgerEntry.select()) == 19


def test_sweep_releases_a_refund_left_waiting_by_a_concurrent_worker(shop, drain):
    refund = fixture_json("shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json")
    store(shop, "orders/paid", fixture_json(ORDER), "d-order")
    with session():
        jobs.apply_pending(shop.id)
    waiting = store(shop, "refunds/create", refund, "d-refund")
    with session():  # as if judged by a worker that could not yet see the order
        Event.update(status=EventStatus.WAITING).where(Event.id == waiting.id).execute()
    clock.set_source(lambda: clock.datetime.now(clock.UTC) + timedelta(minutes=5))
    assert jobs.sweep() == 1
    drain()
    with session():
        assert Event.get_by_id(waiting.id).status == EventStatus.APPLIED
        assert sum(e.delta for e in LedgerEntry.select()) == 19


def test_the_sweep_rings_once_for_a_shop_whose_job_is_still_waiting(redis_only, shop):
    store(shop, "orders/paid", orders(1)[0], "d-1")  # stored, never rung
    clock.set_source(lambda: clock.datetime.now(clock.UTC) + timedelta(minutes=1))
    jobs.sweep()
    jobs.sweep()
    assert queue.queue().count == 1


def test_the_sweep_rings_again_when_the_doorbell_names_a_job_that_is_gone(redis_only, shop,
                                                                          post_webhook, drain):
    assert post_webhook("orders/paid", orders(1)[0]).status_code == 200
    taken = queue.queue().get_job_ids()
    queue.queue().remove(taken[0])  # as if a worker took the job and died with it
    clock.set_source(lambda: clock.datetime.now(clock.UTC) + timedelta(minutes=1))
    jobs.sweep()
    assert queue.queue().get_job_ids() not in ([], taken)
    drain()
    with session():
        assert Event.get().status == EventStatus.APPLIED


def test_concurrent_jobs_on_two_shops_apply_each_shops_events_in_arrival_order(shop):
    """Two jobs per shop, two shops, all at once (as several workers would run them): each shop's
    batches still land one after the other in arrival order, and a refund that overtook its order
    is applied by the job that applies the order, not left waiting for the sweep."""
    refund = fixture_json("shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json")
    with session():
        other, _ = shops.register("shopify", "other-shop.myshopify.com", own_webhook_secret=False)
    for target in (shop, other):
        for n, order in enumerate(orders(10)):
            ahead = n % 3 == 1  # this order's refund arrives just before it, else just after
            body = {**refund, "id": 5000 + n, "order_id": order["id"]}
            if ahead:
                store(target, "refunds/create", body, f"r-{target.id}-{n}")
            store(target, "orders/paid", order, f"o-{target.id}-{n}")
            if not ahead:
                store(target, "refunds/create", body, f"r-{target.id}-{n}")

    def job(shop_id: int) -> None:
        with session():
            jobs.apply_pending(shop_id, batch_size=3)

    in_threads(job, [(shop.id,), (other.id,), (shop.id,), (other.id,)])
    with session():
        for target in (shop, other):
            assert {e.status for e in Event.select().where(Event.shop == target.id)} == {"applied"}
            earned = [e.event_id for e in LedgerEntry.select().where(
                (LedgerEntry.shop == target.id) & (LedgerEntry.kind == "earn")).order_by(LedgerEntry.id)]
            assert len(earned) == 10 and earned == sorted(earned)
            keys = [e.idempotency_key for e in LedgerEntry.select().where(
                LedgerEntry.shop == target.id).order_by(LedgerEntry.id)]
            assert all(keys.index(f"order:{1000 + n}:earn") < keys.index(f"refund:{5000 + n}")
                       for n in range(10))


def batch_sizes(monkeypatch, name: str) -> list[int]:
    """The size of each group of events ``apply.<name>`` is handed, recorded as it runs."""
    sizes, real = [], getattr(apply, name)
    monkeypatch.setattr(apply, name,
                        lambda shop_id, events: sizes.append(len(events)) or real(shop_id, events))
    return sizes


def test_a_batchs_sign_ups_apply_together_unless_another_event_touches_their_customer(shop, monkeypatch):
    """Sign-ups are granted together, ahead of the refunds applied one by one; a sign-up whose
    customer a refund of the same batch touches keeps its place among those, in arrival order."""
    customer = fixture_json("shopify/rest2025-07_customer_created__POST_customers.json")
    refund = fixture_json("shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json")
    order = fixture_json(ORDER)  # Bob's (customer 207119551)
    store(shop, "orders/paid", order, "d-order")
    for n, pid in enumerate((207119551, 31, 32)):
        store(shop, "customers/create", {**customer, "id": pid, "email": f"c{n}@example.com"}, f"d-c{n}")
    store(shop, "refunds/create", refund, "d-refund")
    together = batch_sizes(monkeypatch, "customers_created")
    with session():
        assert jobs.apply_pending(shop.id) == 5
        assert {e.status for e in Event.select()} == {"applied"}
        bonuses = {e.customer.platform_id: e.delta for e in LedgerEntry.select().where(
            LedgerEntry.kind == "bonus")}
    assert together == [2, 1]  # 31 and 32 together; Bob's alone, in arrival order before his refund
    assert bonuses == {"207119551": 100, "31": 100, "32": 100}


REFUND = "shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json"


def refund_of(order: dict, n: int) -> dict:
    return {**fixture_json(REFUND), "id": 5000 + n, "order_id": order["id"]}


def test_a_batchs_refunds_apply_together_each_from_its_own_orders_lot(shop, monkeypatch):
    paid = orders(3)
    for n, order in enumerate(paid):
        store(shop, "orders/paid", order, f"d-{n}")
    with session():
        jobs.apply_pending(shop.id)
    for n, order in enumerate(paid):
        store(shop, "refunds/create", refund_of(order, n), f"d-r{n}")
    together = batch_sizes(monkeypatch, "orders_refunded")
    with session():
        assert jobs.apply_pending(shop.id) == 3
        assert {e.status for e in Event.select()} == {"applied"}
        taken = {e.idempotency_key: e.lot.source
                 for e in LedgerEntry.select().where(LedgerEntry.kind == "reverse")}
        assert sum(e.delta for e in LedgerEntry.select()) == 3 * 19  # as one refund alone leaves
        assert OutboxMessage.select().where(OutboxMessage.type == "points.reversed").count() == 3
        assert audit.check() == []
    assert together == [3]
    assert taken == {f"refund:{5000 + n}": f"order:{1000 + n}" for n in range(3)}


def test_a_refund_its_lot_cannot_cover_goes_one_by_one_with_its_customers_other_refunds(shop, monkeypatch):
    """Bob spent his first order's points: its refund takes from his other lots (one by one, in
    arrival order, his second refund after it); Carol's refund still goes with the batch."""
    paid = orders(3)
    paid[2]["customer"] = {**paid[2]["customer"], "id": 42, "email": "carol@example.com"}
    for n, order in enumerate(paid):
        store(shop, "orders/paid", order, f"d-{n}")
    with session():
        jobs.apply_pending(shop.id)
        first = Lot.get(Lot.source == "order:1000")
        ledger.spend(first.customer, "regular", first.remaining, key="spent-first")
    for n, order in enumerate(paid):
        store(shop, "refunds/create", refund_of(order, n), f"d-r{n}")
    left = []
    real = apply.orders_refunded
    monkeypatch.setattr(apply, "orders_refunded",
                        lambda shop_id, events: left.append(real(shop_id, events)) or left[-1])
    with session():
        jobs.apply_pending(shop.id)
        taken = [(e.idempotency_key, e.lot.source) for e in LedgerEntry.select().where(
            LedgerEntry.kind == "reverse").order_by(LedgerEntry.id)]
        assert {e.status for e in Event.select()} == {"applied"}
        assert audit.check() == []
    assert [[e.business_key for e in events] for events in left] == [
        ["order.refunded:5000", "order.refunded:5001"]]
    assert taken[0] == ("refund:5002", "order:1002")  # Carol's, with the batch
    assert taken[1] == ("refund:5000", "order:1001")  # Bob's first, from his second order's lot
    assert taken[-1][0].startswith("refund:5001")
