"""Tier re-evaluation of a whole shop after a tier rule change: a background job, with progress.

    .venv/bin/python tests/bench/bench_tiers.py [--customers N] [--batch-size B] [--timeout S]
                                                [--seed K] [--profile]

N customers (100000 by default) of the bench shop get 0-12 orders each over the last 18 months
(bulk-inserted Order rows: eligible amounts, some refunded, some cancelled), under a program with
tiers by amount_spent over rolling_12_months (Novice 0, Bronze 5000, Silver 20000, Gold 50000,
Platinum 100000, with entry bonuses). Three re-evaluations are started the way the admin API
starts one (``tiers.start_reevaluation`` with Redis configured: an RQ job) and each is run by ONE
LoyaltyWorker (the class `loyalty worker` uses, JSONSerializer, burst) in a fresh process
(``burst_worker.py``), while this process polls the TierRun row every second and prints its
progress:

1. the initial placement under those rules (everyone gets a tier and the bonuses up to it);
2. after a rule change (a new program version: other thresholds and a new top tier): the figure
   the issue asks for; then ``plugin.ledger.audit.check(shop)`` must be clean;
3. the same again with nothing to change.

PostgreSQL and Redis only (both wiped, see tests/bench/README.md).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import pstats
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import benchlib  # noqa: I001 - first: it puts the repository root on sys.path
import profiling
from peewee import fn

from plugin import tiers
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, CustomerTier, LedgerEntry, Notice, Order, TierChange, TierRun
from plugin.core.status import RunStatus
from plugin.ledger import audit
from plugin.pipeline import bootstrap, queue
from plugin.program import document, versions

CHUNK = 5000  # rows per INSERT
MAX_ORDERS = 12


def _tier(tier_id: str, title: str, threshold: int, bonus: int, multiplier: str = "1",
          discount: str = "0") -> dict:
    return {"id": tier_id, "title": {"en": title}, "threshold": str(threshold), "entry_bonus": bonus,
            "earn_multiplier": multiplier, "discount_percent": discount}


# Before: the default ladder. After: Bronze and Gold come lower (upgrades, with the entry
# bonuses of the tiers entered), Silver and Platinum higher (downgrade warnings: the grace period
# keeps those customers where they are), and a new top tier (upgrades, bonus).
LADDER_BEFORE = [
    _tier("novice", "Novice", 0, 0),
    _tier("bronze", "Bronze", 5000, 100, "1.25", "3"),
    _tier("silver", "Silver", 20000, 300, "1.5", "5"),
    _tier("gold", "Gold", 50000, 700, "2", "8"),
    _tier("platinum", "Platinum", 100000, 1500, "3", "10"),
]
LADDER_AFTER = [
    _tier("novice", "Novice", 0, 0),
    _tier("bronze", "Bronze", 4000, 100, "1.25", "3"),
    _tier("silver", "Silver", 25000, 300, "1.5", "5"),
    _tier("gold", "Gold", 45000, 700, "2", "8"),
    _tier("platinum", "Platinum", 120000, 1500, "3", "10"),
    _tier("diamond", "Diamond", 200000, 3000, "4", "12"),
]


def program(ladder: list[dict]) -> dict:
    doc = copy.deepcopy(document.DEFAULT)
    doc["tiers"] = {"metric": "amount_spent", "window": "rolling_12_months", "grace_days": 30,
                    "tiers": ladder}
    return doc


# --- seeding -------------------------------------------------------------------------------------

def order_rows(shop_id: int, customer_ids: list[int], rng: random.Random, now: datetime,
               first_n: int) -> list[dict]:
    """0-12 orders per customer (mean ~5) over the last 540 days; ~8% partly or fully refunded,
    ~3% cancelled (and refunded); amounts log-normal around 5000 (mean ~9000, a long tail)."""
    rows, n = [], first_n
    for cid in customer_ids:
        count = min(MAX_ORDERS, int(rng.expovariate(1 / 5.5)))
        for _ in range(count):
            eligible = Decimal(min(150_000, round(rng.lognormvariate(math.log(5000), 1.1)))).quantize(
                Decimal("0.01"))
            refunded, cancelled, roll = Decimal(0), False, rng.random()
            if roll < 0.03:
                refunded, cancelled = eligible, True
            elif roll < 0.11:
                refunded = (eligible * Decimal(rng.choice((0.1, 0.25, 0.5, 1)))).quantize(Decimal("0.01"))
            created = now - timedelta(days=rng.uniform(0, 540))
            platform_id = str(benchlib.ORDER_BASE + n)
            rows.append({
                "shop": shop_id, "platform_id": platform_id, "customer": cid, "currency": "RUB",
                "eligible": eligible, "refunded": refunded, "cancelled": cancelled,
                "order": {"id": platform_id, "currency": "RUB", "subtotal": str(eligible)},
                "first_order": False, "created_at": created,
            })
            n += 1
    return rows


def seed(customers: int, rng: random.Random) -> tuple[int, int]:
    """Fresh tables, the bench shop, its customers and their orders; (shop id, order count)."""
    benchlib.reset_database(benchlib.POSTGRES_URL)
    shop = benchlib.register_shop()
    now, orders = clock.now(), 0
    with session():
        for start in range(0, customers, CHUNK):
            with database.atomic():
                Customer.insert_many([
                    {"shop": shop.id, "platform_id": str(benchlib.CUSTOMER_BASE + n),
                     "email": f"shopper{n}@example.com", "first_name": "Shopper", "last_name": str(n),
                     "created_at": now - timedelta(days=600)}
                    for n in range(start, min(customers, start + CHUNK))]).execute()
                ids = [cid for (cid,) in Customer.select(Customer.id).where(
                    Customer.shop == shop.id).order_by(Customer.id.desc()).limit(
                    min(CHUNK, customers - start)).tuples()]
                rows = order_rows(shop.id, sorted(ids), rng, now, orders)
                for first in range(0, len(rows), CHUNK):
                    Order.insert_many(rows[first:first + CHUNK]).execute()
                orders += len(rows)
        database.execute_sql('ANALYZE "customer"; ANALYZE "orders"')
    return shop.id, orders


# --- one re-evaluation through RQ ------------------------------------------------------------------

def _ts(moment: datetime | None) -> float | None:
    return moment.replace(tzinfo=UTC).timestamp() if moment else None


def snapshot(shop_id: int) -> dict:
    with session():
        return {
            "tiers": dict(CustomerTier.select(CustomerTier.tier_id, fn.COUNT(CustomerTier.id)).where(
                CustomerTier.shop == shop_id).group_by(CustomerTier.tier_id).tuples()),
            "bonuses": LedgerEntry.select().where((LedgerEntry.shop == shop_id)
                                                  & (LedgerEntry.kind == EntryKind.BONUS)).count(),
            "bonus_points": int(LedgerEntry.select(fn.COALESCE(fn.SUM(LedgerEntry.delta), 0)).where(
                (LedgerEntry.shop == shop_id) & (LedgerEntry.kind == EntryKind.BONUS)).scalar()),
            "warnings": Notice.select().where((Notice.shop == shop_id)
                                              & (Notice.kind == tiers.WARNING)).count(),
            "last_change": TierChange.select(fn.COALESCE(fn.MAX(TierChange.id), 0)).scalar(),
        }


def start_worker(workdir: Path, label: str, batch_size: int) -> subprocess.Popen:
    """burst_worker.py (`loyalty worker`'s LoyaltyWorker, burst) in its own process group."""
    with open(workdir / f"worker-{label}.out", "wb") as out, \
            open(workdir / f"worker-{label}.err", "wb") as err:  # the child keeps its own copies
        return subprocess.Popen(
            [sys.executable, str(benchlib.BENCH_DIR / "burst_worker.py"),
             "--database-url", benchlib.POSTGRES_URL, "--redis-url", benchlib.REDIS_URL,
             "--batch-size", str(batch_size), *queue.QUEUE_NAMES],
            cwd=benchlib.REPO, stdout=out, stderr=err, start_new_session=True,
        )


def reevaluate(shop_id: int, label: str, batch_size: int, timeout: float, workdir: Path) -> dict:
    """Start a run as the admin API does, have one fresh burst worker do it, poll it every second."""
    before = snapshot(shop_id)
    with session():
        enqueued = time.time()
        run = tiers.start_reevaluation(shop_id, batch_size)
    status = run.status
    print(f"[{label}] run {run.id} {status} (enqueued on {queue.PERIODIC_QUEUE}); worker starting")
    proc = start_worker(workdir, label, batch_size)
    deadline, last_done = enqueued + timeout, -1
    try:
        while True:
            time.sleep(1)
            with session():
                row = TierRun.get_by_id(run.id)
            elapsed = time.time() - enqueued
            if row.done != last_done or row.status != status:
                pct = f"{row.done / row.total:6.1%}" if row.total else "   -  "
                print(f"[{label}] {elapsed:6.1f} s  {row.status:7}  {row.done:>7}/{row.total:<7} "
                      f"{pct}  changed {row.changed}", flush=True)
                last_done, status = row.done, row.status
            if row.status in (RunStatus.DONE, RunStatus.FAILED):
                break
            if proc.poll() is not None and proc.returncode != 0:
                raise RuntimeError(f"worker exited with {proc.returncode}: "
                                   f"{(workdir / f'worker-{label}.err').read_text()[-3000:]}")
            if time.time() > deadline:
                raise TimeoutError(f"run {run.id} not done after {timeout:.0f} s: "
                                   f"{row.done}/{row.total}, status {row.status}")
        try:
            proc.wait(max(5.0, deadline - time.time()))  # burst: it exits once the queues are empty
        except subprocess.TimeoutExpired:
            print(f"!! [{label}] the worker did not exit after the run; stopped")
        worker = {}
        out = (workdir / f"worker-{label}.out").read_text().strip().splitlines()
        if out:
            worker = json.loads(out[-1])
        errors = (workdir / f"worker-{label}.err").read_text().strip()
        if errors:
            print(f"[{label}] worker stderr: {errors[-2000:]}")
    finally:
        benchlib.stop(proc)
    if row.status != RunStatus.DONE:
        raise RuntimeError(f"run {run.id} failed: {row.error}")
    benchlib.redis_intact()
    after = snapshot(shop_id)
    with session():
        reasons = {reason["code"]: n for reason, n in TierChange.select(
            TierChange.reason, fn.COUNT(TierChange.id)).where(
            (TierChange.shop == shop_id) & (TierChange.id > before["last_change"]))
            .group_by(TierChange.reason).tuples()}  # the reason is stored as JSON: {"code": ...}
    finished, started = _ts(row.finished_at), _ts(row.started_at)
    return {
        "label": label, "run": row.id, "total": row.total, "done": row.done, "changed": row.changed,
        "version": row.program_version, "wall": finished - enqueued, "job": finished - started,
        "queued": started - enqueued, "worker": worker, "reasons": reasons, "before": before,
        "after": after, "new_bonuses": after["bonuses"] - before["bonuses"],
        "new_bonus_points": after["bonus_points"] - before["bonus_points"],
        "new_warnings": after["warnings"] - before["warnings"],
    }


def report(result: dict) -> None:
    r = result
    print(f"[{r['label']}] {r['done']}/{r['total']} customers under program version {r['version']}: "
          f"wall {r['wall']:.1f} s from enqueue to done ({r['done'] / r['wall']:.0f} customers/s); "
          f"the job itself {r['job']:.1f} s ({r['done'] / r['job']:.0f} customers/s), "
          f"{r['queued']:.1f} s from enqueue to its start (worker start-up)")
    print(f"[{r['label']}] changed tier: {r['changed']} {r['reasons'] or ''}; new entry bonuses: "
          f"{r['new_bonuses']} ({r['new_bonus_points']} points); new downgrade warnings: "
          f"{r['new_warnings']}")
    print(f"[{r['label']}] tiers now: {r['after']['tiers']}")


def timed_audit(shop_id: int) -> tuple[list, float]:
    with session():
        started = time.perf_counter()
        problems = audit.check(shop_id)
        return problems, time.perf_counter() - started


def profile(shop_id: int, batch_size: int) -> None:
    """reevaluate_shop in-process under cProfile with every SQL statement counted and timed, twice:
    after a rule change back to the first ladder (moves, warnings, bonuses: the writes), then with
    nothing to change (the cost of reading and comparing)."""
    bootstrap.wire()  # as the worker does: the tiers.evaluated fact reaches the outbox
    with session():
        total = Customer.select().where(Customer.shop == shop_id).count()
        versions.save(shop_id, program(LADDER_BEFORE), author="bench")
    for label in ("rule change back to v1's ladder", "nothing to change"):
        before = snapshot(shop_id)
        cpu = time.process_time()
        profiler, sql, wall = profiling.profiled(lambda: tiers.reevaluate_shop(shop_id, batch_size))
        cpu = time.process_time() - cpu
        with session():
            changed = TierChange.select().where(TierChange.id > before["last_change"]).count()
        print(f"\nprofile ({label}): reevaluate_shop in-process, {total} customers, batch {batch_size}, "
              f"{changed} changed tier: {wall:.1f} s wall, {cpu:.1f} s CPU of this process "
              f"({total / wall:.0f} customers/s with profiling overhead)")
        print(sql.report(total, "customer", wall, top=14))
        stats = pstats.Stats(profiler)
        print("\ncProfile, top by cumulative time (plugin/, peewee, psycopg2):")
        stats.sort_stats("cumulative").print_stats(r"plugin/|peewee|psycopg2", 24)


# --- main ----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000,
                        help="customers per transaction (the admin API's default is 1000)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per run")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--profile", action="store_true",
                        help="finally profile reevaluate_shop in-process after a rule change and "
                             "with nothing to change (SQL statements counted and timed + cProfile)")
    args = parser.parse_args()
    if not 1 <= args.customers <= 1_000_000 or not 1 <= args.batch_size <= 10_000:
        parser.error("keep --customers within 1..1000000 and --batch-size within 1..10000")
    if not benchlib.POSTGRES_URL.startswith("postgres"):
        parser.error("PostgreSQL only")

    with benchlib.scratch("loyalty-bench-tiers-") as workdir:
        print(benchlib.machine_note())
        print(f"PostgreSQL {benchlib.POSTGRES_URL}, Redis {benchlib.REDIS_URL}; one LoyaltyWorker "
              f"(forking, JSONSerializer, burst) in a fresh process per run; batch {args.batch_size}")
        started = time.perf_counter()
        shop_id, orders = seed(args.customers, random.Random(args.seed))
        with session():
            spread = Counter(n for (n,) in Order.select(fn.COUNT(Order.id)).where(
                Order.shop == shop_id).group_by(Order.customer).tuples())
            cancelled = Order.select().where((Order.shop == shop_id) & Order.cancelled).count()
            refunded = Order.select().where((Order.shop == shop_id) & (Order.refunded > 0)
                                            & ~Order.cancelled).count()
        no_orders = args.customers - sum(spread.values())
        print(f"seeded {args.customers} customers and {orders} orders ({cancelled} cancelled, "
              f"{refunded} more refunded in part or in full; {no_orders} customers without orders, "
              f"up to {max(spread) if spread else 0} each) in {time.perf_counter() - started:.1f} s")
        benchlib.flush_redis()
        queue.configure(benchlib.REDIS_URL)
        with session():
            versions.save(shop_id, program(LADDER_BEFORE), author="bench")
        print(f"program v1: amount_spent over rolling_12_months, "
              f"{[(t['id'], int(t['threshold'])) for t in LADDER_BEFORE]}\n")

        results = [reevaluate(shop_id, "initial placement", args.batch_size, args.timeout, workdir)]
        report(results[-1])

        with session():
            versions.save(shop_id, program(LADDER_AFTER), author="bench")
        print(f"\nprogram v2 (the rule change): {[(t['id'], int(t['threshold'])) for t in LADDER_AFTER]}")
        results.append(reevaluate(shop_id, "rule change", args.batch_size, args.timeout, workdir))
        report(results[-1])
        problems, audit_time = timed_audit(shop_id)
        print(f"[rule change] plugin.ledger.audit.check(shop): "
              f"{'clean' if not problems else f'{len(problems)} PROBLEMS'} ({audit_time:.2f} s)"
              + ("" if not problems else f", e.g. {[str(p) for p in problems[:3]]}"))

        print()
        results.append(reevaluate(shop_id, "nothing to change", args.batch_size, args.timeout, workdir))
        report(results[-1])
        problems_again, audit_again = timed_audit(shop_id)
        print(f"[nothing to change] plugin.ledger.audit.check(shop): "
              f"{'clean' if not problems_again else f'{len(problems_again)} PROBLEMS'} ({audit_again:.2f} s)")

        print()
        print(benchlib.table(
            ["run", "customers", "wall s", "customers/s", "job s", "changed tier", "new bonuses",
             "new warnings"],
            [[r["label"], r["done"], f"{r['wall']:.1f}", f"{r['done'] / r['wall']:.0f}", f"{r['job']:.1f}",
              r["changed"], r["new_bonuses"], r["new_warnings"]] for r in results]))
        print(f"audit after the rule change: {'clean' if not problems else 'NOT CLEAN'} "
              f"({audit_time:.2f} s); after the second run: {'clean' if not problems_again else 'NOT CLEAN'}")

        if args.profile:
            profile(shop_id, args.batch_size)


if __name__ == "__main__":
    main()
