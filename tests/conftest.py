"""Fixtures: every test that uses ``app`` runs on SQLite (in-process jobs) and on PostgreSQL + Redis.

Set LOYALTY_TEST_BACKENDS=sqlite to run only the embedded default (the CI runs both).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
import redis
from rq import SimpleWorker

from plugin.app import create_app
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.models import ALL_MODELS, Shop
from plugin.customers import shops
from plugin.ledger import audit
from plugin.pipeline import fetching, queue
from plugin.program import versions
from tests.helpers import APP_SECRET, SHOP_DOMAIN

# Re-exported while branches written before tests/helpers.py merge; new tests import tests.helpers.
from tests.helpers import FIXTURES as FIXTURES
from tests.helpers import admin_headers as admin_headers
from tests.helpers import fixture_json as fixture_json
from tests.helpers import shopper_headers as shopper_headers
from webhooks.signatures import shopify_sign

pytest_plugins = ("tests.smtp",)  # the mail_sink fixture: a real SMTP server in-process

BACKENDS = [b for b in os.environ.get("LOYALTY_TEST_BACKENDS", "sqlite,postgres").split(",") if b]
POSTGRES_URL = os.environ.get("LOYALTY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# Concurrent test runs on one machine must not share a database or a Redis db.
REDIS_URL = os.environ.get("LOYALTY_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{1 + os.getpid() % 15}")


@pytest.fixture(scope="session")
def postgres_url():
    """A database of this test run's own, created from the server's `test` database and dropped after."""
    import psycopg2

    name = f"loyalty_test_{os.getpid()}"
    admin = psycopg2.connect(POSTGRES_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name}")
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    if not database.is_closed():
        database.close()
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


def backend_config(backend: str, tmp_path: Path, postgres_url: str | None = None) -> dict[str, str]:
    base = {
        "LOYALTY_SECRET_KEY": "test-secret-key-0123456789",
        "SHOPIFY_API_KEY": "test-api-key",
        "SHOPIFY_API_SECRET": APP_SECRET,
        "INSALES_APP_ID": "myapplogin",  # the InSales docs' install example (tests/fixtures/insales)
        "INSALES_SECRET": "mysecret",
        "ECWID_CLIENT_ID": "loyalty-test",  # the secret is the Ecwid docs' placeholder (tests/fixtures/ecwid)
        "ECWID_CLIENT_SECRET": "abcde123456789",
        "LOYALTY_PUBLIC_URL": "https://loyalty.example.test",
        "LOYALTY_MAX_BODY_BYTES": str(1024 * 1024),
    }
    if backend == "sqlite":
        return {**base, "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
                "LOYALTY_REDIS_URL": ""}
    return {**base, "LOYALTY_DATABASE_URL": postgres_url, "LOYALTY_REDIS_URL": REDIS_URL}


def _reset_postgres() -> None:
    with session():
        database.drop_tables(ALL_MODELS, safe=True, cascade=True)
        database.create_tables(ALL_MODELS)


@pytest.fixture(autouse=True)
def no_scheduler_left_running():
    """A scheduler thread that outlives its test runs periodic jobs on the next tests' databases."""
    yield
    left = [t for t in threading.enumerate() if t.name == "loyalty-scheduler" and t.is_alive()]
    assert not left, "a test left the embedded scheduler running"


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(backend, tmp_path, request):
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    config = backend_config(backend, tmp_path, url)
    if backend == "postgres":
        redis.Redis.from_url(REDIS_URL).flushdb()
    shops.forget_cached()
    versions.forget_cached()
    fetching._failed_at.clear()  # a platform's backoff is per shop id, and ids repeat from test to test
    app = create_app(config)
    if backend == "postgres":
        _reset_postgres()
    app.config["TESTING"] = True
    yield app
    with session():
        problems = audit.check()
    clock.set_source(None)
    if not database.is_closed():
        database.close()
    assert not problems, "loyalty audit failed after the test: " + "; ".join(map(str, problems))


@pytest.fixture
def client(app):
    return app.test_client()


class DrainWorker(SimpleWorker):
    """A burst worker without the command channel: its pubsub thread costs a second to stop."""

    def subscribe(self) -> None:
        self.pubsub_thread = None


@pytest.fixture
def drain(app):
    """Run every queued job to completion (nothing to do when jobs run in-process)."""

    def run() -> None:
        conn = queue.connection()
        if conn is None:
            return
        queue.ring_noted()  # what the receivers' ringer thread would ring within RING_INTERVAL
        worker = DrainWorker([queue.queue(name) for name in queue.QUEUE_NAMES], connection=conn,
                              serializer="rq.serializers.JSONSerializer")
        worker.work(burst=True)

    return run


@pytest.fixture
def shop(app):
    """An installed Shopify shop signed with the app secret, as after OAuth."""

    with session():
        created, _ = shops.register("shopify", SHOP_DOMAIN, own_webhook_secret=False)
    return created


@pytest.fixture
def installed(app, shop):
    """The shop has a Shopify token, so redemptions create real discount codes."""
    vault = app.extensions["loyalty"].vault
    with session():
        Shop.update(access_token=vault.encrypt("shpat_test")).where(Shop.id == shop.id).execute()
        return Shop.get_by_id(shop.id)


@pytest.fixture
def job_env(app, monkeypatch):
    """The worker reads its settings from the environment: give it the test app's."""
    settings = app.extensions["loyalty"].settings
    for name, value in {"LOYALTY_DATABASE_URL": settings.database_url,
                        "LOYALTY_REDIS_URL": settings.redis_url or "",
                        "LOYALTY_SECRET_KEY": settings.secret_key,
                        "SHOPIFY_API_KEY": settings.shopify_api_key,
                        "SHOPIFY_API_SECRET": settings.shopify_api_secret,
                        "INSALES_APP_ID": settings.insales_app_id or "",
                        "INSALES_SECRET": settings.insales_secret or "",
                        "ECWID_CLIENT_ID": settings.ecwid_client_id or "",
                        "ECWID_CLIENT_SECRET": settings.ecwid_client_secret or "",
                        "LOYALTY_PUBLIC_URL": settings.public_url}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def post_webhook(client):
    """POST a Shopify webhook signed like Shopify signs it; body may be a dict or raw bytes."""
    counter = iter(range(1, 10**9))

    def post(topic: str, body, *, domain: str = SHOP_DOMAIN, secret: str = APP_SECRET,
             delivery: str | None = None, headers: dict | None = None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": domain,
            "X-Shopify-Hmac-Sha256": shopify_sign(secret, raw),
            "X-Shopify-Webhook-Id": delivery or f"delivery-{next(counter)}",
            **(headers or {}),
        }
        response = client.post("/webhooks/shopify", data=raw, headers=sent)
        queue.ring_noted()  # now, not RING_INTERVAL later: tests look at the queue straight after
        return response

    return post


@pytest.fixture
def paid(post_webhook, drain):
    """Send orders/paid webhooks for the orders and run the jobs they queue."""
    def send(*orders: dict, domain: str = SHOP_DOMAIN) -> None:
        for body in orders:
            assert post_webhook("orders/paid", body, domain=domain).status_code == 200
        drain()

    return send
