"""Past orders fetched from the shop's platform (its ``past_orders`` listing) into the stored order
history, a page at a time: each page is one transaction, replaces what an earlier fetch stored of
its orders, and reports progress; a dry run rolls every page back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from plugin.core.models import Shop
from plugin.dataio.order_history import Report, keyed, write
from plugin.platforms import registry
from plugin.platforms.contract import Access


def fetch(shop_id: int, first: date, last: date, *, dry_run: bool = False, run_id: int | None = None,
          progress: Callable[[int, int], None] | None = None, access: Access | None = None) -> Report:
    """Store the shop's orders placed from ``first`` to ``last``; ``progress(lines, lines)`` after each
    page (the total is not known before the last page)."""
    shop = Shop.get_by_id(shop_id)
    platform = registry.of(shop)
    report = Report(dry_run=dry_run)
    for page in platform.past_orders(shop, first, last, access or Access.from_environment()):
        lines = keyed(page)
        report.orders += len({line.order_id for line in page})  # a page holds whole orders
        write(shop_id, platform.name, lines, report, run_id=run_id, dry_run=dry_run, replace=True)
        report.total += len(lines)
        report.done += len(lines)
        if progress:
            progress(report.done, report.total)
    return report
