"""The doorbell: tell a worker that a shop has events to apply.

With Redis, ringing enqueues ``apply_pending`` on RQ (at most one waiting job per shop, thanks to
a short-lived flag). Without Redis (the embedded default) the job runs right here, synchronously.
Redis is only a doorbell: if it is down the events are safe in the database and the sweep rings
again later, so a Redis error is logged and never fails the caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from rq import Queue, Retry

log = logging.getLogger(__name__)

QUEUE_NAMES = ("loyalty-events", "loyalty-periodic")
EVENTS_QUEUE, PERIODIC_QUEUE = QUEUE_NAMES
DOORBELL_TTL = 60
RETRY = Retry(max=5, interval=[5, 30, 120, 600, 1800])


@dataclass
class _State:
    connection: redis.Redis | None = None
    batch_size: int = 200


_state = _State()


def configure(redis_url: str | None, batch_size: int = 200) -> None:
    """Point the doorbell at Redis (or at in-process execution when ``redis_url`` is None)."""
    _state.connection = redis.Redis.from_url(redis_url, socket_timeout=2) if redis_url else None
    _state.batch_size = batch_size


def connection() -> redis.Redis | None:
    return _state.connection


def queue(name: str = EVENTS_QUEUE) -> Queue:
    return Queue(name, connection=_state.connection, serializer="rq.serializers.JSONSerializer")


def _doorbell(shop_id: int) -> str:
    return f"loyalty:doorbell:{shop_id}"


def ring(shop_id: int, *, force: bool = False) -> None:
    """Have the shop's pending events applied: now (no Redis) or by a worker."""
    from plugin.jobs import INFRASTRUCTURE, apply_pending

    if _state.connection is None:
        try:
            apply_pending(shop_id, _state.batch_size)
        except INFRASTRUCTURE as exc:  # stored all the same; the shop's next event applies it
            log.warning("could not apply events of shop %s now: %s", shop_id, exc)
        return
    try:
        if force or _state.connection.set(_doorbell(shop_id), 1, nx=True, ex=DOORBELL_TTL):
            queue().enqueue(apply_pending, shop_id, _state.batch_size, retry=RETRY,
                            job_timeout=600, result_ttl=60, failure_ttl=7 * 86400)
    except redis.RedisError as exc:
        log.warning("could not ring for shop %s (the sweep will): %s", shop_id, exc)


def clear_doorbell(shop_id: int) -> None:
    """Called as a job starts, so events that arrive while it runs ring again."""
    if _state.connection is None:
        return
    try:
        _state.connection.delete(_doorbell(shop_id))
    except redis.RedisError as exc:
        log.warning("could not clear the doorbell of shop %s: %s", shop_id, exc)
