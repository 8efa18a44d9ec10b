"""Daily figures of a shop, per UTC day, for the analytics pages (plugin.reports.analytics reads them).

Each day's figures come from a handful of grouped SQL queries (SUM/COUNT ... GROUP BY day), never
a loop over ledger entries, and are stored as ``DailyFigure`` rows, so a page reads a few hundred
rows whatever the size of the ledger. A day is always recomputed whole and written over what was
there, so running the job twice changes nothing. The cron job redoes every shop's last rolled-up
day, yesterday and today; ``backfill`` a shop's whole history (a new install, or after changing
a definition below).

What counts as what (ledger ``kind`` -> figure, per point type):
  issued    positive entries of every granting kind: earn, bonus, review, adjust (+), imports...
  redeemed  holds committed by a paid order (by the day of the commit), and "spend" entries
  expired   "expire" entries
  reversed  "reverse" entries (points taken back on refunds, cancellations, withdrawn reviews);
            of them, reversed_refunds (reason order.refund) and reversed_cancellations
            (reason order.cancelled): a cancellation is never a refund
  deducted  negative entries of the granting kinds (a manual adjustment down)
  neither   "transfer" (shopper to shopper), "settle" (a debt paid off), "hold" and "release"
            (points reserved for a discount and given back; a committed hold counts as redeemed)
Orders that used a loyalty discount (a committed hold names them) are rolled up here too; every
other order figure (orders, customers, repeat rate, refunds, cancellations, revenue) is
plugin.reports.order_figures's, computed live, since whether a customer is a member, or an order
was cancelled since, changes after its day.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import peewee
from peewee import JOIN, Case, fn

from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import DailyFigure, Hold, LedgerEntry, Lot, OfferEvent, Order, Shop
from plugin.core.status import HoldStatus

log = logging.getLogger(__name__)

NEUTRAL_KINDS = frozenset({EntryKind.TRANSFER, EntryKind.SETTLE, EntryKind.HOLD, EntryKind.RELEASE})
DEBIT_KINDS = {EntryKind.EXPIRE: "expired", EntryKind.REVERSE: "reversed", EntryKind.SPEND: "redeemed"}
POINT_METRICS = ("issued", "redeemed", "expired", "reversed", "deducted", "reversed_refunds",
                 "reversed_cancellations")
REVERSED_BY = {"order.refund": "reversed_refunds", "order.cancelled": "reversed_cancellations"}
# A row for every day rolled up, so an empty day is told from a missing one. Its name carries the
# definitions' version: renamed when a definition above changes, every stored day reads as not
# rolled up (computed live) and the next cron run backfills every shop under the new definitions.
ROLLED_UP = "rolled_up:2"  # 2: reversed_refunds and reversed_cancellations; order figures live
CHUNK_DAYS = 92  # a backfill writes a quarter at a time
INSERT_ROWS = 500

Figures = dict[tuple[date, str, str], Decimal]


def day_of(column: peewee.Field) -> peewee.Function:
    """The UTC date of a timestamp: date() is a function on SQLite and a cast on PostgreSQL."""
    return fn.DATE(column)


def as_date(value) -> date:
    """SQLite answers date() with text (peewee may parse it to a datetime), PostgreSQL with a date."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The timestamps of [start 00:00, the day after end 00:00): an index range, not a function."""
    return datetime.combine(start, datetime.min.time()), datetime.combine(end + timedelta(days=1),
                                                                          datetime.min.time())


def compute(shop: Shop, start: date, end: date) -> Figures:
    """Every figure of every day in [start, end], from the live tables."""
    figures: Figures = defaultdict(Decimal)
    since, until = bounds(start, end)
    _points(shop.id, since, until, figures)
    _redemptions(shop, since, until, figures)
    _discount_orders(shop, since, until, figures)
    _offers(shop.id, since, until, figures)
    _campaigns(shop, since, until, figures)
    return {slot: value for slot, value in figures.items() if value}


