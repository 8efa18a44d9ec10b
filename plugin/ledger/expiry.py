"""RQ cron jobs for expiring points: remove what is left of lots past their date, warn before.

Both run across all shops, in batches of one transaction each, and are safe to run again or
twice at once: expiry claims its lots (SKIP LOCKED) and carries the ledger key ``expire:<lot>``,
and burns a shopper's due lots together, so they get one ``points.expired`` message a run
(tests/bench/bench_expiry.py times a million); a warning is a Notice unique per shop and lot, and
the lots newly warned of are published per shopper (``points.expiring``), so one reminder covers
all of a shopper's lots.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from peewee import PostgresqlDatabase, Tuple, fn

from plugin import ledger
from plugin.core import bus, clock, facts
from plugin.core.db import database, session, write_transaction
from plugin.core.kinds import NoticeKind
from plugin.core.models import Lot, Notice, Shop
from plugin.program import versions

log = logging.getLogger(__name__)
LANES = 2  # expiry threads on PostgreSQL (tests/bench/bench_expiry.py: 1M lots, one lane vs two)


def _open():
    """Lots that still hold points and have an expiry (a debt lot never expires)."""
    return (Lot.remaining > 0) & Lot.expires_at.is_null(False) & (Lot.source != ledger.DEBT)


def expire_due(batch_size: int = 1000, lanes: int | None = None) -> int:
    """Expire every lot whose date has passed, a shopper's due lots together: each batch (one
    transaction) takes the customers of the next ``batch_size`` due lots and expires all their due
    lots (plugin.ledger.expire_customers), so a shopper hears once per point type and run, and a
    batch is a few statements for thousands of lots. Returns the points removed.

    The batches walk the open lots by (date, id) from where the last one stopped. A shopper is
    expired in one batch a run: a lot skipped (locked by a spend, or its expiry key already used)
    waits for the next run. On PostgreSQL the shoppers are split into ``lanes`` (LANES) by id, each
    walked by a thread on a connection of its own, so one lane's statements run while another's
    Python does; SQLite has one writer, so one lane.
    """
    now = clock.now()
    if lanes is None:
        lanes = LANES if isinstance(database.obj, PostgresqlDatabase) else 1
    if lanes == 1:
        removed = _expire_lane(now, batch_size, 0, 1)
    else:
        with ThreadPoolExecutor(lanes, thread_name_prefix="loyalty-expiry") as pool:
            removed = sum(pool.map(lambda lane: _expire_lane(now, batch_size, lane, lanes), range(lanes)))
    if removed:
        log.info("expired %s points", removed)
    return removed


def _expire_lane(now, batch_size: int, lane: int, lanes: int) -> int:
    """One lane of expire_due: the due lots of the customers whose id is ``lane`` modulo ``lanes``."""
    removed, done, after = 0, set(), None
    with session():
        while True:
            query = Lot.select(Lot.expires_at, Lot.id, Lot.customer).where(_open() & (Lot.expires_at <= now))
            if lanes > 1:
                query = query.where(fn.MOD(Lot.customer, lanes) == lane)
            if after is not None:
                query = query.where(Tuple(Lot.expires_at, Lot.id) > Tuple(*after))
            with write_transaction():
                due = list(query.order_by(Lot.expires_at, Lot.id).limit(batch_size).tuples())
                customers = sorted({customer_id for _, _, customer_id in due} - done)
                removed += sum(ledger.expire_customers(customers, now=now).values())
            done.update(customers)
            if len(due) < batch_size:
                return removed
            after = due[-1][:2]


def warn_expiring(batch_size: int = 500) -> int:
    """Record a "points_expiring_soon" notice once per lot expiring within the shop's warning
    window (the program's ``expiry_warning_days``); returns how many notices are new."""
    recorded = 0
    with session():
        now = clock.now()
        shop_ids = [shop_id for (shop_id,) in Lot.select(Lot.shop).distinct().join(Shop).where(
            _open() & (Lot.expires_at > now) & Shop.active).tuples()]
        for shop_id in shop_ids:
            days = versions.current(shop_id)[1]["expiry_warning_days"]
            if days:
                recorded += _warn_shop(shop_id, now, now + timedelta(days=days), batch_size)
    return recorded


def _warn_shop(shop_id: int, now, until, batch_size: int) -> int:
    recorded, after = 0, 0
    while True:
        with write_transaction():
            lots = list(Lot.select().where(
                (Lot.shop == shop_id) & _open() & (Lot.expires_at > now)
                & (Lot.expires_at <= until) & (Lot.id > after)).order_by(Lot.id).limit(batch_size))
            warned = {key for (key,) in Notice.select(Notice.key).where(
                (Notice.shop == shop_id) & Notice.key.in_([f"expiring:{lot.id}" for lot in lots])).tuples()}
            new = [lot for lot in lots if f"expiring:{lot.id}" not in warned]
            if new:
                Notice.insert_many([
                    {"shop": shop_id, "customer": lot.customer_id, "kind": NoticeKind.POINTS_EXPIRING_SOON,
                     "key": f"expiring:{lot.id}", "created_at": now,
                     "data": {"points": lot.remaining, "point_type": lot.point_type,
                              "expires_at": lot.expires_at.isoformat()}}
                    for lot in new
                ]).on_conflict_ignore().execute()
                per_customer: dict[int, list[dict]] = {}
                for lot in new:
                    per_customer.setdefault(lot.customer_id, []).append(
                        {"lot": lot.id, "points": lot.remaining, "point_type": lot.point_type,
                         "expires_at": lot.expires_at})
                bus.publish(facts.PointsExpiring(shop_id, now, per_customer))
            recorded += len(new)
        if len(lots) < batch_size:
            return recorded
        after = lots[-1].id
