"""Custom actions a store reports (a follow, a survey, a partner card linked): points within limits.

Each action of the program earns at most once per its limit period (ever, or per UTC day, ISO
week, month or year of when it occurred). The period is part of the grant's idempotency key, so
the unique key in the database, not a read-then-write, is what stops two concurrent reports with
different activity ids from both earning in one period. A report over the limit is recorded as
``limited`` with no points: the store did nothing wrong. The store's activity id makes retries
harmless: a second report with the same id answers what the first one did.

``Activity.created_at`` holds when the action occurred (as reported, UTC; the time it was
recorded when the store gave none), since its limit period is what matters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import peewee

from plugin import customers, ledger
from plugin.core import clock, reasons
from plugin.core.db import write_transaction
from plugin.core.errors import Invalid, LoyaltyError
from plugin.core.kinds import EntryKind
from plugin.core.models import Activity, Customer, Lot
from plugin.core.status import ActivityOutcome
from plugin.earn import games
from plugin.program import timing, versions

#: How far ahead of our clock a reported time may be (clock skew), so nobody books future periods.
FUTURE_TOLERANCE = timedelta(minutes=5)
LIMIT_WORDS = {
    "once": "once per customer", "per_day": "once a day (UTC)", "per_week": "once a week (ISO, UTC)",
    "per_month": "once a month (UTC)", "per_year": "once a year (UTC)", "unlimited": "every time",
}


class ActivityConflict(LoyaltyError):
    """The activity id was already used for another customer or action."""

    status, code = 409, "conflict"


def period(limit: str, at: datetime) -> str | None:
    """The limit period ``at`` falls in ("2024-05-03", "2024-W18", "2024-05", "2024"); None: unlimited."""
    if limit == "once":
        return "once"
    if limit == "per_day":
        return at.strftime("%Y-%m-%d")
    if limit == "per_week":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    if limit == "per_month":
        return at.strftime("%Y-%m")
    if limit == "per_year":
        return at.strftime("%Y")
    return None


def utc(moment: datetime) -> datetime:
    """A reported time as naive UTC (the database's convention); a naive one is taken as UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def record(shop_id: int, activity_id: str, customer_id: str, name: str,
           occurred_at: datetime | None = None) -> tuple[dict, bool]:
    """Record one reported action and grant its points if within its limit.

    Returns (the answer, True when recorded now; False for a retry of a recorded activity id).
    Raises Invalid naming ``name`` for an action the program does not define, ``occurred_at`` for
    a time in the future, and ActivityConflict for an activity id reused for something else.
    """
    now = clock.now()
    occurred = now if occurred_at is None else utc(occurred_at)
    if occurred > now + FUTURE_TOLERANCE:
        raise Invalid("occurred_at is in the future",
                      fields={"occurred_at": ["must not be in the future"]})
    for _ in range(3):
        try:
            with write_transaction():
                return _record(shop_id, activity_id, customer_id, name, occurred, now)
        except peewee.IntegrityError:
            # A concurrent report took this activity id or this period first; the next pass sees it.
            continue
    raise RuntimeError(f"could not record activity {activity_id!r}")


def _record(shop_id: int, activity_id: str, customer_id: str, name: str, occurred: datetime,
            now: datetime) -> tuple[dict, bool]:
    version, program = versions.current(shop_id)
    existing = (Activity.select(Activity, Customer, Lot)
                .join(Customer).switch(Activity).join(Lot, peewee.JOIN.LEFT_OUTER)
                .where((Activity.shop == shop_id) & (Activity.activity_id == activity_id)).first())
    if existing is not None:
        if (existing.customer.platform_id, existing.name) != (customer_id, name):
            raise ActivityConflict(
                f"activity id {activity_id!r} was already reported for action {existing.name!r} "
                f"of customer {existing.customer.platform_id!r}",
                fields={"activity_id": ["already used for another customer or action"]})
        return describe(existing, program), False
    rule = program["activities"].get(name)
    if rule is None:
        known = ", ".join(sorted(program["activities"])) or "none"
        raise Invalid(f"unknown action {name!r}; the program defines: {known}",
                      fields={"name": [f"not an action of the program: {name!r}"]})
    customer = customers.ensure(shop_id, customer_id)
    row = Activity.create(shop=shop_id, activity_id=activity_id, customer=customer.id, name=name,
                          points=0, outcome=ActivityOutcome.LIMITED, created_at=occurred)
    row.customer = customer
    slot, lot = period(rule["limit"], occurred), None
    if rule["points"]:
        lot = ledger.grant(
            customer, rule["points"], kind=EntryKind.BONUS, source=f"activity:{name}",
            key=f"activity:{name}:{customer.platform_id}:{slot or f'#{row.id}'}",
            point_type=rule["point_type"], program_version=version,
            rule={"activity": name, "limit": rule["limit"], "period": slot, "activity_id": activity_id},
            reason=reasons.activity(name, rule["limit"]),
            expires_at=timing.expires_at(program, rule["point_type"], now))
    if lot is not None or not rule["points"]:  # None: the period's key was taken, it is limited
        row.outcome, row.points, row.lot = ActivityOutcome.GRANTED, lot.original if lot else 0, lot
        Activity.update(outcome=row.outcome, points=row.points, lot=lot.id if lot else None).where(
            Activity.id == row.id).execute()
    games.on_event("activity", customer, program=program, version=version)
    return describe(row, program), True


def describe(row: Activity, program: dict) -> dict:
    """The answer for one recorded activity (the same on every retry); ``row`` has its customer."""
    lot = row.lot if row.lot_id else None
    if lot is not None:
        limit, slot = lot.rule.get("limit"), lot.rule.get("period")
    else:
        limit = (program["activities"].get(row.name) or {}).get("limit")
        slot = period(limit, row.created_at) if limit else None
    return {
        "activity_id": row.activity_id, "customer_id": row.customer.platform_id, "name": row.name,
        "outcome": row.outcome, "points": row.points,
        "point_type": lot.point_type if lot else None, "lot": row.lot_id,
        "occurred_at": row.created_at.isoformat(), "reason": _reason(row, limit, slot),
    }


def _reason(row: Activity, limit: str | None, slot: str | None) -> str:
    words = LIMIT_WORDS.get(limit, "within its limit")
    if row.outcome == ActivityOutcome.GRANTED and row.points:
        return f"{row.points} points for {row.name!r} ({words})"
    if row.outcome == ActivityOutcome.GRANTED:
        return f"the program gives no points for {row.name!r}"
    when = {"per_day": f" on {slot}", "per_week": f" in week {slot}", "per_month": f" in {slot}",
            "per_year": f" in {slot}"}.get(limit, "")
    return (f"over its limit: {row.name!r} earns points {words}, and customer "
            f"{row.customer.platform_id!r} already earned them{when}; no points this time")


def page(shop_id: int, customer: Customer | None = None, *, before: int | None = None,
         limit: int = 50) -> list[dict]:
    """Newest-first page of the shop's recorded activities, optionally of one customer."""
    query = (Activity.select(Activity, Customer, Lot)
             .join(Customer).switch(Activity).join(Lot, peewee.JOIN.LEFT_OUTER)
             .where(Activity.shop == shop_id))
    if customer is not None:
        query = query.where(Activity.customer == customer.id)
    if before is not None:
        query = query.where(Activity.id < before)
    program = versions.current(shop_id)[1]
    return [{"id": row.id, **describe(row, program)}
            for row in query.order_by(Activity.id.desc()).limit(limit)]
