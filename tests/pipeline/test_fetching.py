"""Reading from the platform before a batch (plugin.pipeline.fetching) and the snapshots' money
refunds (plugin.pipeline.snapshots): a platform stand-in (InSales' own, with ``prepare`` given by
the test) so what it returns goes through the real inbox, mappers, derivation and ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from plugin.core import clock
from plugin.core.db import session
from plugin.core.kinds import EntryKind, EventKind
from plugin.core.models import Event, LedgerEntry
from plugin.core.status import EventStatus
from plugin.customers import shops
from plugin.pipeline import jobs, platform_jobs
from plugin.platforms import PlatformError, registry
from plugin.platforms.contract import Delivery, Prepared
from plugin.platforms.insales.adapter import InSales
from tests.helpers import fixture_json
from webhooks import inbox
from webhooks.mapped import Mapped

BUYER = "77"


class Reading(InSales):
    """InSales, but reading before batches what the test says (a function of the events)."""

    prepares = True

    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def prepare(self, shop, events, access):
        self.calls.append([event.id for event in events])
        return self.answer(events)


@pytest.fixture
def shop(app):
    with session():
        created, _ = shops.register("insales", "reading.myinsales.ru")
        shops.set_currency(created, "RUB")
    return created


@pytest.fixture
def reading(monkeypatch):
    def install(answer) -> Reading:
        platform = Reading(answer)
        monkeypatch.setitem(registry.PLATFORMS, "insales", platform)
        return platform
    return install


def canonical(order_id: str, *lines: tuple[str, str, int]) -> dict:
    """A canonical order (webhooks/insales/payloads.py order()'s shape) of (line id, amount, quantity)."""
    return {"order_id": order_id, "customer": {"id": BUYER, "email": None, "phone": None},
            "currency": "RUB", "financial_status": "paid", "fulfillment_status": None,
            "placed_at": None, "updated_at": None, "shipping": "0", "tax": "0", "discount_codes": [],
            "discount_amounts": {}, "email": None, "phone": None, "landing_site": None,
            "note_attributes": {}, "ip_hash": None, "address_hash": None,
            "lines": [{"line_id": line_id, "product_id": None, "variant_id": None, "sku": None,
                       "vendor": None, "product_type": None, "tags": [], "on_sale": False,
                       "quantity": quantity, "amount": amount, "gift_card": False}
                      for line_id, amount, quantity in lines]}


def snapshot(shop, version: int, order: dict, *, state: str = "paid", **extra) -> None:
    """Store one version of the order as a mapped snapshot, as a platform's mapper would."""
    payload = {"order": order, "state": state, "paid": state != "pending", "version": str(version), **extra}
    key = f"{EventKind.ORDER_SNAPSHOT}:{order['order_id']}:{version}"
    with session():
        inbox.store(shop, "insales", "orders/update", f"test:{key}", json.dumps(payload),
                    Mapped(EventKind.ORDER_SNAPSHOT, payload, key, subject=order["order_id"]))


def entries(kind: str | None = None) -> list[int]:
    with session():
        query = LedgerEntry.select(LedgerEntry.delta).order_by(LedgerEntry.id)
        return [e.delta for e in query if kind is None] if kind is None else [
            e.delta for e in query.where(LedgerEntry.kind == kind)]


def later(by: timedelta) -> None:
    moment = datetime.now(UTC) + by
    clock.set_source(lambda: moment)


def apply(shop) -> None:
    jobs.apply_pending(shop.id)


ORDER = canonical("5001", ("1", "2000.00", 1), ("2", "500.00", 1))  # 2500.00 of lines


def test_money_refunded_without_lines_reverses_pro_rata_by_the_share_of_the_total(shop):
    snapshot(shop, 1, ORDER, refunded="0", total="2500.00")
    apply(shop)
    (earned,) = entries(EntryKind.EARN)
    snapshot(shop, 2, ORDER, refunded="1000.00", total="2500.00")  # 40% back
    snapshot(shop, 3, ORDER, refunded="1000.00", total="2500.00")  # the same refund seen again
    apply(shop)
    apply(shop)
    assert entries(EntryKind.REVERSE) == [-round(earned * 0.4)]
    snapshot(shop, 4, ORDER, refunded="2500.00", total="2500.00")  # then all of it
    apply(shop)
    apply(shop)
    assert sum(entries(EntryKind.REVERSE)) == -earned


def test_shipping_in_the_total_makes_a_refund_of_the_lines_a_smaller_share(shop):
    snapshot(shop, 1, ORDER, refunded="0", total="3000.00")  # 500.00 of shipping
    apply(shop)
    (earned,) = entries(EntryKind.EARN)
    snapshot(shop, 2, ORDER, refunded="1200.00", total="3000.00")  # 40% of the order's money
    apply(shop)
    apply(shop)
    assert entries(EntryKind.REVERSE) == [-round(earned * 0.4)]


def test_a_refund_shown_before_the_order_is_paid_earns_on_what_is_left(shop):
    full = canonical("5002", ("1", "2000.00", 1), ("2", "500.00", 1))
    snapshot(shop, 1, full, refunded="0", total="2500.00")
    apply(shop)
    (whole,) = entries(EntryKind.EARN)
    other = canonical("5003", ("1", "2000.00", 1), ("2", "500.00", 1))
    snapshot(shop, 1, other, refunded="1250.00", total="2500.00")  # first seen half refunded
    snapshot(shop, 2, other, refunded="1250.00", total="2500.00")
    apply(shop)
    apply(shop)
    assert entries(EntryKind.EARN) == [whole, round(whole / 2)]
    assert entries(EntryKind.REVERSE) == []
    snapshot(shop, 3, other, refunded="2500.00", total="2500.00")  # the rest: everything it earned
    apply(shop)
    apply(shop)
    assert entries(EntryKind.REVERSE) == [-round(whole / 2)]


def test_an_unread_snapshot_fails_as_unread_and_is_retried_until_read(shop, reading):
    platform = reading(lambda events: Prepared(payloads={
        e.id: {k: v for k, v in e.payload.items() if k != "unread"}
        for e in events if e.payload.get("unread")}))
    platform.prepares = False  # the platform is down: nothing completes the snapshot
    snapshot(shop, 1, ORDER, unread="refund 9 not read yet")
    apply(shop)
    with session():
        event = Event.get(Event.kind == EventKind.ORDER_SNAPSHOT)
        assert (event.status, event.error) == (EventStatus.FAILED, "Unread: refund 9 not read yet")
    assert entries() == []
    platform.prepares = True  # back
    assert platform_jobs.retry_unread() == 1
    apply(shop)
    apply(shop)
    with session():
        assert Event.get_by_id(event.id).status == EventStatus.APPLIED
    assert len(entries(EntryKind.EARN)) == 1


def test_unread_events_are_retried_for_two_days_then_wait_for_a_person(shop):
    snapshot(shop, 1, ORDER, unread="refund 9 not read yet")
    apply(shop)
    later(platform_jobs.RETRY_UNREAD_FOR + timedelta(minutes=1))
    assert platform_jobs.retry_unread() == 0
    with session():
        assert Event.get(Event.kind == EventKind.ORDER_SNAPSHOT).status == EventStatus.FAILED


def notice(shop, number: int, order_id: str) -> None:
    with session():
        inbox.store(shop, "insales", "notice", f"notice-{number}", "{}",
                    Mapped(EventKind.NOTICE, {"entity": "order", "id": order_id}))


def read_orders(events) -> Prepared:
    """What a notice platform's prepare returns: each noticed order read once, the notices done."""
    notices = [e for e in events if e.kind == EventKind.NOTICE]
    orders = {e.payload["id"] for e in notices}
    raw = [insales_order(order_id) for order_id in sorted(orders)]
    return Prepared(deliveries=[Delivery("orders/update", json.dumps(body).encode(),
                                         f"{EventKind.ORDER_SNAPSHOT}:{body['id']}:v1") for body in raw],
                    done={e.id: f"read as order {e.payload['id']}" for e in notices})


def insales_order(order_id: str) -> dict:
    body = fixture_json("insales/DERIVED_order_webhook_from_dmz9_xml.json")["order"]
    return {**body, "id": int(order_id), "financial_status": "paid",
            "updated_at": "2026-01-01 00:00:01 +0300"}


def test_notices_are_read_once_per_order_and_what_was_read_applies_in_the_same_job(shop, reading):
    platform = reading(read_orders)
    notice(shop, 1, "6001")
    notice(shop, 2, "6001")  # the same order changed twice: read once
    apply(shop)
    assert len(platform.calls) >= 1 and len(platform.calls[0]) == 2
    with session():
        kinds = {e.kind: e.status for e in Event.select().where(Event.shop == shop.id)}
        notes = [e.error for e in Event.select().where(Event.kind == EventKind.NOTICE)]
    assert kinds[EventKind.NOTICE] == EventStatus.APPLIED and notes == ["read as order 6001"] * 2
    assert kinds[EventKind.ORDER_SNAPSHOT] == EventStatus.APPLIED
    assert len(entries(EntryKind.EARN)) == 1


def test_a_platform_that_cannot_be_reached_leaves_notices_to_fail_unread_and_backs_off(shop, reading):
    def down(events):
        raise PlatformError("the store's API answered 503")
    platform = reading(down)
    notice(shop, 1, "6002")
    apply(shop)
    with session():
        event = Event.get(Event.kind == EventKind.NOTICE)
    assert (event.status, event.error) == (
        EventStatus.FAILED, "Unread: insales order 6002 not read from the platform yet")
    assert platform_jobs.retry_unread() == 1
    apply(shop)
    assert len(platform.calls) == 1  # backing off: the retry within a minute did not ask again
    platform.answer = read_orders
    later(timedelta(seconds=61))
    platform_jobs.retry_unread()
    apply(shop)
    apply(shop)
    assert len(entries(EntryKind.EARN)) == 1
