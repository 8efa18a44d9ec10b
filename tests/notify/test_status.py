"""The operator's view of the delivery queues (`loyalty notify-status`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from plugin import customers
from plugin.cli.main import main
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import DeliveryChannel
from plugin.core.models import Delivery, OutboxMessage, WebhookSubscription
from plugin.core.status import DeliveryStatus, SubscriptionStatus
from plugin.notify import outbox, status
from tests.helpers import UNSET

NOW = datetime(2026, 12, 6, 12, 0)


def test_queues_count_waiting_late_retrying_and_failed_deliveries_per_channel(shop):
    clock.set_source(lambda: NOW.replace(tzinfo=UTC))
    with session(), database.atomic():
        anna = customers.ensure(shop.id, "1", {"email": "anna@example.com"})
        for n in range(4):
            outbox.record(shop.id, "points.earned", f"k{n}", {"points": n}, customer_id=anna.id,
                          at=NOW - timedelta(minutes=10 * n))
        ids = [m.id for m in OutboxMessage.select().order_by(OutboxMessage.id)]
        OutboxMessage.update(dispatched_at=NOW).where(OutboxMessage.id.in_(ids[:3])).execute()
        rows = [(DeliveryStatus.PENDING, 0, NOW - timedelta(minutes=1)),  # due
                (DeliveryStatus.PENDING, 2, NOW + timedelta(hours=1)),  # retrying, not due
                (DeliveryStatus.FAILED, 11, NOW)]
        for message_id, (state, attempts, next_at) in zip(ids, rows, strict=False):
            Delivery.create(shop=shop.id, message=message_id, channel=DeliveryChannel.EMAIL,
                            target="anna@example.com", status=state, attempts=attempts,
                            next_attempt_at=next_at, created_at=NOW - timedelta(minutes=30),
                            last_attempt_at=NOW - timedelta(hours=1))
        WebhookSubscription.create(shop=shop.id, uid="sub_1", url="https://crm.example.com/hook",
                                   events=["*"], secret="x", status=SubscriptionStatus.PAUSED,
                                   failing_since=NOW - timedelta(days=3))
        figures = status.queues()
    assert figures["channels"] == {"email": {"pending": 2, "due": 1, "retrying": 1,
                                             "oldest_pending_seconds": 1800, "failed_24h": 1, "sent_24h": 0}}
    assert (figures["undispatched"], figures["oldest_undispatched_seconds"]) == (1, 1800)
    assert figures["paused_subscriptions"] == [{"shop": shop.id, "id": "sub_1",
                                                "url": "https://crm.example.com/hook",
                                                "failing_since": "2026-12-03T12:00:00"}]


def test_the_command_prints_the_queues_as_json(tmp_path):
    env = {**UNSET, "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "LOYALTY_REDIS_URL": "",
           "LOYALTY_SECRET_KEY": "cli-secret-key-0123456789"}
    result = CliRunner().invoke(main, ["notify-status"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"channels": {}, "undispatched": 0,
                                         "oldest_undispatched_seconds": None, "paused_subscriptions": []}
