"""Importing a 100k-row CSV of customers and balances, with progress, and importing it again.

    .venv/bin/python tests/bench/bench_import.py [--rows N] [--batch-size B] [--tier-share F]
                                                 [--backend postgres|sqlite] [--seed K]

Generates a file the way another loyalty app exports one (``customer_id, email, first_name,
last_name, points_balance, vip_tier, referral_code, date_of_birth``; F of the rows name a tier, half
a birthday) with ONE malformed row (a points balance of ``12x``) at a random line, then runs
``plugin.dataio.imports.import_csv`` in-process, as ``loyalty import FILE`` does, drawing its progress bar
on stderr. Printed: rows, time, rows/s, the counts of the report and the line it rejected, which
must be the malformed row's. The same file is then imported again (it must change nothing) and
``plugin.ledger.audit.check(shop)`` must be clean. Nothing here asserts a time.

PostgreSQL by default (wiped, see tests/bench/README.md); ``--backend sqlite`` uses a temp file.
"""

from __future__ import annotations

import argparse
import copy
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import benchlib

from plugin.cli.imports import _bar
from plugin.core import clock, csvfile, db
from plugin.core.db import database, session
from plugin.core.models import Customer, LedgerEntry
from plugin.dataio import imports
from plugin.ledger import audit
from plugin.program import document, versions

LADDER = [
    {"id": "member", "title": {"en": "Member"}, "threshold": "0"},
    {"id": "silver", "title": {"en": "Silver"}, "threshold": "1000"},
    {"id": "gold", "title": {"en": "Gold"}, "threshold": "5000"},
]
HEADER = ("customer_id", "email", "first_name", "last_name", "points_balance", "vip_tier", "referral_code",
          "date_of_birth")


def generate(rows: int, tier_share: float, rng: random.Random) -> tuple[str, int]:
    """The CSV text and the line number of its one malformed row."""
    bad = rng.randrange(2, rows + 2)
    lines = []
    for n in range(rows):
        line = n + 2
        birthday = f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        lines.append((str(benchlib.CUSTOMER_BASE + n), f"shopper{n}@example.com", "Shopper", f"N{n}",
                      "12x" if line == bad else str(int(rng.expovariate(1 / 800))),
                      rng.choice(("Silver", "Gold")) if rng.random() < tier_share else "",
                      f"REF{n:07d}", birthday if rng.random() < 0.5 else ""))
    return "".join(csvfile.lines([HEADER, *lines])), bad


def timed_import(shop_id: int, text: str, batch_size: int) -> tuple[imports.Report, float]:
    started = time.perf_counter()
    with session():
        report = imports.import_csv(shop_id, text, actor="bench", progress=_bar, batch_size=batch_size)
    elapsed = time.perf_counter() - started
    print(file=sys.stderr)
    return report, elapsed


def describe(label: str, report: imports.Report, elapsed: float) -> None:
    print(f"[{label}] {report.total} rows in {elapsed:.1f} s: {report.total / elapsed:.0f} rows/s; "
          f"{report.customers_created} customers created, {report.balances_granted} opening balances "
          f"({report.points_granted} points), {report.already_imported} imported before, "
          f"{report.tiers_assigned} tiers, {report.referral_codes} referral codes, {report.birthdays} "
          f"birthdays; rejected lines {[r['line'] for r in report.rejected]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000, help="rows per transaction")
    parser.add_argument("--tier-share", type=float, default=0.05, help="share of rows that name a tier")
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not 1 <= args.rows <= 1_000_000 or not 1 <= args.batch_size <= 10_000 or not 0 <= args.tier_share <= 1:
        parser.error("keep --rows within 1..1000000, --batch-size within 1..10000, --tier-share within 0..1")

    workdir = Path(tempfile.mkdtemp(prefix="loyalty-bench-import-"))
    try:
        print(benchlib.machine_note())
        if args.backend == "postgres":
            benchlib.reset_database(benchlib.POSTGRES_URL)
        else:
            db.bind(f"sqlite:///{workdir / 'bench.db'}")  # a fresh file: nothing to reset
        shop = benchlib.register_shop()
        program = copy.deepcopy(document.DEFAULT)
        program["tiers"] = {"metric": "points_earned", "tiers": LADDER}
        with session():
            versions.save(shop.id, program, author="bench")
        started = time.perf_counter()
        text, bad = generate(args.rows, args.tier_share, random.Random(args.seed))
        print(f"{args.backend}; generated {args.rows} rows ({len(text) / 1e6:.1f} MB, the malformed one on "
              f"line {bad}) in {time.perf_counter() - started:.1f} s; batch {args.batch_size} rows")

        first, elapsed = timed_import(shop.id, text, args.batch_size)
        describe("import", first, elapsed)
        rejected = [r["line"] for r in first.rejected]
        print(f"the malformed row: line {bad}; the report rejects {rejected}: "
              f"{'as expected' if rejected == [bad] else 'NOT AS EXPECTED'} "
              f"({first.rejected[0]['reason'] if first.rejected else '-'})")

        with session():
            before = (Customer.select().count(), LedgerEntry.select().count())
        again, elapsed_again = timed_import(shop.id, text, args.batch_size)
        describe("same file again", again, elapsed_again)
        with session():
            after = (Customer.select().count(), LedgerEntry.select().count())
            audit_started = time.perf_counter()
            problems = audit.check(shop.id)
            audit_time = time.perf_counter() - audit_started
        print(f"re-import changed {'nothing' if after == before else f'rows: {before} -> {after}'}; "
              f"plugin.ledger.audit.check(shop): {'clean' if not problems else f'{len(problems)} PROBLEMS'} "
              f"({audit_time:.2f} s)")
        print()
        print(benchlib.table(["run", "rows", "s", "rows/s", "customers created", "balances granted"], [
            ["import", first.total, f"{elapsed:.1f}", f"{first.total / elapsed:.0f}", first.customers_created,
             first.balances_granted],
            ["again", again.total, f"{elapsed_again:.1f}", f"{again.total / elapsed_again:.0f}",
             again.customers_created, again.balances_granted]]))
    finally:
        clock.set_source(None)
        if not database.is_closed():
            database.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
