"""Event application: events applied per second by one RQ worker vs RQ's own no-op job rate.

    .venv/bin/python tests/bench/bench_apply.py [--events N] [--jobs M] [--backend postgres|sqlite]
                                                [--batch-sizes 200,500] [--profile]

(a) N pending events of one shop (orders/paid, with customers/create and refunds/create mixed
in, realistic Shopify bodies stored raw with the keys webhooks.topics.REGISTRY reads, exactly as
the receiver stores them; the worker maps each body) are applied by ONE rq.Worker (the class
`loyalty worker` uses, JSONSerializer, burst mode) started as a fresh process; the rate is
N / (last event's applied_at - worker start).
(b) M no-op jobs on a fresh queue are drained by one Worker of the same class: RQ's job rate.
With sqlite there is no Redis in the plugin: apply_pending runs in-process (as the embedded
default does) and is compared with the no-op rate measured on Redis anyway.
See tests/bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC
from decimal import Decimal

import benchlib  # noqa: I001 - first: it puts the repository root on sys.path
import profiling
import redis
from peewee import fn
from rq import Queue
from rq.serializers import JSONSerializer

from plugin.core import bus
from plugin.core.db import database, session
from plugin.core.kinds import EventKind
from plugin.core.models import Event, LedgerEntry, Order
from plugin.core.status import EventStatus
from plugin.ledger import audit
from plugin.pipeline import jobs, queue
from webhooks.topics import REGISTRY

TARGET = 10.0  # the issue: application >= 10x RQ's no-op job rate
NOOP_QUEUE = "bench-noop"
REFUND_LAG = 50  # a refund follows its order by this many orders


def build_events(count: int, customers: int, early_refunds: int) -> list[dict]:
    """Canonical event rows (shop left blank), mapped from real-shaped bodies by the registry.

    Per 20 events: 18 orders/paid, 1 customers/create (one per customer at most; an order
    instead once every customer signed up), 1 refunds/create of the order placed REFUND_LAG
    orders earlier. ``early_refunds`` refunds are instead placed just before their order (they
    wait for it, then apply).
    """
    bodies, mappers = benchlib.Bodies(), REGISTRY["shopify"]
    deliveries: list[tuple[str, dict]] = []
    orders = signups = refunds = 0
    early: list[int] = []
    for i in range(count):
        slot = i % 20
        if slot == 10 and signups < customers:
            deliveries.append(("customers/create", bodies.customer_body(signups)))
            signups += 1
        elif slot == 19 and orders > REFUND_LAG:
            deliveries.append(("refunds/create", bodies.refund_body(refunds, orders - REFUND_LAG)))
            refunds += 1
        elif len(early) < early_refunds and slot == 5 and orders > 0:
            early.append(len(deliveries))
            deliveries.append(("refunds/create", bodies.refund_body(refunds, orders + 1)))
            refunds += 1
        else:
            orders += 1
            deliveries.append(("orders/paid", bodies.order_body(orders, orders % customers)))
    rows = []
    for i, (topic, body) in enumerate(deliveries):
        raw = benchlib.raw(body)
        mapped = mappers[topic].read(json.loads(raw, parse_float=Decimal))  # the keys, as received
        rows.append({
            "platform": "shopify", "topic": topic, "kind": mapped.kind, "delivery_id": f"bench-{i}",
            "business_key": mapped.business_key, "subject": mapped.subject,
            "payload": None, "raw_body": raw.decode(), "status": mapped.status,
            "error": mapped.note,
        })
    return rows


def load_events(database_url: str, rows: list[dict]) -> int:
    """Fresh tables, the bench shop, and its pending events (bulk insert); returns the shop id."""
    if database_url.startswith("postgres"):
        benchlib.reset_database(database_url)
    else:
        from plugin.core import db

        db.bind(database_url)
    shop = benchlib.register_shop()
    with session(), database.atomic():
        for start in range(0, len(rows), 1000):
            Event.insert_many([{**row, "shop": shop.id} for row in rows[start:start + 1000]]).execute()
    return shop.id


def verify(shop_id: int, expected: int) -> tuple[dict, list, object]:
    with session():
        statuses = dict(Event.select(Event.status, fn.COUNT(Event.id)).where(
            Event.shop == shop_id).group_by(Event.status).tuples())
        problems = audit.check()
        last = Event.select(fn.MAX(Event.applied_at)).where(Event.shop == shop_id).scalar()
        counts = {"orders": Order.select().count(), "entries": LedgerEntry.select().count()}
        failed = list(Event.select(Event.id, Event.kind, Event.status, Event.error).where(
            (Event.shop == shop_id) & (Event.status != EventStatus.APPLIED)).limit(3).dicts())
    if statuses.get("applied", 0) != expected:
        print(f"!! only {statuses.get('applied', 0)} of {expected} events applied: {statuses}; "
              f"e.g. {failed}")
    if problems:
        print(f"!! audit.check(): {len(problems)} problems, e.g. {[str(p) for p in problems[:3]]}")
    return {**statuses, **counts}, problems, last


def run_burst_worker(database_url: str, redis_url: str, batch_size: int, queues: list[str]) -> dict:
    """A fresh `loyalty worker`-like process in burst mode; its JSON line (start/end times)."""
    result = subprocess.run(
        [sys.executable, str(benchlib.BENCH_DIR / "burst_worker.py"), "--database-url", database_url,
         "--redis-url", redis_url, "--batch-size", str(batch_size), *queues],
        cwd=benchlib.REPO, capture_output=True, text=True, timeout=3600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"burst worker failed ({result.returncode}):\n{result.stderr[-3000:]}")
    if result.stderr.strip():
        print(result.stderr.strip()[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def apply_with_rq(database_url: str, redis_url: str, rows: list[dict], batch_size: int) -> dict:
    shop_id = load_events(database_url, rows)
    benchlib.flush_redis(redis_url)
    queue.configure(redis_url, batch_size)
    queue.ring(shop_id, jobs.apply_pending, force=True)  # what the receiver's doorbell does, minus the flag
    timing = run_burst_worker(database_url, redis_url, batch_size, list(queue.QUEUE_NAMES))
    benchlib.redis_intact(redis_url)
    summary, problems, last = verify(shop_id, len(rows))
    last_ts = last.replace(tzinfo=UTC).timestamp() if last else timing["end"]
    wall = last_ts - timing["start"]
    return {"batch": batch_size, "wall": wall, "rate": len(rows) / wall, "summary": summary,
            "problems": len(problems), "jobs": timing["successful"], "failed_jobs": timing["failed"],
            "worker_wall": timing["end"] - timing["start"]}


def apply_in_process(database_url: str, rows: list[dict], batch_size: int) -> dict:
    """No Redis: ring() runs apply_pending right here (the embedded default); time it."""
    shop_id = load_events(database_url, rows)
    queue.configure(None, batch_size)
    start = time.time()
    queue.ring(shop_id, jobs.apply_pending)
    end = time.time()
    summary, problems, _ = verify(shop_id, len(rows))
    return {"batch": batch_size, "wall": end - start, "rate": len(rows) / (end - start),
            "summary": summary, "problems": len(problems), "jobs": "in-process", "failed_jobs": 0,
            "worker_wall": end - start}


def noop_rate(database_url: str, redis_url: str, count: int) -> dict:
    connection = redis.Redis.from_url(redis_url)
    benchlib.flush_redis(redis_url)
    noop_queue = Queue(NOOP_QUEUE, connection=connection, serializer=JSONSerializer)
    for start in range(0, count, 500):
        noop_queue.enqueue_many([Queue.prepare_data(benchlib.noop, result_ttl=60)
                                 for _ in range(min(500, count - start))])
    timing = run_burst_worker(database_url, redis_url, 200, [NOOP_QUEUE])
    benchlib.redis_intact(redis_url)
    if timing["successful"] != count:
        print(f"!! {timing['successful']} of {count} no-op jobs finished")
    wall = timing["end"] - timing["start"]
    return {"wall": wall, "rate": count / wall, "jobs": timing["successful"],
            "failed_jobs": timing["failed"]}


# --- profile -------------------------------------------------------------------------------------

def _backend_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) of a PostgreSQL backend on this machine; 0 when unreadable."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stages(sql: profiling.SqlTimer) -> tuple[profiling.Stages, profiling.Stages, dict]:
    """The apply path's stages, every bus reaction wherever it is published, and the bus's own
    wiring (to put back)."""
    from plugin import customers, ledger
    from plugin.core import bus, facts
    from plugin.pipeline import apply, bootstrap, fetching
    from plugin.program import catalog
    from webhooks import stored

    bootstrap.wire()
    wiring = dict(bus.BUS._handlers)
    stages, reactions = profiling.Stages(sql), profiling.Stages(sql)
    table = {name: tuple(reactions.timed(f"{h.__module__.removeprefix('plugin.')}.{h.__name__}", 0, h)
                         for h in handlers) for name, handlers in wiring.items()}
    stages.wrap(jobs, "apply_batch", "apply_batch (one transaction per batch)", 0)
    stages.wrap(jobs, "_map", "claim raw events, map them, store payloads", 1)
    stages.wrap(stored, "mapped", "raw body -> canonical payload (JSON + schema)", 2)
    stages.wrap(catalog, "prepare", "catalog look-ups (outside the transaction)", 1)
    stages.wrap(fetching, "prepare", "platform fetches (outside the transaction)", 1)
    stages.wrap(apply, "orders_paid", "paid orders, all of the batch at once", 1)
    stages.wrap(apply, "onto_orders", "catalog onto the orders", 2)
    stages.wrap(customers, "ensure_many", "buyers found or created", 2)
    stages.wrap(apply, "earned", "earning rules, per order", 2)
    stages.wrap(ledger, "grant_many", "ledger: lots, entries, balances (+ their reactions)", 2)
    paid = table[facts.ORDER_APPLIED]
    table[facts.ORDER_APPLIED] = (stages.timed("reactions to the orders (referrals, holds, tiers, games)", 2,
                                               lambda fact: [handler(fact) for handler in paid]),)
    stages.wrap(jobs, "_apply_one", "other events, one by one in a savepoint", 1)
    for kind in (EventKind.ORDER_REFUNDED, EventKind.ORDER_CANCELLED, EventKind.CUSTOMER_CREATED):
        stages.wrap(apply.HANDLERS, kind, str(kind), 2)
    bus.BUS.wire(table)
    return stages, reactions, wiring


def breakdown(database_url: str, rows: list[dict], batch_size: int) -> None:
    """apply_pending in-process WITHOUT cProfile: what a batch spends per event, by SQL statement
    and by stage (wall, this process's CPU, the PostgreSQL backend's CPU)."""
    shop_id = load_events(database_url, rows)
    queue.configure(None, batch_size)
    n = len(rows)
    with session(), profiling.SqlTimer() as sql:
        pid = (database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
               if database_url.startswith("postgres") else None)
        stages, reactions, wiring = _stages(sql)
        try:
            wall, cpu, backend = time.perf_counter(), time.process_time(), _backend_cpu(pid)
            jobs.apply_pending(shop_id, batch_size)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            backend = _backend_cpu(pid) - backend
        finally:
            stages.restore()
            bus.BUS.wire(wiring)
    print(f"\nper event: {n} events, batch {batch_size}, apply_pending in-process (no cProfile): "
          f"wall {wall:.2f} s ({n / wall:.0f} events/s); CPU per event: this process "
          f"{cpu / n * 1e3:.3f} ms" + (f", PostgreSQL backend {backend / n * 1e3:.3f} ms "
                                      f"(CPU-bound rate {n / (cpu + backend):.0f} events/s)" if pid else ""))
    print(sql.report(n, "event", wall, top=25))
    print("\nstages, per event (a parent includes its children; CPU is this process's):")
    print(stages.report(n, "event"))
    print("\nbus reactions, per event, wherever published (inside the stages above):")
    print(reactions.report(n, "event"))
    summary, problems, _ = verify(shop_id, n)
    print(f"after the breakdown: {summary}; audit problems: {len(problems)}")


def profile_apply(database_url: str, rows: list[dict], batch_size: int) -> None:
    """apply_pending in-process under cProfile, with every SQL statement timed and grouped."""
    shop_id = load_events(database_url, rows)
    queue.configure(None, batch_size)
    profiler, sql, wall = profiling.profiled(lambda: jobs.apply_pending(shop_id, batch_size))
    n = len(rows)
    print(f"\nprofile: {n} events, batch {batch_size}, in-process apply_pending under cProfile: "
          f"{wall:.2f} s ({n / wall:.0f} events/s with profiling overhead)")
    print("\ncProfile, top functions by cumulative time (plugin/ and webhooks/ code, peewee, psycopg2):")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"plugin/|webhooks/|peewee|psycopg2", 30)
    print("cProfile, top functions by own time:")
    stats.sort_stats("tottime").print_stats(20)
    with session():
        applied = Event.select().where((Event.shop == shop_id)
                                       & (Event.status == EventStatus.APPLIED)).count()
        print(f"after profiling: {applied} of {n} applied; audit problems: {len(audit.check())}")


# --- main ----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--jobs", type=int, default=2000, help="no-op jobs for RQ's job rate")
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--batch-sizes", default="200,500", help="comma-separated")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--early-refunds", type=int, default=0,
                        help="refunds placed just before their order (they wait, then apply)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile apply_pending in-process (SQL timing + cProfile)")
    parser.add_argument("--profile-events", type=int, default=4000)
    args = parser.parse_args()
    if not 1 <= args.events <= 200_000 or not 1 <= args.jobs <= 50_000:
        parser.error("keep --events within 1..200000 and --jobs within 1..50000")
    batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]

    with benchlib.scratch("loyalty-bench-apply-") as workdir:
        database_url = (benchlib.POSTGRES_URL if args.backend == "postgres"
                        else f"sqlite:///{workdir / 'bench.db'}")
        redis_url = benchlib.REDIS_URL
        t0 = time.perf_counter()
        rows = build_events(args.events, args.customers, args.early_refunds)
        kinds = defaultdict(int)
        for row in rows:
            kinds[row["kind"]] += 1
        print(f"{len(rows)} events for one shop across {args.customers} customers: {dict(kinds)} "
              f"(keys read by webhooks.topics.REGISTRY in {time.perf_counter() - t0:.1f} s)")
        print(f"backend: {args.backend} ({database_url}); "
              + ("one rq.Worker (forking, JSONSerializer, burst) in a fresh process, Redis "
                 f"{redis_url}" if args.backend == "postgres"
                 else "no Redis: apply_pending runs in-process, as the embedded default does"))
        print(benchlib.machine_note())
        print()

        results = []
        for batch_size in batch_sizes:
            if args.backend == "postgres":
                result = apply_with_rq(database_url, redis_url, rows, batch_size)
            else:
                result = apply_in_process(
                    f"sqlite:///{workdir / f'bench-{batch_size}.db'}", rows, batch_size)
            results.append(result)
            print(f"batch {batch_size}: {result['summary']}, audit problems: {result['problems']}, "
                  f"failed jobs: {result['failed_jobs']}, worker wall (start to exit) "
                  f"{result['worker_wall']:.2f} s")

        try:
            noop = noop_rate(benchlib.POSTGRES_URL if args.backend == "postgres" else
                             f"sqlite:///{workdir / 'noop.db'}", redis_url, args.jobs)
        except redis.RedisError as exc:
            noop = None
            print(f"RQ no-op rate not measured (Redis unavailable: {exc})")

        print()
        rows_out = [[f"apply events, batch {r['batch']}", args.events, f"{r['wall']:.2f}",
                     f"{r['rate']:.0f} events/s",
                     f"{r['rate'] / noop['rate']:.1f}x" if noop else "n/a"] for r in results]
        if noop:
            rows_out.append(["RQ no-op jobs (same Worker class)", args.jobs, f"{noop['wall']:.2f}",
                             f"{noop['rate']:.0f} jobs/s", "1.0x"])
        print(benchlib.table(["what", "count", "wall s", "rate", "vs no-op"], rows_out))
        if noop:
            best = max(r["rate"] for r in results) / noop["rate"]
            print(f"\nbest application rate / RQ no-op job rate: {best:.1f}x "
                  f"(target >= {TARGET:.0f}x: {'met' if best >= TARGET else 'MISSED'})")
            if noop["failed_jobs"]:
                print(f"!! {noop['failed_jobs']} no-op jobs failed")

        if args.profile:
            profile_rows = build_events(min(args.profile_events, args.events), args.customers,
                                        args.early_refunds)
            breakdown(database_url if args.backend == "postgres"
                      else f"sqlite:///{workdir / 'breakdown.db'}", profile_rows, batch_sizes[0])
            profile_apply(database_url if args.backend == "postgres"
                          else f"sqlite:///{workdir / 'profile.db'}", profile_rows, batch_sizes[0])


if __name__ == "__main__":
    main()
