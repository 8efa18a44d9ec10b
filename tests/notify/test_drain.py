"""The drain job: a backlog goes out in one run, round after round, not 200 per channel per run."""

from __future__ import annotations

from plugin.core.db import database, session
from plugin.core.models import Customer, Delivery
from plugin.core.status import DeliveryStatus
from plugin.notify import jobs, outbox
from plugin.notify.types import POINTS_EARNED, SAMPLES


def test_one_run_sends_a_backlog_larger_than_a_round(shop, mail_sink):
    with session(), database.atomic():
        for n in range(450):
            shopper = Customer.create(shop=shop.id, platform_id=str(n), email=f"s{n}@example.com")
            outbox.record(shop.id, POINTS_EARNED, f"lot-{n}", SAMPLES[POINTS_EARNED], customer_id=shopper.id)
    assert jobs.drain() == 450
    assert len(mail_sink.wait(450)) == 450
    assert jobs.drain() == 0  # nothing twice
    with session():
        assert {d.status for d in Delivery.select()} == {DeliveryStatus.SENT}


def test_a_run_stops_when_its_budget_is_spent(shop, mail_sink):
    with session(), database.atomic():
        for n in range(250):
            shopper = Customer.create(shop=shop.id, platform_id=str(n), email=f"s{n}@example.com")
            outbox.record(shop.id, POINTS_EARNED, f"lot-{n}", SAMPLES[POINTS_EARNED], customer_id=shopper.id)
    assert jobs.drain(budget=0) == 200  # one round, then the budget is over
    assert jobs.drain() == 50
