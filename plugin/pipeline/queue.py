"""One way to run a job, and the doorbell that tells a worker a shop has events to apply.

``enqueue_or_run(func, *ids)`` enqueues on RQ with retry (JSON arguments) when there is Redis and
runs right here, synchronously, without (the embedded default). Ringing runs the apply job it is
given that way (at most one waiting job per shop: the doorbell key names the waiting job until it
starts). This module imports no job: the caller passes the function. Redis is only a doorbell: if
it is down or frozen the events are safe in the database and the sweep rings again, so a Redis call
gives up within RING_TIMEOUT, is logged and never fails (or delays) the caller.
"""

from __future__ import annotations

import logging
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
