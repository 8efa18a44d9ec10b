"""A shopper's balance reads against the size of their ledger: 1k, 100k and 1M entries.

    .venv/bin/python tests/bench/bench_balance.py [--sizes 1000,100000,1000000] [--reads 50]

One shopper per size gets that many ledger entries, as a long history leaves them: lots earned
and then spent in full (an earn and a spend entry each, the lot empty), and five lots still open
(one expiring within the warning window), with the balance materialized as the ledger keeps it.
Then, in-process through the Flask test client, the two reads that show a balance are timed:

* the widget's ``GET /widget/v1/account`` (signed customer token), and
* the admin API's ``GET /api/v1/customers/<id>`` (the shop's API key).

Printed per size: milliseconds per read (median and p90 of ``--reads``), the SQL statements of
one read, and for every statement its plan (``EXPLAIN (ANALYZE, BUFFERS)``) with the rows its scan
nodes read: a read is O(1) in ledger size when no statement reads more rows for the 1M shopper
than for the 1k one. PostgreSQL only (the bench database is wiped, see tests/bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from datetime import timedelta

import benchlib  # noqa: I001 - first: it puts the repository root on sys.path

from plugin.core import clock, reasons
from plugin.core.crypto import Vault
from plugin.core.db import database, insert_rows, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Balance, Customer, LedgerEntry, Lot
from widgets import identity

CHUNK = 50_000  # entries per seeding transaction
OPEN_LOTS = 5
SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan")


def seed_shopper(shop_id: int, platform_id: str, entries: int) -> None:
    """A shopper with ``entries`` ledger entries: (entries - 5) / 2 lots earned and spent in full,
    then five open lots; balance and lifetime total consistent with them."""
    now = clock.now()
    with session():
        customer = Customer.create(shop=shop_id, platform_id=platform_id,
                                   created_at=now - timedelta(days=900))
        next_lot = (Lot.select(Lot.id).order_by(Lot.id.desc()).scalar() or 0) + 1
        closed = (entries - OPEN_LOTS) // 2
        spent_rows = [(n, 10 + n % 90, 0) for n in range(closed)]
        open_rows = [(closed + k, 100 * (k + 1), 100 * (k + 1)) for k in range(OPEN_LOTS)]
        earned = balance = 0
        rows = spent_rows + open_rows
        for start in range(0, len(rows), CHUNK):
            lots, lines = [], []
            for n, original, remaining in rows[start:start + CHUNK]:
                lot_id, at = next_lot + n, now - timedelta(days=900) + timedelta(seconds=n * 60)
                expires = now + timedelta(days=7) if n == closed else None  # one lot expiring soon
                lots.append({"id": lot_id, "shop": shop_id, "customer": customer.id, "point_type": "regular",
                             "source": f"order:{platform_id}:{n}", "key": f"{platform_id}:{n}",
                             "original": original, "remaining": remaining, "rule": {"bench": True},
                             "expires_at": expires, "created_at": at})
                lines.append({"shop": shop_id, "customer": customer.id, "lot": lot_id,
                              "point_type": "regular", "delta": original, "kind": EntryKind.EARN,
                              **reasons.columns(""), "idempotency_key": f"{platform_id}:{n}",
                              "created_at": at})
                if remaining == 0:
                    lines.append({"shop": shop_id, "customer": customer.id, "lot": lot_id,
                                  "point_type": "regular", "delta": -original, "kind": EntryKind.SPEND,
                                  **reasons.columns(""), "idempotency_key": f"{platform_id}:{n}:spend",
                                  "created_at": at + timedelta(seconds=30)})
                earned, balance = earned + original, balance + remaining
            with database.atomic():
                insert_rows(Lot, lots)
                insert_rows(LedgerEntry, lines)
        Balance.create(shop=shop_id, customer=customer.id, point_type="regular", points=balance)
        Customer.update(lifetime_earned=earned).where(Customer.id == customer.id).execute()
        database.execute_sql("SELECT setval(pg_get_serial_sequence('lot', 'id'), (SELECT MAX(id) FROM lot))")


class Statements:
    """Records the SQL text and parameters of every statement peewee runs."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, tuple]] = []

    def __enter__(self) -> Statements:
        execute = database.obj.execute_sql

        def recording(sql, params=None, *args, **kwargs):
            self.seen.append((sql, tuple(params or ())))
            return execute(sql, params, *args, **kwargs)

        database.obj.execute_sql = recording
        return self

    def __exit__(self, *exc) -> None:
        del database.obj.execute_sql


