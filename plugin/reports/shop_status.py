"""The shop at a glance, live: members, points outstanding, the inbox by status, the latest activity.

The dashboard's overview and the admin API's ``GET /overview`` both read it; the daily figures and
charts are plugin.reports.analytics's.
"""

from __future__ import annotations

from peewee import fn

from plugin.core.models import Balance, Customer, Event, LedgerEntry
from plugin.core.status import EventStatus

RECENT = 10


def overview(shop_id: int, recent: int = RECENT) -> dict:
    """Counts over the shop's rows, and its ``recent`` latest ledger lines (with the customer
    joined, to be shown by name) and inbox events (without their bodies)."""
    outstanding = (Balance.select(Balance.point_type, fn.SUM(Balance.points))
                   .where(Balance.shop == shop_id).group_by(Balance.point_type)
                   .order_by(Balance.point_type).tuples())
    statuses = dict(Event.select(Event.status, fn.COUNT(Event.id)).where(Event.shop == shop_id)
                    .group_by(Event.status).tuples())
    return {
        "members": Customer.select().where(Customer.shop == shop_id).count(),
        "outstanding": {point_type: int(points) for point_type, points in outstanding},
        "statuses": {status: statuses.get(status, 0) for status in EventStatus},
        "entries": list(LedgerEntry.select(LedgerEntry, Customer).join(Customer)
                        .where(LedgerEntry.shop == shop_id).order_by(LedgerEntry.id.desc()).limit(recent)),
        "events": list(Event.select(Event.id, Event.topic, Event.kind, Event.status, Event.received_at)
                       .where(Event.shop == shop_id).order_by(Event.id.desc()).limit(recent)),
    }
