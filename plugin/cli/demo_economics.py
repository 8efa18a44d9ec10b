"""The demo shop's economics: a year of past orders and a draft program to weigh against the
published one, so the dashboard's Economics page compares two programs at once.

The history is generated, not random at each run: the same seed gives the same 1,200 orders of
300 customers (a few loyal ones, many who buy once), in the demo's four categories, 4% of them
partly refunded. The draft is the published program with a band table instead of 5%, double
points on shoes, no points for the sale category and points that burn after a year.
"""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta
from decimal import Decimal

from plugin.core import clock
from plugin.core.models import PastOrderLine, ProgramDraft
from plugin.dataio import order_history
from plugin.program import drafts, versions
from plugin.program.document.program import dump
from plugin.reports.economics.history import PastLine

SEED = 16
ORDERS = 1200
CUSTOMERS = 300
CATEGORIES = (("Обувь", "SH-", 2500, 9000), ("Сумки", "BG-", 1500, 6000), ("Уход", "CR-", 300, 1500),
              ("Распродажа", "SALE-", 500, 3000))


def past_lines(today: datetime) -> list[PastLine]:
    """A year of order lines ending yesterday, the same for the same day."""
    rnd = random.Random(SEED)
    start = (today - timedelta(days=365)).replace(hour=0, minute=0, second=0, microsecond=0)
    lines = []
    for n in range(ORDERS):
        loyal = rnd.random() < 0.6  # most orders come from a few customers
        number = min(int(rnd.paretovariate(1.1)) - 1, CUSTOMERS - 1) if loyal else rnd.randrange(CUSTOMERS)
        who = f"demo-{number}"
        at = start + timedelta(minutes=rnd.randrange(364 * 24 * 60))
        order_id = f"H{10000 + n}"
        first = None
        for _ in range(rnd.choice((1, 1, 1, 2, 3))):
            category, prefix, low, high = rnd.choice(CATEGORIES)
            amount = Decimal(rnd.randrange(low, high, 10))
            line = PastLine(order_id, who, at, amount, f"{prefix}{rnd.randrange(100, 999)}", category)
            lines.append(line)
            first = first or line
        if rnd.random() < 0.04:
            lines.append(first._replace(placed_at=at + timedelta(days=rnd.randrange(3, 20)),
                                        amount=-first.amount))
    return lines


def draft_program(published: dict) -> dict:
    """What the demo owner is considering instead of the published program."""
    draft = copy.deepcopy(dump(published))
    draft["earning"]["rate"] = {"kind": "bands", "bands": [
        {"from": "0", "to": "1000", "points": 20}, {"from": "1000", "to": "5000", "points": 150},
        {"from": "5000", "to": None, "points": 500}]}
    draft["categories"] = {"shoes": {"sku_prefixes": ["SH-"], "product_types": ["Обувь"]},
                           "sale": {"sku_prefixes": ["SALE-"], "product_types": ["Распродажа"]}}
    draft["earning"]["category_rules"] = [{"category": "shoes", "multiplier": "2"}]
    draft["earning"]["exclude_categories"] = ["sale"]
    draft["point_types"]["regular"]["expiry"] = {"kind": "days", "days": 365}
    return draft


def seed(shop_id: int) -> None:
    """Give the demo shop its year of past orders and its draft, once each: a rerun (another day,
    another history) adds nothing, and the owner's own draft is never overwritten."""
    if not PastOrderLine.select().where(PastOrderLine.shop == shop_id).exists():
        order_history.write(shop_id, order_history.CSV, order_history.keyed(past_lines(clock.now())),
                            order_history.Report(), run_id=None, dry_run=False)
    if not ProgramDraft.select().where(ProgramDraft.shop == shop_id).exists():
        number, published = versions.current(shop_id)
        drafts.keep(shop_id, draft_program(published), number or 0, "loyalty demo")

