"""Ecwid allows 800 requests a minute per store (and answers 429 beyond it). Every process that
calls a store counts against one fixed one-minute window per store: in Redis when the app has it
(one INCR and EXPIRE, with a short timeout), else in this process. A full window refuses the call
with the seconds to the next one, so a job is retried later instead of sleeping."""

from __future__ import annotations

import logging
import threading
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

LIMIT = 800  # requests per store per minute (Ecwid's documented limit)
MARGIN = 40  # left for the store's other apps sharing it, and for a retry
WINDOW = 60  # seconds
TIMEOUT = 0.2  # seconds a limiter call may wait on Redis before counting in-process instead


class Limiter:
    """``take(store)``: None when the call may go, else the seconds until the next window."""

    def __init__(self, redis_url: str | None = None, limit: int = LIMIT - MARGIN, clock=time.time):
        self.limit, self.clock = limit, clock
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT,
                                          retry=Retry(NoBackoff(), 0)) if redis_url else None
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def take(self, store: str) -> int | None:
        now = self.clock()
        window = int(now // WINDOW)
        count = self._shared(store, window)
        if count is None:
            count = self._local(store, window)
        if count > self.limit:
            return max(1, int(WINDOW - now % WINDOW) + 1)
        return None

    def _shared(self, store: str, window: int) -> int | None:
        if self.redis is None:
            return None
        key = f"loyalty:ecwid:calls:{store}:{window}"
        try:
            pipe = self.redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, WINDOW * 2)
            return int(pipe.execute()[0])
        except redis.RedisError as exc:  # Redis down: each process keeps its own count meanwhile
            log.warning("Ecwid limiter counts in-process: %s", exc)
            return None

    def _local(self, store: str, window: int) -> int:
        with self._lock:
            if len(self._counts) > 10_000 or any(w != window for _, w in list(self._counts)[:1]):
                self._counts = {k: v for k, v in self._counts.items() if k[1] == window}
            key = (store, window)
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]


_limiters: dict[str | None, Limiter] = {}
_guard = threading.Lock()


def for_url(redis_url: str | None) -> Limiter:
    """One limiter per Redis URL per process (its connection pool and in-process fallback shared)."""
    with _guard:
        if redis_url not in _limiters:
            _limiters[redis_url] = Limiter(redis_url)
        return _limiters[redis_url]
