"""The widget's account endpoint under concurrent shoppers: p50/p95 latency and requests/s.

    .venv/bin/python tests/bench/bench_widget.py [--requests N] [--concurrency C] [--customers K]

The plugin runs under gunicorn (``-w 2 -k gthread --threads 8``) on PostgreSQL; K shoppers each
hold a few lots and a ledger history; C client threads (16 by default, as the issue asks) GET
/widget/v1/account with their own signed customer tokens. See tests/bench/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import shutil
import tempfile
import threading
import time
from pathlib import Path

import benchlib  # noqa: I001 - first: it puts the repository root on sys.path
import requests

from plugin.core.kinds import EntryKind


def seed(customers: int) -> tuple[object, list[str]]:
    """The bench shop with ``customers`` shoppers, each with three lots and some history."""
    from plugin import ledger
    from plugin.core.db import database, session
    from plugin.core.models import Customer

    shop = benchlib.register_shop()
    ids = [str(benchlib.CUSTOMER_BASE + n) for n in range(customers)]
    with session(), database.atomic():
        Customer.insert_many([{"shop": shop.id, "platform_id": pid} for pid in ids]).execute()
        rows = {c.platform_id: c for c in Customer.select().where(Customer.shop == shop.id)}
        ledger.grant_many(shop.id, [
            ledger.Grant(rows[pid].id, 100 + n, source=f"seed:{pid}:{k}", rule={}, key=f"seed:{pid}:{k}")
            for n, pid in enumerate(ids) for k in range(3)], kind=EntryKind.EARN)
    return shop, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--gunicorn-args", default="-w 2 -k gthread --threads 8")
    args = parser.parse_args()
    if not 1 <= args.requests <= 100_000 or not 1 <= args.concurrency <= 64:
        parser.error("keep --requests within 1..100000 and --concurrency within 1..64")

    from plugin.core.crypto import Vault
    from widgets import identity

    workdir = Path(tempfile.mkdtemp(prefix="loyalty-bench-widget-"))
    server = None
    try:
        benchlib.reset_database(benchlib.POSTGRES_URL)
        shop, ids = seed(args.customers)
        vault = Vault(benchlib.SECRET_KEY)
        tokens = [identity.issue_token(vault, shop, pid, 3600) for pid in ids]
        port = benchlib.free_port()
        server = benchlib.start_gunicorn("plugin.app:create_app()", port, shlex.split(args.gunicorn_args), {
            "LOYALTY_DATABASE_URL": benchlib.POSTGRES_URL, "LOYALTY_REDIS_URL": benchlib.REDIS_URL,
            "LOYALTY_SECRET_KEY": benchlib.SECRET_KEY, "SHOPIFY_API_KEY": "", "SHOPIFY_API_SECRET": "",
        }, workdir / "plugin.log")
        url = f"http://127.0.0.1:{port}/widget/v1/account"
        counter, latencies, failures = itertools.count(), [], []
        lock, barrier = threading.Lock(), threading.Barrier(args.concurrency + 1)

        def client() -> None:
            mine, bad = [], 0
            with requests.Session() as http:
                for token in tokens[:50]:  # warm up connections and caches
                    http.get(url, headers={identity.SHOP_HEADER: shop.domain,
                                           "Authorization": f"Bearer {token}"}, timeout=30)
                barrier.wait()
                while (i := next(counter)) < args.requests:
                    token = tokens[i % len(tokens)]
                    began = time.perf_counter()
                    response = http.get(url, timeout=30, headers={
                        identity.SHOP_HEADER: shop.domain, "Authorization": f"Bearer {token}"})
                    mine.append(time.perf_counter() - began)
                    bad += response.status_code != 200
            with lock:
                latencies.extend(mine)
                failures.append(bad)

        threads = [threading.Thread(target=client) for _ in range(args.concurrency)]
        wall = benchlib.run_together(threads, barrier)
        latencies.sort()
        print(f"{args.requests} GET /widget/v1/account, {args.concurrency} concurrent clients, "
              f"{args.customers} shoppers with 3 lots each; gunicorn {args.gunicorn_args}; PostgreSQL")
        print(benchlib.machine_note())
        print(benchlib.table(
            ["endpoint", "requests", "wall s", "requests/s", "p50 ms", "p95 ms", "p99 ms", "failed"],
            [["/widget/v1/account", args.requests, f"{wall:.2f}", f"{args.requests / wall:.0f}",
              f"{benchlib.percentile(latencies, 50) * 1000:.1f}",
              f"{benchlib.percentile(latencies, 95) * 1000:.1f}",
              f"{benchlib.percentile(latencies, 99) * 1000:.1f}", sum(failures)]]))
    finally:
        benchlib.stop(server)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