def _points(shop_id: int, since: datetime, until: datetime, figures: Figures) -> None:
    day = day_of(LedgerEntry.created_at)
    plus = fn.SUM(Case(None, [(LedgerEntry.delta > 0, LedgerEntry.delta)], 0))
    minus = fn.SUM(Case(None, [(LedgerEntry.delta < 0, LedgerEntry.delta * -1)], 0))
    rows = (LedgerEntry.select(day, LedgerEntry.point_type, LedgerEntry.kind, LedgerEntry.reason_code,
                               plus, minus)
            .where((LedgerEntry.shop == shop_id) & (LedgerEntry.created_at >= since)
                   & (LedgerEntry.created_at < until))
            .group_by(day, LedgerEntry.point_type, LedgerEntry.kind, LedgerEntry.reason_code).tuples())
    for when, point_type, kind, reason_code, credited, debited in rows:
        if kind in NEUTRAL_KINDS:
            continue
        when = as_date(when)
        if kind in DEBIT_KINDS:
            figures[when, DEBIT_KINDS[kind], point_type] += int(debited or 0)
            if kind == EntryKind.REVERSE and reason_code in REVERSED_BY:
                figures[when, REVERSED_BY[reason_code], point_type] += int(debited or 0)
        else:
            figures[when, "issued", point_type] += int(credited or 0)
            figures[when, "deducted", point_type] += int(debited or 0)


def _redemptions(shop: Shop, since: datetime, until: datetime, figures: Figures) -> None:
    """Committed holds by the day they were committed: points redeemed and the discount given."""
    day = day_of(Hold.closed_at)
    rows = (Hold.select(day, Hold.point_type, Hold.currency, fn.SUM(Hold.points), fn.SUM(Hold.amount))
            .where((Hold.shop == shop.id) & (Hold.status == HoldStatus.COMMITTED)
                   & (Hold.closed_at >= since) & (Hold.closed_at < until))
            .group_by(day, Hold.point_type, Hold.currency).tuples())
    for when, point_type, currency, points, amount in rows:
        when = as_date(when)
        figures[when, "redeemed", point_type] += int(points or 0)
        if currency in (None, shop.currency):
            figures[when, "discount_amount", ""] += money(amount)


def _discount_orders(shop: Shop, since: datetime, until: datetime, figures: Figures) -> None:
    """Orders that used a loyalty discount (a committed hold names them) and their revenue."""
    used = Hold.select(Hold.order_id).where((Hold.shop == shop.id) & (Hold.status == HoldStatus.COMMITTED))
    day = day_of(Order.created_at)
    rows = (Order.select(day, fn.COUNT(Order.id), fn.SUM(Order.eligible))
            .where((Order.shop == shop.id) & (Order.created_at >= since) & (Order.created_at < until)
                   & (Order.currency == shop.currency) & Order.platform_id.in_(used))
            .group_by(day).tuples())
    for when, count, revenue in rows:
        figures[as_date(when), "discount_orders", ""] += count
        figures[as_date(when), "discount_revenue", ""] += money(revenue)


def _offers(shop_id: int, since: datetime, until: datetime, figures: Figures) -> None:
    day = day_of(OfferEvent.created_at)
    rows = (OfferEvent.select(day, OfferEvent.offer_id, OfferEvent.kind, fn.COUNT(OfferEvent.id))
            .where((OfferEvent.shop == shop_id) & (OfferEvent.created_at >= since)
                   & (OfferEvent.created_at < until))
            .group_by(day, OfferEvent.offer_id, OfferEvent.kind).tuples())
    for when, offer_id, kind, count in rows:
        figures[as_date(when), f"offer_{kind}s", offer_id] += count


CAMPAIGN_MARK = '%"campaigns":["%'  # in the compact JSON of an order lot that a campaign raised


