"""Fixtures of the notification tests: a receiving endpoint, a movable clock, shoppers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import standardwebhooks.webhooks

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Customer
from tests.notify import webhook_receiver


@pytest.fixture
def receiver():
    running = webhook_receiver.start()
    yield running
    running.server.shutdown()
    running.server.server_close()


class MovableClock:
    """The plugin's clock, moved by hand; the standardwebhooks library checks timestamps against it
    too, as a receiver living in that time would."""

    def __init__(self, start: datetime):
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def moved_clock(app, monkeypatch):
    moving = MovableClock(datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    clock.set_source(moving)

    class ReceiverTime(datetime):
        @classmethod
        def now(cls, tz=None):
            return moving.at.astimezone(tz)

    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", ReceiverTime)
    yield moving
    clock.set_source(None)


@pytest.fixture
def shoppers(shop):
    """Two shoppers of the shop, with e-mail addresses."""
    with session():
        return [Customer.create(shop=shop.id, platform_id=pid, email=f"{pid}@example.com", first_name=name)
                for pid, name in (("c-anna", "Anna"), ("c-boris", "Boris"))]
