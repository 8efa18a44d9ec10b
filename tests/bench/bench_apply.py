"""Event application: events applied per second by one RQ worker vs RQ's own no-op job rate.

    .venv/bin/python tests/bench/bench_apply.py [--events N] [--jobs M] [--backend postgres|sqlite]
                                                [--batch-sizes 200,500] [--shops 1] [--workers 1]
                                                [--profile]

(a) N pending events of one shop (orders/paid, with customers/create and refunds/create mixed
in, realistic Shopify bodies stored raw with the keys webhooks.topics.REGISTRY reads, exactly as
the receiver stores them; the worker maps each body) are applied by ONE LoyaltyWorker (the class
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
import pstats
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
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
from plugin.core.kinds import EntryKind, EventKind
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


def load_events(database_url: str, rows: list[dict], shops: int = 1) -> list[int]:
    """Fresh tables, the bench shops and their pending events (bulk insert); the shop ids.

    Each shop gets the same ``rows`` (ids are unique per shop), interleaved row by row as the
    webhooks of several stores arrive together."""
    if database_url.startswith("postgres"):
        benchlib.reset_database(database_url)
    else:
        from plugin.core import db

        db.bind(database_url)
    ids = [benchlib.register_shop(benchlib.SHOP_DOMAIN if n == 0 else f"bench-{n}.myshopify.com").id
           for n in range(shops)]
    events = [{**row, "shop": shop_id} for row in rows for shop_id in ids]
    with session(), database.atomic():
        for start in range(0, len(events), 1000):
            Event.insert_many(events[start:start + 1000]).execute()
    return ids


def verify(shop_ids: list[int], expected: int) -> tuple[dict, list, object]:
    """Statuses and counts over the bench shops, audit.check(), the last applied_at; says what is
    wrong (events not applied, audit problems, a shop whose events were applied out of order)."""
    with session():
        statuses = dict(Event.select(Event.status, fn.COUNT(Event.id)).where(
            Event.shop.in_(shop_ids)).group_by(Event.status).tuples())
        problems = audit.check()
        last = Event.select(fn.MAX(Event.applied_at)).where(Event.shop.in_(shop_ids)).scalar()
        counts = {"orders": Order.select().count(), "entries": LedgerEntry.select().count()}
        failed = list(Event.select(Event.id, Event.kind, Event.status, Event.error).where(
            Event.shop.in_(shop_ids) & (Event.status != EventStatus.APPLIED)).limit(3).dicts())
        disorder = [shop_id for shop_id in shop_ids if not in_arrival_order(shop_id)]
    if statuses.get("applied", 0) != expected:
        print(f"!! only {statuses.get('applied', 0)} of {expected} events applied: {statuses}; "
              f"e.g. {failed}")
    if problems:
        print(f"!! audit.check(): {len(problems)} problems, e.g. {[str(p) for p in problems[:3]]}")
    if disorder:
        print(f"!! shops {disorder}: paid orders credited out of arrival order")
    order = f"{len(shop_ids) - len(disorder)}/{len(shop_ids)}"
    return {**statuses, **counts, "shops in arrival order": order}, problems, last


def in_arrival_order(shop_id: int) -> bool:
    """The shop's paid orders were credited in the order their events arrived: batch after batch,
    whichever worker applied them (entry ids grow as entries are written)."""
    earned = [event_id for (event_id,) in LedgerEntry.select(LedgerEntry.event).where(
        (LedgerEntry.shop == shop_id) & (LedgerEntry.kind == EntryKind.EARN))
        .order_by(LedgerEntry.id).tuples()]
    return earned == sorted(earned)


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


def apply_with_rq(database_url: str, redis_url: str, rows: list[dict], batch_size: int,
                  shops: int = 1, workers: int = 1) -> dict:
    shop_ids = load_events(database_url, rows, shops)
    benchlib.flush_redis(redis_url)
    queue.configure(redis_url, batch_size)
    for shop_id in shop_ids:  # what the receiver's doorbell does, minus the flag
        queue.ring(shop_id, jobs.apply_pending, force=True)
    with ThreadPoolExecutor(workers) as pool:  # each thread waits on a worker process of its own
        timings = list(pool.map(lambda _: run_burst_worker(
            database_url, redis_url, batch_size, list(queue.QUEUE_NAMES)), range(workers)))
    benchlib.redis_intact(redis_url)
    summary, problems, last = verify(shop_ids, len(rows) * shops)
    start, end = min(t["start"] for t in timings), max(t["end"] for t in timings)
    last_ts = last.replace(tzinfo=UTC).timestamp() if last else end
    wall = last_ts - start
    return {"batch": batch_size, "wall": wall, "rate": len(rows) * shops / wall, "summary": summary,
            "problems": len(problems), "jobs": sum(t["successful"] for t in timings),
            "failed_jobs": max(t["failed"] for t in timings), "worker_wall": end - start,
            "worker_cpu": sum(t["cpu"] for t in timings)}


def apply_in_process(database_url: str, rows: list[dict], batch_size: int) -> dict:
    """No Redis: ring() runs apply_pending right here (the embedded default); time it."""
    shop_ids = load_events(database_url, rows)
    queue.configure(None, batch_size)
    start = time.time()
    queue.ring(shop_ids[0], jobs.apply_pending)
    end = time.time()
    summary, problems, _ = verify(shop_ids, len(rows))
    return {"batch": batch_size, "wall": end - start, "rate": len(rows) / (end - start),
            "summary": summary, "problems": len(problems), "jobs": "in-process", "failed_jobs": 0,
            "worker_wall": end - start, "worker_cpu": None}


def noop_rate(database_url: str, redis_url: str, count: int) -> dict:
    connection = redis.Redis.from_url(redis_url)
    benchlib.flush_redis(redis_url)
    noop_queue = Queue(NOOP_QUEUE, connection=connection, serializer=JSONSerializer)
    for start in range(0, count, 500):
        # kept past the run (a busy machine takes minutes): the finished registry counts them
        noop_queue.enqueue_many([Queue.prepare_data(benchlib.noop, result_ttl=3600)
                                 for _ in range(min(500, count - start))])
    timing = run_burst_worker(database_url, redis_url, 200, [NOOP_QUEUE])
    benchlib.redis_intact(redis_url)
    if timing["successful"] != count:
        print(f"!! {timing['successful']} of {count} no-op jobs finished")
    wall = timing["end"] - timing["start"]
    return {"wall": wall, "rate": count / wall, "jobs": timing["successful"],
            "failed_jobs": timing["failed"]}


# --- profile -------------------------------------------------------------------------------------

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
    table = {name: tuple(reactions.timed(f"{h.__module__.removeprefix('plugin.')}.{h.__name__}", h)
                         for h in handlers) for name, handlers in wiring.items()}
    stages.wrap(jobs, "apply_batch", "apply_batch (one transaction per batch)")
    stages.wrap(jobs, "_map", "map raw events, store payloads")
    stages.wrap(jobs, "_claim", "claim the batch (what was just mapped is not read again)")
    stages.wrap(stored, "mapped", "raw body -> canonical payload (JSON + schema)")
    stages.wrap(catalog, "prepare", "catalog look-ups (outside the transaction)")
    stages.wrap(fetching, "prepare", "platform fetches (outside the transaction)")
    stages.wrap(apply, "orders_paid", "paid orders, all of the batch at once")
    stages.wrap(apply, "onto_orders", "catalog onto the orders")
    stages.wrap(customers, "ensure_many", "customers found or created")
    stages.wrap(apply, "earned", "earning rules, per order")
    stages.wrap(ledger, "grant_many", "ledger: lots, entries, balances (+ their reactions)")
    paid = table[facts.ORDER_APPLIED]
    table[facts.ORDER_APPLIED] = (stages.timed("reactions to the orders (referrals, holds, tiers, games)",
                                               lambda fact: [handler(fact) for handler in paid]),)
    stages.wrap(apply, "customers_created", "sign-ups, all of the batch's apart at once")
    stages.wrap(apply, "orders_refunded", "refunds, all of the batch's at once")
    stages.wrap(ledger, "take_many", "ledger: points taken back together (+ their reactions)")
    stages.wrap(jobs, "_apply_one", "other events, one by one in a savepoint")
    for kind in (EventKind.ORDER_REFUNDED, EventKind.ORDER_CANCELLED, EventKind.CUSTOMER_CREATED):
        stages.wrap(apply.HANDLERS, kind, str(kind))
    stages.wrap(ledger, "debit", "ledger: points taken back (+ their reactions)")
    bus.BUS.wire(table)
    return stages, reactions, wiring


def breakdown(database_url: str, rows: list[dict], batch_size: int) -> None:
    """apply_pending in-process WITHOUT cProfile: what a batch spends per event, by SQL statement
    and by stage (wall, this process's CPU, the PostgreSQL backend's CPU)."""
    shop_id, = load_events(database_url, rows)
    queue.configure(None, batch_size)
    n = len(rows)
    with session(), profiling.SqlTimer() as sql:
        stages, reactions, wiring = _stages(sql)
        try:
            with benchlib.in_process() as spent:
                jobs.apply_pending(shop_id, batch_size)
        finally:
            stages.restore()
            bus.BUS.wire(wiring)
    wall, cpu, backend = spent["wall"], spent["cpu"], spent["backend"]
    print(f"\nper event: {n} events, batch {batch_size}, apply_pending in-process (no cProfile): "
          f"wall {wall:.2f} s ({n / wall:.0f} events/s); CPU per event: this process "
          f"{cpu / n * 1e3:.3f} ms" + (f", PostgreSQL backend {backend / n * 1e3:.3f} ms "
                                      f"(CPU-bound rate {n / (cpu + backend):.0f} events/s)"
                                      if database_url.startswith("postgres") else ""))
    print(sql.report(n, "event", wall, top=25))
    print("\nstages, per event (a parent includes its children; CPU is this process's):")
    print(stages.report(n, "event"))
    print("\nbus reactions, per event, wherever published (inside the stages above):")
    print(reactions.report(n, "event"))
    summary, problems, _ = verify([shop_id], n)
    print(f"after the breakdown: {summary}; audit problems: {len(problems)}")


def profile_apply(database_url: str, rows: list[dict], batch_size: int) -> None:
    """apply_pending in-process under cProfile, with every SQL statement timed and grouped."""
    shop_id, = load_events(database_url, rows)
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
    parser.add_argument("--customers", type=int, default=1000, help="per shop")
    parser.add_argument("--shops", type=int, default=1,
                        help="shops sharing the events (each gets --events / --shops, interleaved)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes started together (postgres backend)")
    parser.add_argument("--early-refunds", type=int, default=0,
                        help="refunds placed just before their order (they wait, then apply)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile apply_pending in-process (SQL timing + cProfile)")
    parser.add_argument("--profile-events", type=int, default=4000)
    args = parser.parse_args()
    if not 1 <= args.events <= 200_000 or not 1 <= args.jobs <= 50_000:
        parser.error("keep --events within 1..200000 and --jobs within 1..50000")
    batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    if not 1 <= args.shops <= 100 or not 1 <= args.workers <= 16:
        parser.error("keep --shops within 1..100 and --workers within 1..16")
    if args.backend == "sqlite" and (args.shops > 1 or args.workers > 1):
        parser.error("--shops and --workers need the postgres backend (workers on Redis)")

    with benchlib.scratch("loyalty-bench-apply-") as workdir:
        database_url = (benchlib.POSTGRES_URL if args.backend == "postgres"
                        else f"sqlite:///{workdir / 'bench.db'}")
        redis_url = benchlib.REDIS_URL
        t0 = time.perf_counter()
        rows = build_events(args.events // args.shops, args.customers, args.early_refunds)
        kinds = defaultdict(int)
        for row in rows:
            kinds[row["kind"]] += 1
        print(f"{len(rows)} events for each of {args.shops} shop(s) across {args.customers} customers: "
              f"{dict(kinds)} "
              f"(keys read by webhooks.topics.REGISTRY in {time.perf_counter() - t0:.1f} s)")
        print(f"backend: {args.backend} ({database_url}); "
              + (f"{args.workers} LoyaltyWorker(s) (forking, JSONSerializer, burst), each in a fresh "
                 f"process, Redis {redis_url}" if args.backend == "postgres"
                 else "no Redis: apply_pending runs in-process, as the embedded default does"))
        print(benchlib.machine_note())
        print()

        results = []
        for batch_size in batch_sizes:
            if args.backend == "postgres":
                result = apply_with_rq(database_url, redis_url, rows, batch_size, args.shops,
                                       args.workers)
            else:
                result = apply_in_process(
                    f"sqlite:///{workdir / f'bench-{batch_size}.db'}", rows, batch_size)
            results.append(result)
            print(f"batch {batch_size}: {result['summary']}, audit problems: {result['problems']}, "
                  f"failed jobs: {result['failed_jobs']}, worker wall (start to exit) "
                  f"{result['worker_wall']:.2f} s"
                  + (f", worker CPU (with its work horses) {result['worker_cpu']:.2f} s = "
                     f"{len(rows) * args.shops / result['worker_cpu']:.0f} events per CPU second"
                     if result["worker_cpu"] else ""))

        try:
            noop = noop_rate(benchlib.POSTGRES_URL if args.backend == "postgres" else
                             f"sqlite:///{workdir / 'noop.db'}", redis_url, args.jobs)
        except redis.RedisError as exc:
            noop = None
            print(f"RQ no-op rate not measured (Redis unavailable: {exc})")

        print()
        rows_out = [[f"apply events, batch {r['batch']}", len(rows) * args.shops, f"{r['wall']:.2f}",
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
