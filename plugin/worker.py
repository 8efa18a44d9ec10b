"""`loyalty worker`: an RQ worker on the loyalty queues, with the cron scheduler beside it."""

from __future__ import annotations

import multiprocessing

from rq import Worker
from rq.serializers import JSONSerializer

from plugin import db, queue
from plugin.config import Settings
from plugin.crypto import Vault
from webhooks import shopify_payloads


def _run_cron(settings: Settings) -> None:
    from plugin import cron

    queue.configure(settings.redis_url, settings.batch_size)
    cron.scheduler(queue.connection()).start()


def run(settings: Settings, *, burst: bool = False, with_cron: bool = True) -> None:
    """Work the events and periodic queues until stopped (or until empty, with ``burst``)."""
    db.bind(settings.database_url)
    queue.configure(settings.redis_url, settings.batch_size)
    # Jobs map raw bodies now: key the IP and address fingerprints as the web app does.
    shopify_payloads.use_fingerprint_key(Vault(settings.secret_key).derive("fingerprint", 0).encode())
    cron = None
    if with_cron:
        cron = multiprocessing.Process(target=_run_cron, args=(settings,), name="loyalty-cron",
                                       daemon=True)
        cron.start()
    try:
        worker = Worker([queue.queue(name) for name in queue.QUEUE_NAMES],
                        connection=queue.connection(), serializer=JSONSerializer)
        worker.work(with_scheduler=True, burst=burst)
    finally:
        if cron is not None and cron.is_alive():
            cron.terminate()
            cron.join(5)


def run_cron(settings: Settings) -> None:
    """The cron scheduler alone, for deployments that run it as its own process."""
    db.bind(settings.database_url)
    _run_cron(settings)
