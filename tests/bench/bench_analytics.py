"""Analytics over a big ledger: the rollup backfill and summary() over 90 days.

    .venv/bin/python tests/bench/bench_analytics.py [--entries 1000000] [--customers 20000] [--days 365]
                                                    [--backend postgres|sqlite] [--seed K]

Bulk-inserts N ledger entries for the bench shop spread over the last D days (earn, bonus, review,
adjust, reverse, expire, transfer, hold/release pairs), an order per ~4 entries (one in six a
guest's), committed holds for a tenth of the orders, offer events and balances. The rows are
shaped like the real ones but written directly (no lots), so ``loyalty audit`` is not meaningful
on this data. Then it times: summary() over the last 90 days with nothing rolled up (every day
computed live), the full backfill, summary() and daily() again (stored days plus today live), and
one cron run (``roll_up_recent``). The database is wiped (see tests/bench/README.md).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta
from decimal import Decimal

import benchlib  # noqa: I001 - first: it puts the repository root on sys.path

from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.models import Balance, Customer, DailyFigure, Hold, LedgerEntry, OfferEvent, Order
from plugin.reports import analytics, rollups

CHUNK = 5000
KINDS = ["earn"] * 50 + ["bonus"] * 8 + ["review"] * 4 + ["adjust"] * 2 + ["reverse"] * 6 + \
        ["expire"] * 5 + ["transfer"] * 4 + ["hold"] * 12 + ["release"] * 4 + ["settle"] * 1


def insert(model, rows: list[dict]) -> None:
    with database.atomic():
        for n in range(0, len(rows), CHUNK):
            model.insert_many(rows[n:n + CHUNK]).execute()


def seed(shop_id: int, entries: int, customers: int, days: int, rng: random.Random) -> None:
    now = clock.now()
    insert(Customer, [{"shop": shop_id, "platform_id": str(benchlib.CUSTOMER_BASE + n),
                       "lifetime_earned": 0 if n % 7 == 0 else 100} for n in range(customers)])
    ids = [cid for (cid,) in Customer.select(Customer.id).where(Customer.shop == shop_id).tuples()]
    done = 0
    while done < entries:
        batch = min(100_000, entries - done)
        rows, orders, holds, offers = [], [], [], []
        for n in range(done, done + batch):
            kind = rng.choice(KINDS)
            points = rng.randint(1, 500)
            delta = points if kind in ("earn", "bonus", "review", "release") else -points
            if kind in ("adjust", "transfer", "settle"):
                delta = rng.choice((points, -points))
            at = now - timedelta(days=rng.random() * days)
            rows.append({"shop": shop_id, "customer": rng.choice(ids), "point_type": "regular",
                         "delta": delta, "kind": kind, "idempotency_key": f"e{n}", "created_at": at})
            if n % 4 == 0:
                order_id = str(benchlib.ORDER_BASE + n)
                orders.append({"shop": shop_id, "platform_id": order_id,
                               "customer": None if n % 24 == 0 else rng.choice(ids), "currency": "USD",
                               "eligible": Decimal(rng.randint(500, 50000)) / 100, "order": {},
                               "created_at": at})
                if n % 40 == 0:
                    holds.append({"shop": shop_id, "customer": rng.choice(ids), "point_type": "regular",
                                  "points": points, "lots": {}, "code": f"B-{n}",
                                  "amount": Decimal(points) / 100,
                                  "currency": "USD", "idempotency_key": f"h{n}", "status": "committed",
                                  "order_id": order_id, "expires_at": at, "created_at": at, "closed_at": at})
            if n % 2 == 0:
                offers.append({"shop": shop_id, "offer_id": f"offer-{n % 12}",
                               "kind": rng.choice(("impression",) * 8 + ("click",) * 2 + ("redemption",)),
                               "created_at": at})
        insert(LedgerEntry, rows)
        insert(Order, orders)
        insert(Hold, holds)
        insert(OfferEvent, offers)
        done += batch
        print(f"  seeded {done}/{entries} entries", flush=True)
    insert(Balance, [{"shop": shop_id, "customer": cid, "point_type": "regular",
                      "points": rng.randint(0, 3000)} for cid in ids])


def timed(label: str, func):
    started = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.2f} s", flush=True)
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(benchlib.machine_note())
    url = benchlib.POSTGRES_URL if args.backend == "postgres" else "sqlite:////tmp/loyalty-bench-analytics.db"
    benchlib.reset_database(url)
    with session():
        shop = benchlib.register_shop()
        _, seeding = timed(f"seed {args.entries} entries, {args.customers} customers",
                           lambda: seed(shop.id, args.entries, args.customers, args.days,
                                        random.Random(args.seed)))
        if args.backend == "postgres":
            database.execute_sql("ANALYZE")
        today = clock.now().date()
        start = today - timedelta(days=89)
        live, t_live = timed("summary() over 90 days, nothing rolled up (all live)",
                             lambda: analytics.summary(shop.id, start, today))
        written, t_backfill = timed(f"backfill of {args.days} days", lambda: rollups.backfill(shop.id))
        stored, t_summary = timed("summary() over 90 days from rollups (today live)",
                                  lambda: analytics.summary(shop.id, start, today))
        _, t_daily = timed("daily() over 90 days", lambda: analytics.daily(shop.id, start, today))
        _, t_cron = timed("roll_up_recent() (the cron job: yesterday and today)", rollups.roll_up_recent)
        assert live == stored, "the rollups disagree with the live figures"
        rows = DailyFigure.select().where(DailyFigure.shop == shop.id).count()
    print()
    print(benchlib.table(
        ["what", "seconds"],
        [[f"seed ({args.backend})", f"{seeding:.1f}"], ["summary 90 days, live", f"{t_live:.2f}"],
         [f"backfill ({written} rows written, {rows} stored)", f"{t_backfill:.2f}"],
         ["summary 90 days, rolled up", f"{t_summary:.3f}"], ["daily 90 days, rolled up", f"{t_daily:.3f}"],
         ["cron run", f"{t_cron:.3f}"]]))
    print(f"issued {stored['points']['issued']}, redeemed {stored['points']['redeemed']}, "
          f"expired {stored['points']['expired']} over 90 days; live == rolled up: {live == stored}")


if __name__ == "__main__":
    main()