def scanned(plan: dict) -> list[tuple[str, str, int]]:
    """(node, relation, rows read) of every scan node: rows returned plus rows filtered out, per loop."""
    found = []
    if plan["Node Type"] in SCANS:
        rows = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
                + plan.get("Rows Removed by Index Recheck", 0)) * plan.get("Actual Loops", 1)
        found.append((plan["Node Type"] + (f" using {plan['Index Name']}" if "Index Name" in plan else ""),
                      plan.get("Relation Name", "?"), int(rows)))
    for child in plan.get("Plans", ()):
        found += scanned(child)
    return found


def explain(statements: list[tuple[str, tuple]]) -> list[dict]:
    """Each SELECT's plan (run again under EXPLAIN ANALYZE) and the rows its scans read."""
    out = []
    cursor = database.cursor()
    for sql, params in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
        plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        text = "\n".join(row[0] for row in cursor.fetchall())
        out.append({"sql": re.sub(r"\s+", " ", sql), "scans": scanned(plan), "text": text})
    return out


def time_reads(client, path: str, headers: dict, reads: int) -> tuple[list[float], list[tuple[str, tuple]]]:
    for _ in range(3):  # warm the caches
        assert client.get(path, headers=headers).status_code == 200
    with Statements() as recorded:
        assert client.get(path, headers=headers).status_code == 200
    times = []
    for _ in range(reads):
        began = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.data[:300]
    return sorted(times), recorded.seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000,1000000", help="ledger entries per shopper")
    parser.add_argument("--reads", type=int, default=50, help="timed reads per endpoint and size")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if not all(10 <= size <= 5_000_000 for size in sizes) or not 1 <= args.reads <= 10_000:
        parser.error("keep each size within 10..5000000 and --reads within 1..10000")
    if not benchlib.POSTGRES_URL.startswith("postgres"):
        parser.error("PostgreSQL only")

    from plugin.app import create_app

    print(benchlib.machine_note())
    benchlib.reset_database(benchlib.POSTGRES_URL)
    shop = benchlib.register_shop()
    started = time.perf_counter()
    for size in sizes:
        seed_shopper(shop.id, f"big-{size}", size)
    with session():
        database.execute_sql("ANALYZE")
        counts = {size: LedgerEntry.select().join(Customer, on=LedgerEntry.customer == Customer.id).where(
            Customer.platform_id == f"big-{size}").count() for size in sizes}
    print(f"seeded {len(sizes)} shoppers with {', '.join(map(str, counts.values()))} ledger entries "
          f"({OPEN_LOTS} open lots each) in {time.perf_counter() - started:.1f} s")

    app = create_app({"LOYALTY_DATABASE_URL": benchlib.POSTGRES_URL, "LOYALTY_REDIS_URL": benchlib.REDIS_URL,
                      "LOYALTY_SECRET_KEY": benchlib.SECRET_KEY, "SHOPIFY_API_KEY": "",
                      "SHOPIFY_API_SECRET": ""})
    vault, client = Vault(benchlib.SECRET_KEY), app.test_client()
    with session():
        shop = type(shop).get_by_id(shop.id)
    admin = {"Authorization": f"Bearer {vault.api_key(shop.id, shop.key_version)}"}
    results, plans = [], {}
    for size in sizes:
        pid = f"big-{size}"
        token = identity.issue_token(vault, shop, pid, 3600)
        reads = {
            "widget GET /widget/v1/account": ("/widget/v1/account", {
                identity.SHOP_HEADER: shop.domain, "Authorization": f"Bearer {token}"}),
            "admin GET /api/v1/customers/<id>": (f"/api/v1/customers/{pid}", admin),
        }
        for name, (path, headers) in reads.items():
            times, statements = time_reads(client, path, headers, args.reads)
            with session():
                explained = explain(statements)
            plans[name, size] = explained
            worst = max((rows for plan in explained for _, _, rows in plan["scans"]), default=0)
            results.append([name, counts[size], f"{statistics.median(times):.2f}",
                            f"{benchlib.percentile(times, 90):.2f}", len(statements), worst])

    print()
    print(benchlib.table(["read", "ledger entries", "median ms", "p90 ms", "statements",
                          "most rows one scan read"], results))
    for name in {name for name, _ in plans}:
        print(f"\n== {name}: rows each statement's scans read, per shopper size ==")
        by_size = {size: plans[name, size] for size in sizes}
        for n, plan in enumerate(by_size[sizes[-1]]):
            reads = " | ".join(f"{size}: {sum(rows for _, _, rows in by_size[size][n]['scans'])}"
                               if n < len(by_size[size]) else f"{size}: -" for size in sizes)
            print(f"\n[{n + 1}] {plan['sql'][:220]}\n    rows read: {reads}")
            print("    plan at the largest size:\n      " + plan["text"].replace("\n", "\n      "))
    print("\n(wall figures measured on a shared machine; the rows read are what to compare)")


if __name__ == "__main__":
    main()
