"""One RQ worker in burst mode, built as plugin/pipeline/worker.py builds `loyalty worker`'s, timed.

    python tests/bench/burst_worker.py --database-url URL --redis-url URL [--batch-size B] QUEUE...

Started as a fresh process by bench_apply.py so that its forked work horses are as small as a real
worker's. Prints one JSON line: wall-clock start/end (time.time), whether jobs were processed, and the CPU
seconds the worker and its work horses used.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import benchlib  # noqa: F401,I001 - first: it puts the repository root on sys.path
from rq.serializers import JSONSerializer

from plugin.core import db
from plugin.pipeline import bootstrap, queue
from plugin.pipeline.worker import MAINTENANCE_INTERVAL, LoyaltyWorker


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("queues", nargs="+")
    args = parser.parse_args()
    # As plugin.pipeline.worker.run: bind the database, point the doorbell at Redis, wire the facts'
    # handlers (the outbox too), one LoyaltyWorker (forking; its command channel polled every second:
    # rq's own 60 s poll held a burst worker that ended within moments of starting for a minute).
    db.bind(args.database_url)
    queue.configure(args.redis_url, args.batch_size)
    bootstrap.wire()
    worker = LoyaltyWorker([queue.queue(name) for name in args.queues], connection=queue.connection(),
                           serializer=JSONSerializer, maintenance_interval=MAINTENANCE_INTERVAL)
    start = time.time()
    worked = worker.work(burst=True, with_scheduler=True, logging_level="WARNING")
    end = time.time()
    # The counters live in the work horses; the registries keep finished/failed jobs (result_ttl).
    finished = sum(q.finished_job_registry.count for q in worker.queues)
    failed = sum(q.failed_job_registry.count for q in worker.queues)
    # CPU of this process and of the work horses it forked and reaped (user + system seconds).
    own, horses = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + horses.ru_utime + horses.ru_stime
    print(json.dumps({"start": start, "end": end, "worked": worked, "successful": finished,
                      "failed": failed, "cpu": cpu}))


if __name__ == "__main__":
    main()
