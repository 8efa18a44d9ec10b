"""The overview: live counts of the shop (the analytics pages add charts later)."""

from __future__ import annotations

from flask import g, render_template
from peewee import fn

from plugin.dashboard import bp
from plugin.models import Balance, Customer, Event, LedgerEntry

RECENT = 10


@bp.get("/overview")
def overview():
    shop_id = g.shop.id
    outstanding = list(Balance.select(Balance.point_type, fn.SUM(Balance.points))
                       .where(Balance.shop == shop_id).group_by(Balance.point_type)
                       .order_by(Balance.point_type).tuples())
    statuses = dict(Event.select(Event.status, fn.COUNT(Event.id)).where(Event.shop == shop_id)
                    .group_by(Event.status).tuples())
    entries = list(LedgerEntry.select(LedgerEntry, Customer.platform_id).join(Customer)
                   .where(LedgerEntry.shop == shop_id).order_by(LedgerEntry.id.desc()).limit(RECENT))
    events = list(Event.select(Event.id, Event.topic, Event.status, Event.received_at)
                  .where(Event.shop == shop_id).order_by(Event.id.desc()).limit(RECENT))
    return render_template(
        "dashboard/overview.html", section="overview",
        outstanding=[(point_type, int(points)) for point_type, points in outstanding],
        members=Customer.select().where(Customer.shop == shop_id).count(),
        statuses={status: statuses.get(status, 0) for status in Event.STATUSES},
        entries=entries, events=events)
