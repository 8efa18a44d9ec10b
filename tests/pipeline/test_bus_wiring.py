"""The appliers and the ledger publish facts on the bus; one way to run a job (enqueue_or_run)."""

from __future__ import annotations

import pytest

from plugin.core import bus, facts
from plugin.core.db import session
from plugin.core.models import Event
from plugin.pipeline import bootstrap, jobs, queue
from tests.conftest import fixture_json
from tests.pipeline.test_jobs import ORDER, orders, store

RAN: list[tuple] = []


def job(*ids) -> None:
    """An importable job function for enqueue_or_run."""
    RAN.append(ids)


@pytest.fixture
def heard(monkeypatch):
    """The facts published while a test runs, next to the wired handlers."""
    bootstrap.wire()
    seen: list = []
    for name in facts.NAMES:
        monkeypatch.setitem(bus.BUS._handlers, name, (*bus.BUS.handlers(name), seen.append))
    return seen


def test_a_batch_of_paid_orders_is_published_once_with_all_its_orders(shop, heard):
    for n, order in enumerate(orders(3)):
        store(shop, "orders/paid", order, f"d-{n}")
    with session():
        jobs.apply_pending(shop.id)
        assert Event.select().where(Event.status == "applied").count() == 3
    applied = [f for f in heard if f.name == facts.ORDER_APPLIED]
    assert len(applied) == 1
    assert [row["platform_id"] for row in applied[0].orders] == ["1000", "1001", "1002"]
    assert sorted(applied[0].events) == ["1000", "1001", "1002"]
    earned = [f for f in heard if f.name == facts.POINTS_EARNED and f.kind == "earn"]
    assert len(earned) == 1 and sorted(earned[0].lots) == [f"order:{1000 + n}:earn" for n in range(3)]


def test_a_refund_publishes_what_it_took_back_then_the_refund(shop, heard):
    refund = "shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json"
    store(shop, "orders/paid", fixture_json(ORDER), "d-order")
    store(shop, "refunds/create", fixture_json(refund), "d-refund")
    with session():
        jobs.apply_pending(shop.id)
    names = [f.name for f in heard]
    assert names.index(facts.POINTS_TAKEN) < names.index(facts.ORDER_REFUNDED)
    taken = next(f for f in heard if f.name == facts.POINTS_TAKEN)
    assert (taken.kind, taken.points) == ("reverse", 10)


def test_without_redis_a_job_runs_here_and_now(app, monkeypatch):
    monkeypatch.setattr(queue._state, "connection", None)
    RAN.clear()
    assert queue.enqueue_or_run(job, 7, 8) is None
    assert RAN == [(7, 8)]


def test_with_redis_a_job_is_enqueued_as_json_with_retry(app, backend):
    if backend == "sqlite":
        pytest.skip("the embedded default has no Redis: jobs run in the web process")
    RAN.clear()
    queue.enqueue_or_run(job, 7, 8, job_id="bus-test-job")
    enqueued = queue.queue(queue.PERIODIC_QUEUE).fetch_job("bus-test-job")
    assert RAN == [] and enqueued.args == [7, 8]  # a list: read back as JSON (pickle keeps a tuple)
    assert enqueued.retries_left == queue.RETRY.max and enqueued.func_name.endswith("test_bus_wiring.job")
    enqueued.delete()
