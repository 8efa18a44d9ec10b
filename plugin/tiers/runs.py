"""Shop-wide tier re-evaluations: progress is a ``TierRun`` row, so any web process can report it
without Redis; the job runs on a worker with Redis and here and now without."""

from __future__ import annotations

import logging

from plugin.core import clock
from plugin.core.db import session, write_transaction
from plugin.core.models import Customer, Shop, TierRun
from plugin.core.status import RunStatus
from plugin.pipeline import queue
from plugin.program import versions
from plugin.tiers.levels import evaluate_batch

log = logging.getLogger(__name__)


def reevaluate_shop(shop_id: int, batch_size: int = 1000, run_id: int | None = None) -> int:
    """RQ job: re-evaluate every customer of a shop in batches (one transaction each), recording
    progress on a TierRun row; returns the run's id. The program keeps running meanwhile."""
    with session():
        now = clock.now()
        version, program = versions.current(shop_id)
        if run_id is None:
            run_id = TierRun.create(shop=shop_id, created_at=now).id
        total = Customer.select().where(Customer.shop == shop_id).count()
        TierRun.update(status=RunStatus.RUNNING, started_at=now, total=total, done=0, changed=0,
                       program_version=version).where(TierRun.id == run_id).execute()
        after = 0
        try:
            while program.get("tiers"):
                with write_transaction():
                    ids = [cid for (cid,) in Customer.select(Customer.id).where(
                        (Customer.shop == shop_id) & (Customer.id > after))
                        .order_by(Customer.id).limit(batch_size).tuples()]
                    if not ids:
                        break
                    changed = evaluate_batch(shop_id, program, version, ids, now)
                    TierRun.update(done=TierRun.done + len(ids), changed=TierRun.changed + changed).where(
                        TierRun.id == run_id).execute()
                after = ids[-1]
        except Exception as exc:
            TierRun.update(status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}",
                           finished_at=clock.now()).where(TierRun.id == run_id).execute()
            raise
        TierRun.update(status=RunStatus.DONE, finished_at=clock.now()).where(TierRun.id == run_id).execute()
    log.info("tier run %s of shop %s done", run_id, shop_id)
    return run_id


def reevaluate_all(batch_size: int = 1000) -> int:
    """Periodic job: re-evaluate every active shop whose program has tiers (rolling windows age,
    grace periods end); returns the number of shops."""
    with session():
        shop_ids = [shop.id for shop in Shop.select(Shop.id).where(Shop.active)]
        shop_ids = [sid for sid in shop_ids if versions.current(sid)[1].get("tiers")]
    for shop_id in shop_ids:
        reevaluate_shop(shop_id, batch_size)
    return len(shop_ids)


def start_reevaluation(shop_id: int, batch_size: int = 1000) -> TierRun:
    """Record a run and have it done: by an RQ worker with Redis, here and now without."""
    run = TierRun.create(shop=shop_id, created_at=clock.now())
    queue.enqueue_or_run(reevaluate_shop, shop_id, batch_size, run.id, job_id=f"tiers-{shop_id}-{run.id}")
    return TierRun.get_by_id(run.id)


def latest_run(shop_id: int) -> TierRun | None:
    return TierRun.select().where(TierRun.shop == shop_id).order_by(TierRun.id.desc()).first()
