"""Expiry of a million lots: the hourly cron job, run as rq cron runs it, over bulk-seeded lots.

    .venv/bin/python tests/bench/bench_expiry.py [--lots 1000000] [--customers 100000]
                                                 [--future 0.1] [--profile] [--profile-lots 20000]

Seeds the bench shop with C customers and N lots that fall due (a tenth of them partly spent
already), plus ``--future`` x N lots expiring next month, each lot with its ledger entries and
every balance consistent (``plugin.ledger.audit.check`` is clean before). Then the expiry job is
enqueued by the cron scheduler's own entry (plugin.pipeline.cron: a JSON job on loyalty-periodic,
job_timeout 600) and ONE fresh ``burst_worker.py`` process runs it. Prints the job's time and
lots/s, the worker's CPU and PostgreSQL's, the entries, balances and outbox messages written, and
the audit after. ``--profile`` then re-seeds ``--profile-lots`` lots and runs ``expire_due``
in-process: the CPU per lot of this process and of its PostgreSQL backend and every statement
counted, then (re-seeded) under cProfile.

PostgreSQL and Redis only (both wiped, see tests/bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import pstats
import resource
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import benchlib  # noqa: I001 - first: it puts the repository root on sys.path
import profiling
from peewee import fn

from plugin.core import clock, reasons
from plugin.core.db import database, insert_rows, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Balance, Customer, LedgerEntry, Lot, OutboxMessage
from plugin.ledger import audit, expiry
from plugin.pipeline import bootstrap, cron, queue

CHUNK = 20_000  # lots per seeding transaction
RULE = {"seed": "expiry bench"}
SEEDED = reasons.columns("")  # the reason columns of the seeded entries


# --- seeding -------------------------------------------------------------------------------------

def seed(lots: int, customers: int, future: float, now: datetime) -> dict:
    """Fresh tables; the shop, its customers, N due lots and the future ones, with one earn entry a
    lot, a spend entry for every tenth (a third of it spent), and the balances."""
    benchlib.reset_database(benchlib.POSTGRES_URL)
    shop = benchlib.register_shop()
    due_at, later = now - timedelta(days=1), now + timedelta(days=30)
    total = lots + int(lots * future)
    with session():
        insert_rows(Customer, [{"shop": shop.id, "platform_id": str(benchlib.CUSTOMER_BASE + n),
                                "created_at": now - timedelta(days=400)} for n in range(customers)])
        ids = [cid for (cid,) in Customer.select(Customer.id).where(Customer.shop == shop.id)
               .order_by(Customer.id).tuples()]
        next_id = (Lot.select(fn.MAX(Lot.id)).scalar() or 0) + 1
        balances: dict[int, int] = {}
        for start in range(0, total, CHUNK):
            lot_rows, entry_rows = [], []
            for n in range(start, min(total, start + CHUNK)):
                cid, original = ids[n % customers], 50 + n % 200
                spent = original // 3 if n % 10 == 0 else 0
                lot_id = next_id + n
                lot_rows.append({"id": lot_id, "shop": shop.id, "customer": cid, "point_type": "regular",
                                 "source": f"order:{n}", "key": f"seed:{n}", "original": original,
                                 "remaining": original - spent, "rule": RULE,
                                 "expires_at": due_at - timedelta(seconds=n % 86400) if n < lots else later,
                                 "created_at": now - timedelta(days=366)})
                entry_rows.append({"shop": shop.id, "customer": cid, "lot": lot_id, "point_type": "regular",
                                   "delta": original, "kind": EntryKind.EARN, **SEEDED,
                                   "idempotency_key": f"seed:{n}", "created_at": now - timedelta(days=366)})
                if spent:
                    entry_rows.append({"shop": shop.id, "customer": cid, "lot": lot_id,
                                       "point_type": "regular", "delta": -spent, "kind": EntryKind.SPEND,
                                       **SEEDED, "idempotency_key": f"seed:{n}:spend",
                                       "created_at": now - timedelta(days=200)})
                balances[cid] = balances.get(cid, 0) + original - spent
            with database.atomic():
                insert_rows(Lot, lot_rows)
                insert_rows(LedgerEntry, entry_rows)
        with database.atomic():
            insert_rows(Balance, [{"shop": shop.id, "customer": cid, "point_type": "regular",
                                   "points": points} for cid, points in balances.items()])
        database.execute_sql("SELECT setval(pg_get_serial_sequence('lot', 'id'), (SELECT MAX(id) FROM lot))")
        database.execute_sql("VACUUM ANALYZE")  # as a live table is: autovacuum would do it during the job
    return {"shop": shop.id, "lots": total, "due": lots, "future": total - lots}


def counts(shop_id: int) -> dict:
    with session():
        return {
            "expire_entries": LedgerEntry.select().where((LedgerEntry.shop == shop_id)
                                                         & (LedgerEntry.kind == EntryKind.EXPIRE)).count(),
            "messages": OutboxMessage.select().where((OutboxMessage.shop == shop_id)
                                                     & (OutboxMessage.type == "points.expired")).count(),
            "open_due": Lot.select().where((Lot.shop == shop_id) & (Lot.remaining > 0)
                                           & (Lot.expires_at <= clock.now())).count(),
            "balance": int(Balance.select(fn.COALESCE(fn.SUM(Balance.points), 0)).where(
                Balance.shop == shop_id).scalar()),
        }


def timed_audit(shop_id: int) -> tuple[list, float]:
    with session():
        started = time.perf_counter()
        problems = audit.check(shop_id)
        return problems, time.perf_counter() - started


def audit_line(problems: list, seconds: float) -> str:
    verdict = "clean" if not problems else f"{len(problems)} PROBLEMS, e.g. {[str(p) for p in problems[:3]]}"
    return f"plugin.ledger.audit.check(shop): {verdict} ({seconds:.1f} s)"


# --- the job, as rq cron runs it ---------------------------------------------------------------------

class PostgresCpu(threading.Thread):
    """Samples the CPU seconds of the bench database's backends (other than ours) from /proc, by
    kind: the job's connections and any other client, and autovacuum (it may vacuum the freshly
    seeded tables while the job runs). A backend alive before the job (this process's own, which
    seeded and audited) counts only what it spent after the first sample."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.cpu: dict[int, tuple[str, float]] = {}
        self.baseline: dict[int, float] | None = None
        self.stopping = threading.Event()
        self.dbname = benchlib.POSTGRES_URL.rsplit("/", 1)[1]

    def run(self) -> None:
        from playhouse.db_url import connect

        watcher = connect(benchlib.POSTGRES_URL)
        try:
            while not self.stopping.wait(0.2):
                kinds = dict(watcher.execute_sql(
                    "SELECT pid, backend_type FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()", (self.dbname,)).fetchall())
                for pid, seconds in benchlib.cpu_seconds(kinds).items():
                    self.cpu[pid] = (kinds[pid], seconds)
                if self.baseline is None:
                    self.baseline = {pid: seconds for pid, (_, seconds) in self.cpu.items()}
        finally:
            watcher.close()

    def seconds(self) -> dict[str, float]:
        """CPU seconds by backend_type ("client backend", "autovacuum worker", ...)."""
        self.stopping.set()
        self.join()
        by_kind: dict[str, float] = {}
        for pid, (kind, seconds) in self.cpu.items():
            by_kind[kind] = by_kind.get(kind, 0.0) + seconds - (self.baseline or {}).get(pid, 0.0)
        return by_kind


