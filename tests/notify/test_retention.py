"""Messages are kept 90 days with their deliveries, and longer while a delivery is still pending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plugin import customers
from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import DeliveryChannel
from plugin.core.models import Delivery, OutboxMessage
from plugin.core.status import DeliveryStatus
from plugin.notify import outbox, retention

NOW = datetime(2026, 12, 6, 12, 0)


def test_old_finished_messages_go_with_their_deliveries_and_the_rest_stay(shop):
    clock.set_source(lambda: NOW.replace(tzinfo=UTC))
    with session(), database.atomic():
        anna = customers.ensure(shop.id, "1", {"email": "anna@example.com"})
        ages = {"old-sent": 91, "old-pending": 120, "old-none": 200, "young": 30, "old-undispatched": 95}
        for key, days in ages.items():
            outbox.record(shop.id, "points.earned", key, {"points": 1}, customer_id=anna.id,
                          at=NOW - timedelta(days=days))
        rows = {m.key: m for m in OutboxMessage.select()}
        OutboxMessage.update(dispatched_at=NOW - timedelta(days=90)).where(
            OutboxMessage.key != "old-undispatched").execute()
        for key, state in (("old-sent", DeliveryStatus.SENT), ("old-pending", DeliveryStatus.PENDING),
                           ("young", DeliveryStatus.FAILED)):
            Delivery.create(shop=shop.id, message=rows[key].id, channel=DeliveryChannel.EMAIL,
                            target="anna@example.com", customer=anna.id, status=state)
    assert retention.purge_old(batch_size=1) == 2
    assert retention.purge_old() == 0
    with session():
        assert sorted(m.key for m in OutboxMessage.select()) == ["old-pending", "old-undispatched", "young"]
        assert sorted(d.message.key for d in Delivery.select()) == ["old-pending", "young"]
