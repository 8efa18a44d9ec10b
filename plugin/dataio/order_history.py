"""A shop's past orders for the economics simulator, from a CSV file or the platform's order listing,
kept as PastOrderLine rows and read back by ``stored_lines``.

A CSV row is read by plugin.reports.economics.history.line_of (the columns and checks the simulator's
own file reader uses); a malformed row is rejected with its line number and reason, the rest import.
Lines are written ``batch_size`` at a time, one transaction each, with progress after each batch; a
dry run rolls every transaction back, so it reports exactly what would happen.

Idempotent: a line's key is a digest of what it says (and which of identical lines of the order it
is), unique per shop, source and order. Importing a file again adds nothing; a file of later refunds
adds only the refunds. A fetched order replaces the lines its earlier fetch stored (a platform order
can change: a refund, a returned line), so fetching a period again changes nothing either.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from plugin.core import csvfile
from plugin.core.db import insert_rows, write_transaction
from plugin.core.models import PastOrderLine
from plugin.dataio.import_rows import RunReport
from plugin.reports.economics.history import CENT, COLUMNS, PastLine, read_csv

CSV = "csv"


@dataclass
class Report(RunReport):
    """An order history import's report: orders, lines added (and replaced, by a fetch), refunds,
    and the days the lines span."""

    orders: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    refunds: int = 0
    first_day: str | None = None
    last_day: str | None = None

    def saw(self, lines: list[PastLine]) -> None:
        """Count the refunds and days of lines about to be written (the orders: the caller, which
        knows whether an order can span batches)."""
        self.refunds += sum(1 for line in lines if line.amount < 0)
        days = [line.placed_at.date().isoformat() for line in lines]
        if days:
            self.first_day = min([*days, self.first_day or days[0]])
            self.last_day = max([*days, self.last_day or days[0]])


def said(line: PastLine) -> str:
    """What a line says, digested."""
    text = "|".join((line.customer_id, line.placed_at.isoformat(), str(line.amount), line.sku or "",
                     line.category or "", str(line.quantity)))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def keyed(lines: Iterable[PastLine]) -> list[tuple[str, PastLine]]:
    """Each line with its key: what it says and which of the order's identical lines it is (0, 1...)."""
    seen: Counter = Counter()
    out = []
    for line in lines:
        digest = said(line)
        out.append((f"{digest}:{seen[(line.order_id, digest)]}", line))
        seen[(line.order_id, digest)] += 1
    return out


def count_rows(text: str) -> int:
    """The file's data rows; raises Invalid (a 422 on ``file``) when the header lacks a needed column."""
    read_csv(text.lstrip().split("\n", 1)[0])  # the header alone: its checks are the reader's
    return len(csvfile.read(text, COLUMNS, one_of=("order_id",)).rows)


def import_csv(shop_id: int, text: str, *, dry_run: bool = False, run_id: int | None = None,
               progress: Callable[[int, int], None] | None = None, batch_size: int = 1000) -> Report:
    """Import the file's order lines; ``progress(done, total)`` is called after every batch."""
    reading = read_csv(text)
    report = Report(total=len(reading.lines) + len(reading.rejected), dry_run=dry_run,
                    orders=len({line.order_id for line in reading.lines}),
                    ignored_columns=reading.ignored_columns, rejected=reading.rejected)
    report.done = len(reading.rejected)
    if progress:
        progress(report.done, report.total)
    lines = keyed(reading.lines)
    for start in range(0, len(lines), batch_size):
        chunk = lines[start:start + batch_size]
        write(shop_id, CSV, chunk, report, run_id=run_id, dry_run=dry_run)
        report.done += len(chunk)
        if progress:
            progress(report.done, report.total)
    return report


def write(shop_id: int, source: str, lines: list[tuple[str, PastLine]], report: Report, *,
          run_id: int | None, dry_run: bool, replace: bool = False) -> None:
    """One batch in one transaction: the lines not stored yet are added; with ``replace`` (a fetched
    page of whole orders) the orders' stored lines that are no longer listed are removed."""
    report.saw([line for _, line in lines])
    orders = sorted({line.order_id for _, line in lines})
    with write_transaction() as transaction:
        stored = {(order_id, key): row_id for order_id, key, row_id in PastOrderLine.select(
            PastOrderLine.order_id, PastOrderLine.line_key, PastOrderLine.id).where(
            (PastOrderLine.shop == shop_id) & (PastOrderLine.source == source)
            & PastOrderLine.order_id.in_(orders)).tuples()}
        wanted = {(line.order_id, key): line for key, line in lines}
        fresh = [(*pair, line) for pair, line in wanted.items() if pair not in stored]
        insert_rows(PastOrderLine, [
            {"shop": shop_id, "source": source, "order_id": order_id, "line_key": key,
             "customer_id": line.customer_id, "placed_at": line.placed_at, "amount": line.amount,
             "sku": line.sku, "category": line.category, "quantity": line.quantity, "run": run_id}
            for order_id, key, line in fresh], ignore_conflicts=True)
        report.lines_added += len(fresh)
        report.already_imported += len(wanted) - len(fresh)
        if replace:
            gone = [row_id for pair, row_id in stored.items() if pair not in wanted]
            if gone:
                PastOrderLine.delete().where(PastOrderLine.id.in_(gone)).execute()
            report.lines_removed += len(gone)
        if dry_run:
            transaction.rollback()


def stored_lines(shop_id: int, start: date | None = None, end: date | None = None) -> list[PastLine]:
    """The shop's imported lines placed from ``start`` to ``end`` (both days included), in time
    order. An order both imported from a file and fetched from the platform counts once: as
    fetched (the platform's amounts are after every discount, in the shop currency)."""
    query = PastOrderLine.select(PastOrderLine.source, PastOrderLine.order_id, PastOrderLine.customer_id,
                                 PastOrderLine.placed_at, PastOrderLine.amount, PastOrderLine.sku,
                                 PastOrderLine.category, PastOrderLine.quantity).where(
        PastOrderLine.shop == shop_id)
    if start is not None:
        query = query.where(PastOrderLine.placed_at >= datetime.combine(start, time()))
    if end is not None:
        query = query.where(PastOrderLine.placed_at < datetime.combine(end + timedelta(days=1), time()))
    rows = list(query.order_by(PastOrderLine.placed_at, PastOrderLine.id).tuples())
    fetched = {order_id for source, order_id, *_ in rows if source != CSV}
    return [PastLine(order_id, customer_id, placed_at, amount.quantize(CENT), sku, category, quantity)
            for source, order_id, customer_id, placed_at, amount, sku, category, quantity in rows
            if source != CSV or order_id not in fetched]
