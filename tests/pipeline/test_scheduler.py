"""The embedded default's periodic jobs: the in-process scheduler and `loyalty run-due`."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Hold, LedgerEntry, PeriodicRun
from plugin.core.status import HoldStatus
from plugin.customers import shops
from plugin.pipeline import cron, scheduler
from plugin.spend import redemption

START = datetime(2026, 11, 22, 12, 0)
CART = [{"line_id": "1", "sku": "A", "amount": "1000.00"}]


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def names(jobs) -> set[str]:
    return {scheduler.job_name(func) for func, _ in jobs}


@pytest.fixture
def held(app):
    """A custom store's shopper with a hold of 120 points taken from a lot that expires in an hour."""
    at(START)
    with session():
        shop, _ = shops.register("custom", "store.example.test")
        customer = customers.ensure(shop.id, "c1")
        with database.atomic():
            ledger.grant(customer, 100, kind=EntryKind.BONUS, source="s", rule={}, key="g1")
            ledger.grant(customer, 200, kind=EntryKind.BONUS, source="s", rule={}, key="g2",
                         expires_at=START + timedelta(hours=1))
        return redemption.redeem(customer, points=120, point_type="regular", lines=CART, key="k1",
                                 currency="USD")


def test_the_embedded_scheduler_releases_an_expired_hold_and_expires_lots(held):
    at(START + timedelta(hours=2))  # the hold timed out after 30 minutes, the lot after an hour
    thread = scheduler.start(tick=0.05)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _released_and_expired(held):
            time.sleep(0.05)
    finally:
        thread.stop()
    assert _released_and_expired(held)


def _released_and_expired(hold: Hold) -> bool:
    with session():
        return (Hold.get_by_id(hold.id).status != HoldStatus.HELD
                and LedgerEntry.select().where(LedgerEntry.kind == EntryKind.EXPIRE).exists())


def test_run_due_runs_each_job_once_and_again_only_when_its_interval_has_passed(app):
    at(START)
    assert set(scheduler.run_due()) == names(cron.PERIODIC)
    assert scheduler.run_due() == []
    at(START + timedelta(seconds=60))
    assert set(scheduler.run_due()) == names((f, i) for f, i in cron.PERIODIC if i <= 60)


def test_a_run_is_claimed_by_one_caller_only(app):
    with session():
        assert scheduler.claim("plugin.pipeline.jobs.sweep", 5, START)
        assert not scheduler.claim("plugin.pipeline.jobs.sweep", 5, START + timedelta(seconds=4))
        assert scheduler.claim("plugin.pipeline.jobs.sweep", 5, START + timedelta(seconds=5))


def test_a_failing_periodic_job_is_logged_and_the_others_still_run(app, monkeypatch, caplog):
    ran = []

    def broken() -> None:
        raise RuntimeError("boom")

    def fine() -> None:
        ran.append("fine")

    monkeypatch.setattr(cron, "PERIODIC", ((broken, 60), (fine, 60)))
    with caplog.at_level(logging.ERROR, logger="plugin.pipeline.scheduler"):
        assert scheduler.run_due() == [scheduler.job_name(broken), scheduler.job_name(fine)]
    assert ran == ["fine"]
    assert "broken failed" in caplog.text and "RuntimeError: boom" in caplog.text


def loyalty_env(app) -> dict[str, str]:
    settings = app.extensions["loyalty"].settings
    return {**os.environ, "LOYALTY_DATABASE_URL": settings.database_url,
            "LOYALTY_REDIS_URL": settings.redis_url or "", "LOYALTY_SECRET_KEY": settings.secret_key,
            "SHOPIFY_API_KEY": "", "SHOPIFY_API_SECRET": ""}


LOYALTY = str(Path(sys.executable).with_name("loyalty"))


def test_loyalty_run_due_runs_the_due_jobs_once_and_not_again_until_due(app):
    command, env = [LOYALTY, "run-due"], loyalty_env(app)
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    assert set(first.stdout.split()) == names(cron.PERIODIC)
    # Seconds later only a job with a shorter interval than that can be due again (the sweep).
    assert set(again.stdout.split()) <= names((f, i) for f, i in cron.PERIODIC if i < 60)
    with session():
        assert PeriodicRun.select().where(PeriodicRun.last_run_at.is_null(False)).count() \
            == len(cron.PERIODIC)


def test_loyalty_serve_without_redis_runs_the_periodic_jobs(app, backend):
    if backend != "sqlite":
        pytest.skip("with Redis the periodic jobs are rq cron's")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([LOYALTY, "serve", "--port", str(port)], env=loyalty_env(app),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _runs() < len(cron.PERIODIC):
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(10)
    assert _runs() == len(cron.PERIODIC)


def _runs() -> int:
    with session():
        return PeriodicRun.select().where(PeriodicRun.last_run_at.is_null(False)).count()
