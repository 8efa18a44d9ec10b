"""Liveness with real processes: workers killed with SIGKILL, a Redis of the test's own killed,
restarted and frozen. PostgreSQL + Redis only (the embedded default has neither worker nor Redis).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import pytest
import redis

from plugin.core.db import session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, Event, LedgerEntry
from plugin.core.status import EventStatus
from plugin.pipeline import jobs, queue
from tests.helpers import fixture_json
from webhooks import inbox
from webhooks.topics import REGISTRY

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
BOUND = 60  # seconds a test waits for progress before it calls the pipeline stalled
KILLS = 10


@pytest.fixture(autouse=True)
def redis_only(backend):
    if backend == "sqlite":
        pytest.skip("the embedded default has no Redis and no worker process")


def order(n: int) -> dict:
    return {**ORDER, "id": 5000 + n}


def wait_for(condition, what: str, bound: float = BOUND):
    """Poll until ``condition()`` is truthy; fail naming ``what`` after ``bound`` seconds."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"no progress within {bound} s: {what}")


def applied() -> int:
    with session():
        return Event.select().where(Event.status == EventStatus.APPLIED).count()


class RedisServer:
    """A redis-server of the test's own on a free port, without persistence: a restart loses all."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        wait_for(lambda: _pings(client), "redis-server starting", 10)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def frozen(self) -> bool:
        """True while the server is stopped by SIGSTOP (state T in /proc)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] == "T"


def _pings(client: redis.Redis) -> bool:
    try:
        return client.ping()
    except redis.RedisError:
        return False


@pytest.fixture
def own_redis(app, tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    queue.configure(server.url, app.extensions["loyalty"].settings.batch_size)
    yield server
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGCONT)
        server.kill()


def loyalty(app, *args: str, redis: RedisServer, batch_size: int = 200) -> subprocess.Popen:
    """Start `loyalty ...` on the test's own Redis (other test runs share the shared server's
    dbs), its output in a log file beside that server's directory, to read when a test fails."""
    settings = app.extensions["loyalty"].settings
    env = {**os.environ, "LOYALTY_DATABASE_URL": settings.database_url, "LOYALTY_REDIS_URL": redis.url,
           "LOYALTY_SECRET_KEY": settings.secret_key,
           "LOYALTY_BATCH_SIZE": str(batch_size), "SHOPIFY_API_KEY": "", "SHOPIFY_API_SECRET": ""}
    command = [str(Path(sys.executable).with_name("loyalty")), *args]
    with open(redis.directory / f"{args[0]}-{time.monotonic_ns()}.log", "wb") as log:
        return subprocess.Popen(command, env=env, start_new_session=True, stdout=log, stderr=log)


def stop(process: subprocess.Popen) -> None:
    """SIGKILL the process and every process under it (rq's work horse has a group of its own)."""
    for pid in [process.pid, *_descendants(process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def _descendants(pid: int) -> list[int]:
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def assert_applied_exactly_once(count: int) -> None:
    with session():
        assert Event.select().where(Event.status != EventStatus.APPLIED).count() == 0
        keys = [e.idempotency_key for e in LedgerEntry.select().where(LedgerEntry.kind == EntryKind.EARN)]
    assert len(keys) == len(set(keys)) == count


def test_a_worker_killed_mid_batch_ten_times_stalls_nothing(app, shop, postgres_url, own_redis):
    events = 600
    with session():
        for n in range(events):
            inbox.store(shop, "shopify", "orders/paid", f"d-{n}", "{}",
                        REGISTRY["shopify"]["orders/paid"](order(n)))
        jobs.apply_batch(shop.id, 1)  # the customer exists now: every batch updates its row
        customer_id = Customer.get().id
    cron = loyalty(app, "cron", redis=own_redis)
    blocker, watcher = psycopg2.connect(postgres_url), psycopg2.connect(postgres_url)
    watcher.autocommit = True  # pg_stat_activity is a snapshot per transaction
    waits = []
    try:
        worker = loyalty(app, "worker", "--no-cron", redis=own_redis, batch_size=10)
        for _ in range(KILLS):
            with blocker.cursor() as cursor:  # the next batch waits on this lock: mid-batch
                cursor.execute("SELECT id FROM customer WHERE id = %s FOR UPDATE",
                               (customer_id,))
            wait_for(lambda: _waiting_on_a_lock(watcher), "a worker blocked inside a batch")
            stop(worker)
            killed_at, done = time.monotonic(), applied()
            blocker.rollback()
            worker = loyalty(app, "worker", "--no-cron", redis=own_redis, batch_size=10)
            wait_for(lambda: applied() > done, "applying after a worker was killed")  # noqa: B023
            waits.append(time.monotonic() - killed_at)
        wait_for(lambda: applied() == events, "every event applied")
    finally:
        blocker.close()
        watcher.close()
        stop(worker)
        stop(cron)
    print(f"\nlongest wait before applying resumed after SIGKILL: {max(waits):.1f} s "  # noqa: T201
          f"(all: {', '.join(f'{w:.1f}' for w in waits)})")
    assert_applied_exactly_once(events)


def _waiting_on_a_lock(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND datname = current_database()")
        return cursor.fetchone()[0] > 0


def test_a_worker_survives_redis_killed_and_restarted_and_applies_every_event(
        app, shop, post_webhook, own_redis):
    worker = loyalty(app, "worker", redis=own_redis)
    try:
        for n in range(3):
            assert post_webhook("orders/paid", order(n)).status_code == 200
        wait_for(lambda: applied() == 3, "events applied before the outage")
        own_redis.kill()
        for n in range(3, 6):  # their rings fail: only the sweep of the worker's cron finds them
            assert post_webhook("orders/paid", order(n)).status_code == 200
        time.sleep(6)  # the worker and its cron meet the outage (not an assertion on time)
        own_redis.start()  # empty: every queued job and doorbell is gone
        restarted_at = time.monotonic()
        wait_for(lambda: applied() == 6, "the events of the outage applied after Redis came back")
        print(f"\nevents of a Redis outage applied {time.monotonic() - restarted_at:.1f} s "  # noqa: T201
              "after Redis came back")
        for n in range(6, 9):
            assert post_webhook("orders/paid", order(n)).status_code == 200
        wait_for(lambda: applied() == 9, "new events applied after the outage")
        assert worker.poll() is None, "the worker process exited"
    finally:
        stop(worker)
    assert_applied_exactly_once(9)


def test_a_frozen_redis_does_not_delay_the_webhook_answer(app, shop, post_webhook, own_redis):
    own_redis.process.send_signal(signal.SIGSTOP)
    # A ring that waits on Redis (2 s before the fix) comes back only after this thaw.
    thaw = threading.Timer(1.5, own_redis.process.send_signal, (signal.SIGCONT,))
    thaw.start()
    try:
        started = time.monotonic()
        response = post_webhook("orders/paid", order(1))
        took = time.monotonic() - started
        answered_while_frozen = own_redis.frozen()
    finally:
        thaw.cancel()
        own_redis.process.send_signal(signal.SIGCONT)
    print(f"\nwebhook answered in {took * 1000:.0f} ms with Redis frozen")  # noqa: T201
    assert response.status_code == 200
    assert answered_while_frozen, "the ring waited for Redis to thaw"
    with session():
        assert Event.get().status == EventStatus.PENDING  # stored; the sweep rings for it


def test_the_doorbell_connection_gives_up_within_a_tenth_of_a_second(app):
    kwargs = queue.connection().connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] <= 0.1 and kwargs["socket_connect_timeout"] <= 0.1
    assert kwargs["retry"].get_retries() == 0
