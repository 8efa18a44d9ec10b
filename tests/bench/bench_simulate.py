"""The program simulator over a year of a store's orders, as `loyalty simulate` runs it.

    .venv/bin/python tests/bench/bench_simulate.py [--orders 100000] [--customers 30000] [--seed 7]
                                                   [--profile]

Writes a CSV of N orders over 2025 (1 to 3 lines each, five categories, 3% partly refunded ten days
later; repeat buyers drawn from a Pareto law, so a few customers order very often) and a program
with what costs time: a percent rate, a category multiplier, an excluded category, points that
expire after 180 days and may pay 20% of an order, a sign-up grant and three tiers by amount spent
over a rolling 12 months with multipliers and an entry bonus. Then it times, in this process,
reading the file (plugin.reports.economics.history.read_csv), grouping lines into orders, and the
simulation, and finally the whole command (`loyalty simulate --json`) in a process of its own,
each as wall time and as CPU time (the figure on a busy machine). No database, no Redis.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from plugin.program.document.program import load  # noqa: E402
from plugin.reports.economics import history, simulate  # noqa: E402
from plugin.reports.economics.scenario import Scenario  # noqa: E402

CATEGORIES = ("shoes", "bags", "sale", "care", "")
PROGRAM = {
    "point_types": {"regular": {"expiry": {"kind": "days", "days": 180}, "redemption_cap": {"percent": 20}}},
    "earning": {"rate": {"kind": "percent", "percent": "5"},
                "category_rules": [{"category": "shoes", "multiplier": "2"}], "exclude_categories": ["sale"]},
    "categories": {"shoes": {"product_types": ["shoes"]}, "sale": {"tags": ["sale"]}},
    "signup": {"points": 100},
    "tiers": {"metric": "amount_spent", "window": "rolling_12_months", "tiers": [
        {"id": "novice", "threshold": 0},
        {"id": "silver", "threshold": 20000, "earn_multiplier": "1.5", "entry_bonus": 200},
        {"id": "gold", "threshold": 60000, "earn_multiplier": "2"}]},
    "redemption": {"point_value": "1"},
}


def write_orders(path: Path, orders: int, customers: int, seed: int) -> int:
    """The CSV of ``orders`` orders over 2025; returns its number of lines."""
    rnd, start, count = random.Random(seed), datetime(2025, 1, 1), 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "customer_id", "placed_at", "amount", "sku", "category"])
        for n in range(orders):
            who = f"c{int(rnd.paretovariate(1.2) * 1000) % customers}"
            at = start + timedelta(seconds=rnd.randrange(365 * 86400))
            for k in range(rnd.choice((1, 1, 2, 3))):
                writer.writerow([f"o{n}", who, at.isoformat(), rnd.randrange(300, 9000), f"SKU-{k}",
                                 rnd.choice(CATEGORIES)])
                count += 1
            if rnd.random() < 0.03:
                writer.writerow([f"o{n}", who, (at + timedelta(days=10)).isoformat(), -200, "SKU-0", ""])
                count += 1
    return count


def timed(label: str, work):
    """Run ``work``, print its wall time and this process's CPU time (the CPU time is what it costs
    on a quiet machine; the wall time also counts waiting for a core)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"  {label:<34} {wall:6.2f} s wall {cpu:6.2f} s CPU")
    return result, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as folder:
        orders_csv, program_json = Path(folder) / "orders.csv", Path(folder) / "program.json"
        lines = write_orders(orders_csv, args.orders, args.customers, args.seed)
        program_json.write_text(json.dumps(PROGRAM))
        print(f"{args.orders:,} orders ({lines:,} lines, {orders_csv.stat().st_size / 1e6:.1f} MB) over 2025")
        program = load(PROGRAM)
        text = orders_csv.read_text(encoding="utf-8")
        reading, read_s = timed("reading the CSV", lambda: history.read_csv(text))
        orders, group_s = timed("grouping lines into orders", lambda: history.orders_of(reading.lines))
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        result, simulate_s = timed("simulating", lambda: simulate.simulate(program, orders, Scenario()))
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        total = read_s + group_s + simulate_s
        print(f"  {'in-process total':<34} {total:6.2f} s ({args.orders / total:,.0f} orders/s)")
        started, children = time.perf_counter(), os.times()
        command = subprocess.run([str(Path(sys.executable).parent / "loyalty"), "simulate", "--program",
                                  str(program_json), "--orders", str(orders_csv), "--json"],
                                 capture_output=True, text=True, check=True)
        whole, after = time.perf_counter() - started, os.times()
        cpu = after.children_user + after.children_system - children.children_user - children.children_system
        figures = json.loads(command.stdout)["totals"]
        print(f"  {'loyalty simulate --json (a process)':<34} {whole:6.2f} s wall {cpu:6.2f} s CPU")
    totals = result.as_dict()["totals"]
    assert figures == totals, "the command and the in-process run disagree"
    print(f"points issued {totals['points_issued']:,}, redeemed {totals['points_redeemed']:,}, "
          f"expired {totals['points_expired']:,}; cost {totals['cost']} "
          f"({float(totals['cost_share_of_margin'] or 0):.1%} of margin); "
          f"liability at year end {totals['liability']}")


if __name__ == "__main__":
    main()
