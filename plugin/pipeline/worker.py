"""`loyalty worker`: an RQ worker on the loyalty queues, with the cron scheduler beside it.

Redis is only a doorbell, so losing it must not stop either of them. rq's Worker.work retries a
failed dequeue by itself but quits on a Redis error anywhere else (heartbeat, job bookkeeping),
and CronScheduler.start quits on any; here each is started again, after a pause that grows up to
MAX_PAUSE, until a signal asks it to stop. Nothing of rq is patched.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from collections.abc import Iterator

import redis
from rq import Queue, Worker
from rq.exceptions import StopRequested
from rq.serializers import JSONSerializer

from plugin.config import Settings
from plugin.core import db
from plugin.core.crypto import Vault
from plugin.notify.email import transport as mail_transport
from plugin.pipeline import bootstrap, cron, queue
from webhooks.shopify import payloads as shopify_payloads

log = logging.getLogger(__name__)

#: The longest pause between two attempts to reach Redis again, in seconds.
MAX_PAUSE = 5.0
#: rq requeues a dead worker's jobs (StartedJobRegistry, the intermediate queue) at maintenance.
MAINTENANCE_INTERVAL = 60


def pauses() -> Iterator[float]:
    """1, 2, 4 ... seconds, then MAX_PAUSE for as long as it takes."""
    pause = 1.0
    while True:
        yield pause
        pause = min(pause * 2, MAX_PAUSE)


class LoyaltyWorker(Worker):
    """rq's Worker that remembers a stop was asked for, so ``run`` does not start it again."""

    max_connection_wait_time = MAX_PAUSE  # rq's own backoff while dequeuing (60 s by default)
    stop_requested = False

    def request_stop(self, signum, frame):
        self.stop_requested = True
        super().request_stop(signum, frame)

    def subscribe(self) -> None:
        """rq's command channel, polled every second: rq's 60 s poll made every stop (a deploy's
        SIGTERM, a restart after an outage) wait up to a minute for the pubsub thread to end."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler)


class _Stop:
    """A signal handler for the pauses between two workers: remember, and let the pause end."""

    requested = False

    def __call__(self, signum, frame) -> None:
        self.requested = True

    def listen(self) -> None:
        """Take SIGINT and SIGTERM back from a worker that is gone (its handlers talk to Redis)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self)

    def pause(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` unless a stop is asked for; True when one was."""
        deadline = time.monotonic() + seconds
        while not self.requested and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.requested


def _reachable(connection: redis.Redis) -> bool:
    try:
        return bool(connection.ping())
    except redis.RedisError as exc:
        log.warning("Redis is unreachable: %s", exc)
        return False


def _drained() -> bool:
    try:
        return all(queue.queue(name).count == 0 for name in queue.QUEUE_NAMES)
    except redis.RedisError:
        return False


def _forget(worker: Worker) -> None:
    """Stop what a worker that died on a Redis error may have left running (its pubsub thread)."""
    thread = getattr(worker, "pubsub_thread", None)
    if thread is not None and thread.is_alive():
        thread.stop(timeout=1)


def work(connection: redis.Redis, *, burst: bool = False) -> None:
    """Run workers one after the other until one stops as asked (or, with ``burst``, the
    queues are empty); between two, wait with backoff for Redis to answer again."""
    stop = _Stop()
    backoff = pauses()
    while True:
        stop.listen()
        if not _reachable(connection):
            if stop.pause(next(backoff)):
                return
            continue
        backoff = pauses()
        queues = [Queue(name, connection=connection, serializer=JSONSerializer)
                  for name in queue.QUEUE_NAMES]  # not the doorbell's 100 ms connection
        worker = LoyaltyWorker(queues, connection=connection, serializer=JSONSerializer,
                               maintenance_interval=MAINTENANCE_INTERVAL)
        try:
            worker.work(with_scheduler=True, burst=burst)
        except redis.RedisError as exc:  # raised where rq's loop does not catch (start, teardown)
            log.warning("worker %s lost Redis: %s", worker.name, exc)
        if worker.stop_requested or (burst and _drained()):
            return
        _forget(worker)
        log.warning("worker %s stopped on an error; starting a new one", worker.name)
        if stop.pause(1):
            return


def _run_cron(settings: Settings) -> None:
    queue.configure(settings.redis_url, settings.batch_size)
    cron_forever(queue.worker_connection(settings.redis_url))


def cron_forever(connection: redis.Redis) -> None:
    """rq's CronScheduler, started again after a Redis error; the jobs' next run times survive."""
    scheduler = cron.scheduler(connection)
    backoff = pauses()
    while True:
        started = time.monotonic()
        try:
            scheduler.start()
            return  # it returns when a signal asked it to stop
        except redis.RedisError as exc:
            if time.monotonic() - started > MAX_PAUSE:
                backoff = pauses()
            pause = next(backoff)
            log.warning("cron scheduler lost Redis (%s); starting again in %s s", exc, pause)
        try:
            time.sleep(pause)
        except StopRequested:  # the scheduler's own signal handler, still installed
            return


def run(settings: Settings, *, burst: bool = False, with_cron: bool = True) -> None:
    """Work the events and periodic queues until stopped (or until empty, with ``burst``)."""
    db.bind(settings.database_url, server_prepare=settings.prepared_statements)
    queue.configure(settings.redis_url, settings.batch_size)
    mail_transport.configure(settings)
    shopify_payloads.key_fingerprints(Vault(settings.secret_key))  # jobs map raw order bodies
    bootstrap.wire()  # every job's facts reach their handlers (the outbox too), not only apply's
    cron = None
    if with_cron:
        cron = multiprocessing.Process(target=_run_cron, args=(settings,), name="loyalty-cron",
                                       daemon=True)
        cron.start()
    try:
        work(queue.worker_connection(settings.redis_url), burst=burst)
    finally:
        if cron is not None and cron.is_alive():
            cron.terminate()
            cron.join(5)


def run_cron(settings: Settings) -> None:
    """The cron scheduler alone, for deployments that run it as its own process."""
    db.bind(settings.database_url, server_prepare=settings.prepared_statements)
    _run_cron(settings)