def _campaigns(shop: Shop, since: datetime, until: datetime, figures: Figures) -> None:
    """Orders a campaign applied to (plugin.program.earning lists them in the lot's rule), with
    their points and revenue. Only these lots are read, a LIKE on the rule finds them."""
    marked = peewee.Expression(Lot.rule, peewee.OP.ILIKE, peewee.Value(CAMPAIGN_MARK, converter=str))
    rows = (Lot.select(day_of(Lot.created_at), Lot.rule, Lot.original, Order.eligible, Order.currency)
            .join(Order, JOIN.LEFT_OUTER, on=(Order.lot == Lot.id))
            .where((Lot.shop == shop.id) & (Lot.created_at >= since) & (Lot.created_at < until) & marked)
            .tuples().iterator())
    for when, rule, points, revenue, currency in rows:
        for name in (rule.get("earned") or {}).get("campaigns") or []:
            figures[as_date(when), "campaign_orders", name] += 1
            figures[as_date(when), "campaign_points", name] += points
            if currency == shop.currency:
                figures[as_date(when), "campaign_revenue", name] += money(revenue)


def money(value) -> Decimal:
    """SQLite sums decimals as floats: back to 4 places (the column's precision)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.0001"))


def money_text(value) -> str:
    """An amount as the reports serve it: a string to the cent."""
    return str(Decimal(value).quantize(Decimal("0.01")))


def rate(part: int, whole: int) -> str | None:
    """part / whole to four places, as a string; None when there is no whole."""
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))) if whole > 0 else None


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def roll_up(shop_id: int, start: date, end: date) -> int:
    """Recompute and store every day in [start, end]; returns the rows written."""
    shop = Shop.get_by_id(shop_id)
    figures = compute(shop, start, end)  # before the transaction: SQLite holds one writer at a time
    now = clock.now()
    rows = [{"shop": shop_id, "day": when, "metric": metric, "key": key, "value": value, "computed_at": now}
            for (when, metric, key), value in figures.items()]
    rows += [{"shop": shop_id, "day": when, "metric": ROLLED_UP, "key": "", "value": 0, "computed_at": now}
             for when in days(start, end)]
    with database.atomic():
        DailyFigure.delete().where((DailyFigure.shop == shop_id) & (DailyFigure.day >= start)
                                   & (DailyFigure.day <= end)).execute()
        for n in range(0, len(rows), INSERT_ROWS):  # a concurrent run of the same days: last one wins
            (DailyFigure.insert_many(rows[n:n + INSERT_ROWS])
             .on_conflict(conflict_target=[DailyFigure.shop, DailyFigure.day, DailyFigure.metric,
                                           DailyFigure.key],
                          update={DailyFigure.value: peewee.EXCLUDED.value,
                                  DailyFigure.computed_at: peewee.EXCLUDED.computed_at})
             .execute())
    return len(rows)


def first_day(shop: Shop) -> date:
    """The shop's first day with anything to count (history imported before the install counts)."""
    firsts = [shop.installed_at]
    for model in (LedgerEntry, Order, OfferEvent):
        first = model.select(fn.MIN(model.created_at)).where(model.shop == shop.id).scalar()
        if first is not None:
            firsts.append(first if isinstance(first, datetime) else datetime.fromisoformat(str(first)))
    return min(firsts).date()


def backfill(shop_id: int) -> int:
    """Roll up a shop's whole history, a quarter at a time; returns the rows written."""
    with session():
        today, start = clock.now().date(), first_day(Shop.get_by_id(shop_id))
        written = 0
        while start <= today:
            end = min(start + timedelta(days=CHUNK_DAYS - 1), today)
            written += roll_up(shop_id, start, end)
            start = end + timedelta(days=1)
        return written


def last_rolled_up(shop_id: int) -> date | None:
    last = (DailyFigure.select(fn.MAX(DailyFigure.day))
            .where((DailyFigure.shop == shop_id) & (DailyFigure.metric == ROLLED_UP)).scalar())
    return None if last is None else as_date(last)


def roll_up_recent() -> int:
    """RQ cron job: for every active shop, redo its last rolled-up day through today (at least
    yesterday and today: late events of yesterday land); a shop never rolled up is backfilled."""
    written = 0
    with session():
        today = clock.now().date()
        for (shop_id,) in Shop.select(Shop.id).where(Shop.active).order_by(Shop.id).tuples():
            last = last_rolled_up(shop_id)
            if last is None:
                written += backfill(shop_id)
            else:
                written += roll_up(shop_id, min(last, today - timedelta(days=1)), today)
    log.info("rolled up %s daily figures", written)
    return written
