"""`loyalty worker` as operators run it: a separate process, forking RQ worker, real Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from plugin.core.db import session
from plugin.core.models import Event, LedgerEntry
from plugin.core.status import EventStatus
from tests.helpers import fixture_json
from webhooks.shopify import payloads as shopify_payloads

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
REFUND = fixture_json("shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json")


def loyalty(app, *args: str) -> subprocess.CompletedProcess:
    settings = app.extensions["loyalty"].settings
    env = {**os.environ, "LOYALTY_DATABASE_URL": settings.database_url,
           "LOYALTY_REDIS_URL": settings.redis_url or "", "LOYALTY_SECRET_KEY": settings.secret_key,
           "SHOPIFY_API_KEY": "", "SHOPIFY_API_SECRET": ""}
    command = [str(Path(sys.executable).with_name("loyalty")), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_worker_process_applies_queued_events_and_audit_passes(app, backend, shop, post_webhook):
    if backend == "sqlite":
        pytest.skip("the embedded default has no Redis: jobs run in the web process")
    post_webhook("refunds/create", REFUND)
    post_webhook("orders/paid", ORDER)
    with session():
        assert Event.select().where(Event.status == EventStatus.PENDING).count() == 2
    done = loyalty(app, "worker", "--burst", "--no-cron")
    assert done.returncode == 0, done.stderr
    with session():
        assert [e.status for e in Event.select().order_by(Event.id)] == ["applied", "applied"]
        assert sum(e.delta for e in LedgerEntry.select()) == 19
    audit = loyalty(app, "audit")
    assert audit.returncode == 0 and "every balance equals" in audit.stdout


def test_worker_process_keys_fingerprints_with_the_apps_secret(app, backend, shop, post_webhook):
    """The worker maps raw bodies now: its IP fingerprints must be the web app's, keyed alike."""
    if backend == "sqlite":
        pytest.skip("the embedded default has no Redis: jobs run in the web process")
    post_webhook("orders/paid", {**ORDER, "browser_ip": "203.0.113.7"})
    done = loyalty(app, "worker", "--burst", "--no-cron")
    assert done.returncode == 0, done.stderr
    with session():
        assert Event.get().payload["ip_hash"] == shopify_payloads.digest("203.0.113.7")


def test_worker_without_redis_explains_why_it_is_not_needed(app, backend):
    if backend != "sqlite":
        pytest.skip("only the embedded default runs without Redis")
    done = loyalty(app, "worker", "--burst")
    assert done.returncode != 0
    assert "LOYALTY_REDIS_URL" in done.stderr
