"""One way to run a job, and the doorbell that tells a worker a shop has events to apply.

``enqueue_or_run(func, *ids)`` enqueues on RQ with retry (JSON arguments) when there is Redis and
runs right here, synchronously, without (the embedded default). Ringing runs the apply job it is
given that way (at most one waiting job per shop: the doorbell key names the waiting job until it
starts). This module imports no job: the caller passes the function. Redis is only a doorbell: if
it is down or frozen the events are safe in the database and the sweep rings again, so a Redis call
gives up within RING_TIMEOUT, is logged and never fails (or delays) the caller.

A webhook receiver rings with ``ring_soon``: the shop is noted and a thread of the process rings
for every noted shop RING_INTERVAL later, so a burst costs one Redis round trip per shop per
interval instead of one per delivery, and none on the request path.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import uuid4

import peewee
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry as RedisRetry
from rq import Queue, Retry

log = logging.getLogger(__name__)

QUEUE_NAMES = ("loyalty-events", "loyalty-periodic")
EVENTS_QUEUE, PERIODIC_QUEUE = QUEUE_NAMES
#: A backstop only: the sweep re-rings a shop whose doorbell names a job no longer waiting.
DOORBELL_TTL = 600
#: Seconds a webhook's ring may wait on Redis (connect and each reply), with no retry: a frozen
#: Redis must not delay the 2xx, and the sweep finds an event whose ring gave up.
RING_TIMEOUT = 0.1
#: How long a receiver's ring waits for the rings of the same burst (an event stored meanwhile is
#: applied this much later at most; the worker takes a batch per job anyway).
RING_INTERVAL = 0.05
RETRY = Retry(max=5, interval=[5, 30, 120, 600, 1800])
FAILURE_TTL = 7 * 86400
#: Errors that mean the database itself is unwell: a job fails and RQ retries it.
INFRASTRUCTURE = (peewee.OperationalError, peewee.InterfaceError)


@dataclass
class _State:
    connection: redis.Redis | None = None
    batch_size: int = 200


_state = _State()


def configure(redis_url: str | None, batch_size: int = 200) -> None:
    """Point the doorbell at Redis (or at in-process execution when ``redis_url`` is None)."""
    _state.connection = None
    if redis_url:
        _state.connection = redis.Redis.from_url(
            redis_url, socket_timeout=RING_TIMEOUT, socket_connect_timeout=RING_TIMEOUT,
            retry=RedisRetry(NoBackoff(), 0))
    _state.batch_size = batch_size


def worker_connection(redis_url: str) -> redis.Redis:
    """A connection of its own for a worker or cron process, which may wait on Redis (rq sets
    the worker's read timeout itself); the doorbell's stays short."""
    return redis.Redis.from_url(redis_url, socket_connect_timeout=5, health_check_interval=30)


def connection() -> redis.Redis | None:
    return _state.connection


def queue(name: str = EVENTS_QUEUE) -> Queue:
    return Queue(name, connection=_state.connection, serializer="rq.serializers.JSONSerializer")


def _doorbell(shop_id: int) -> str:
    return f"loyalty:doorbell:{shop_id}"


def enqueue_or_run(func: Callable, *ids, queue_name: str = PERIODIC_QUEUE, job_id: str | None = None,
                   job_timeout: int = 3600, result_ttl: int = 3600) -> None:
    """Have ``func(*ids)`` done: by an RQ worker with Redis (retried on failure), here and now
    without. ``func`` is an importable job function taking primitive ids."""
    if _state.connection is None:
        func(*ids)
        return
    queue(queue_name).enqueue(func, *ids, retry=RETRY, job_id=job_id, job_timeout=job_timeout,
                              result_ttl=result_ttl, failure_ttl=FAILURE_TTL)


def ring(shop_id: int, job: Callable[[int, int], int], *, force: bool = False) -> None:
    """Have the shop's pending events applied by ``job(shop_id, batch_size)``: now (no Redis) or by
    a worker."""
    job_id = uuid4().hex
    try:
        if _state.connection is None or _state.connection.set(
                _doorbell(shop_id), job_id, nx=not force, ex=DOORBELL_TTL):
            enqueue_or_run(job, shop_id, _state.batch_size, queue_name=EVENTS_QUEUE, job_id=job_id,
                           job_timeout=600, result_ttl=60)
    except redis.RedisError as exc:
        log.warning("could not ring for shop %s (the sweep will): %s", shop_id, exc)
    except INFRASTRUCTURE as exc:  # stored all the same; the shop's next event applies it
        log.warning("could not apply events of shop %s now: %s", shop_id, exc)


class _Ringer:
    """The shops noted since the last ring, rung together by a thread of this process. A process
    that dies with shops noted leaves their events pending: the sweep rings for them."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Empty, with no thread: also a forked child's state (it has none of the parent's
        threads, and may have caught the lock held)."""
        self._lock = threading.Lock()
        self._due: dict[int, Callable[[int, int], int]] = {}
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def note(self, shop_id: int, job: Callable[[int, int], int]) -> None:
        with self._lock:
            self._due[shop_id] = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="loyalty-doorbell", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(RING_INTERVAL)
            self._wake.clear()  # before taking the shops: a note after this wakes the next round
            try:
                self.ring_due()
            except Exception:  # the thread must outlive any one round; the sweep rings for it
                log.exception("the doorbell thread could not ring")

    def ring_due(self) -> None:
        with self._lock:
            due, self._due = self._due, {}
        for shop_id, job in due.items():
            ring(shop_id, job)


_ringer = _Ringer()
os.register_at_fork(after_in_child=_ringer.reset)
atexit.register(_ringer.ring_due)  # a worker process stopping rings for what it noted


def ring_soon(shop_id: int, job: Callable[[int, int], int]) -> None:
    """``ring`` within RING_INTERVAL, together with the rest of the burst (the receivers' ring);
    without Redis the job runs now, as ``ring`` runs it."""
    if _state.connection is None:
        ring(shop_id, job)
    else:
        _ringer.note(shop_id, job)


def ring_noted() -> None:
    """Ring now for the shops ``ring_soon`` noted in this process (tests; the ringer's own round)."""
    _ringer.ring_due()


def ring_unless_waiting(shop_id: int, job: Callable[[int, int], int]) -> None:
    """The sweep's ring: skip a shop whose doorbell names a job still in the queue, ring anew when
    that job was taken by a worker that died, was lost with Redis, or never got enqueued."""
    if _state.connection is not None:
        try:
            job_id = _state.connection.get(_doorbell(shop_id))
            if job_id is not None and _state.connection.lpos(queue().key, job_id) is not None:
                return
        except redis.RedisError as exc:
            log.warning("could not check the doorbell of shop %s: %s", shop_id, exc)
            return
    ring(shop_id, job, force=True)


def clear_doorbell(shop_id: int) -> None:
    """Called as a job starts, so events that arrive while it runs ring again."""
    if _state.connection is None:
        return
    try:
        _state.connection.delete(_doorbell(shop_id))
    except redis.RedisError as exc:
        log.warning("could not clear the doorbell of shop %s: %s", shop_id, exc)