def run_job(workdir: Path, timeout: float) -> dict:
    """Enqueue expire_due through its rq cron entry and let one fresh burst worker run it."""
    connection = queue.connection()
    entry = next(job for job in cron.scheduler(connection)._cron_jobs if job.func is expiry.expire_due)
    job = entry.enqueue(connection)
    print(f"enqueued {job.func_name} on {entry.queue_name} as rq cron does "
          f"(JSONSerializer, job_timeout {entry.job_options.get('job_timeout')})", flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pg = PostgresCpu()
    pg.start()
    enqueued = time.time()
    with open(workdir / "worker.out", "wb") as out, open(workdir / "worker.err", "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(benchlib.BENCH_DIR / "burst_worker.py"),
             "--database-url", benchlib.POSTGRES_URL, "--redis-url", benchlib.REDIS_URL,
             queue.PERIODIC_QUEUE], cwd=benchlib.REPO, stdout=out, stderr=err, start_new_session=True)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        print(f"!! the worker did not finish within {timeout:.0f} s; stopped")
    finally:
        benchlib.stop(proc)
    pg_cpu = pg.seconds()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    job.refresh()
    errors = (workdir / "worker.err").read_text().strip()
    if errors:
        print(f"worker stderr: {errors[-2000:]}")
    worker = json.loads((workdir / "worker.out").read_text().strip().splitlines()[-1])
    return {"status": job.get_status(), "result": job.return_value(),
            "job": (job.ended_at - job.started_at).total_seconds() if job.ended_at else float("nan"),
            "wall": worker["end"] - enqueued,
            "worker_cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "pg_cpu": pg_cpu.pop("client backend", 0.0), "pg_other": pg_cpu}


def profile(lots: int, customers: int) -> None:
    """expire_due in-process twice over fresh lots: without a profiler, the CPU per lot of this
    process and of its PostgreSQL backend and the statements; then under cProfile."""
    bootstrap.wire()  # as the worker does: the points.expired fact reaches the outbox
    seeded = seed(lots, customers, 0.0, clock.now())
    with session(), benchlib.in_process() as spent, profiling.SqlTimer() as sql:
        expiry.expire_due(lanes=1)  # one connection: its backend's CPU is all the job's
    n, wall, cpu, backend = seeded["due"], spent["wall"], spent["cpu"], spent["backend"]
    print(f"\nper lot: expire_due in-process over {n} due lots of {customers} customers (no cProfile): "
          f"wall {wall:.2f} s; CPU per lot: this process {cpu / n * 1e6:.1f} µs, PostgreSQL backend "
          f"{backend / n * 1e6:.1f} µs (CPU-bound rate {n / (cpu + backend):.0f} lots/s); "
          f"{sql.count / n * 1000:.1f} statements per 1000 lots; "
          f"{counts(seeded['shop'])['messages']} points.expired messages")
    print(sql.report(n, "lot", wall, top=12))
    seeded = seed(lots, customers, 0.0, clock.now())
    with session():
        profiler, sql, wall = profiling.profiled(lambda: expiry.expire_due(lanes=1))
    print(f"\nprofile: expire_due in-process over {seeded['due']} due lots: {wall:.1f} s "
          f"({seeded['due'] / wall:.0f} lots/s with profiling overhead)")
    print(sql.report(seeded["due"], "lot", wall, top=12))
    print("\ncProfile, top by cumulative time (plugin/, peewee, psycopg2):")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"plugin/|peewee|psycopg2", 16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lots", type=int, default=1_000_000, help="lots that fall due")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--future", type=float, default=0.1, help="lots not yet due, as a share of --lots")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-lots", type=int, default=20_000)
    args = parser.parse_args()
    if not 1 <= args.customers <= args.lots <= 5_000_000 or not 0 <= args.future <= 1:
        parser.error("keep 1 <= --customers <= --lots <= 5000000 and --future within 0..1")
    if not benchlib.POSTGRES_URL.startswith("postgres"):
        parser.error("PostgreSQL only")

    with benchlib.scratch("loyalty-bench-expiry-") as workdir:
        print(benchlib.machine_note())
        print(f"PostgreSQL {benchlib.POSTGRES_URL}, Redis {benchlib.REDIS_URL}")
        started = time.perf_counter()
        seeded = seed(args.lots, args.customers, args.future, clock.now())
        print(f"seeded {seeded['due']} due lots and {seeded['future']} not yet due, of {args.customers} "
              f"customers, with their entries and balances, in {time.perf_counter() - started:.1f} s")
        problems, seconds = timed_audit(seeded["shop"])
        print(f"before: {audit_line(problems, seconds)}")
        before = counts(seeded["shop"])
        benchlib.flush_redis()
        queue.configure(benchlib.REDIS_URL)

        result = run_job(workdir, args.timeout)
        benchlib.redis_intact()
        after = counts(seeded["shop"])
        expired = after["expire_entries"] - before["expire_entries"]
        print(f"job {result['status']}: {result['result']} points removed")
        print(benchlib.table(
            ["lots expired", "job s", "lots/s", "wall s (enqueue..worker exit)", "worker CPU s",
             "PostgreSQL CPU s", "expire entries", "points.expired messages", "due lots left open"],
            [[expired, f"{result['job']:.1f}", f"{expired / result['job']:.0f}", f"{result['wall']:.1f}",
              f"{result['worker_cpu']:.1f}", f"{result['pg_cpu']:.1f}", expired,
              after["messages"] - before["messages"], after["open_due"]]]))
        others = ", ".join(f"{kind} {cpu:.1f} s" for kind, cpu in result["pg_other"].items() if cpu)
        print(f"PostgreSQL CPU besides the job's connection: {others or 'none'}")
        print(f"balances: {before['balance']} points before, {after['balance']} after "
              f"({before['balance'] - after['balance']} removed)")
        problems, seconds = timed_audit(seeded["shop"])
        print(f"after: {audit_line(problems, seconds)}")
        print("(wall figures measured on a shared machine; CPU seconds are the worker process with its "
              "work horse, and the bench database's PostgreSQL backends)")
        if args.profile:
            profile(args.profile_lots, max(1, args.profile_lots // 10))


if __name__ == "__main__":
    main()
