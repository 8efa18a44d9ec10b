"""What the program costs and earns over a date range: the figures the dashboard and the API show.

Daily flows of points, discounts, offers and campaigns come from the rolled-up days
(plugin.reports.rollups, where those figures are defined); a day not final yet (today, or one the
job has not redone since it ended) is computed live, which is cheap for a day or two. Order
figures (orders, customers who ordered, repeat rate, refunds, cancellations, revenue) are
plugin.reports.order_figures's, live, one definition for every page. Current state (liability,
tiers) is a small grouped query. Everything returned is JSON-able: money and rates as strings.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from peewee import fn

from plugin.core.models import Balance, Customer, CustomerTier, DailyFigure, Shop
from plugin.program import versions
from plugin.reports import order_figures, rollups

NO_TIER = "(none)"
DISCOUNT_METRICS = ("discount_orders", "discount_revenue", "discount_amount")
ORDER_METRICS = ("member_orders", "member_revenue", "non_member_orders", "non_member_revenue",
                 *DISCOUNT_METRICS, "other_currency_orders")


def figures(shop: Shop, start: date, end: date) -> rollups.Figures:
    """Every daily figure in [start, end]: stored where the day is final, live where it is not."""
    markers = (DailyFigure.select(DailyFigure.day, DailyFigure.computed_at)
               .where((DailyFigure.shop == shop.id) & (DailyFigure.metric == rollups.ROLLED_UP)
                      & (DailyFigure.day >= start) & (DailyFigure.day <= end)).tuples())
    final = {day for day, at in ((rollups.as_date(d), at) for d, at in markers)  # rolled up after it ended
             if at >= datetime.combine(day + timedelta(days=1), datetime.min.time())}
    found: rollups.Figures = {}
    if final:
        for day, metric, key, value in (
                DailyFigure.select(DailyFigure.day, DailyFigure.metric, DailyFigure.key, DailyFigure.value)
                .where((DailyFigure.shop == shop.id) & (DailyFigure.day >= start) & (DailyFigure.day <= end)
                       & (DailyFigure.metric != rollups.ROLLED_UP)).tuples()):
            if rollups.as_date(day) in final:
                found[rollups.as_date(day), metric, key] = Decimal(str(value))
    for span_start, span_end in _spans([d for d in rollups.days(start, end) if d not in final]):
        found.update(rollups.compute(shop, span_start, span_end))
    return found


def _spans(missing: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs, one live computation each."""
    spans: list[tuple[date, date]] = []
    for day in missing:
        if spans and spans[-1][1] == day - timedelta(days=1):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def daily(shop_id: int, start: date, end: date) -> list[dict]:
    """One row per day: points by figure (all types and per type), orders, revenue, discounts."""
    shop = Shop.get_by_id(shop_id)
    per_day: dict[date, dict] = {day: _empty_day(day) for day in rollups.days(start, end)}
    for (day, metric, key), value in figures(shop, start, end).items():
        row = per_day[day]
        if metric in rollups.POINT_METRICS:
            row[metric] += int(value)
            of_type = row["by_point_type"].setdefault(key, dict.fromkeys(rollups.POINT_METRICS, 0))
            of_type[metric] += int(value)
        elif metric in DISCOUNT_METRICS:
            row[metric] += value
    for (day, group), of_group in order_figures.per_day(shop, start, end).items():
        per_day[day][f"{group}_orders"] += of_group["orders"]
        if group != "other_currency":
            per_day[day][f"{group}_revenue"] += of_group["revenue"]
    return [_json_day(row) for row in per_day.values()]


def _empty_day(day: date) -> dict:
    return {"date": day, **dict.fromkeys(rollups.POINT_METRICS, 0), "by_point_type": {},
            **{m: Decimal(0) for m in ORDER_METRICS}}


def _json_day(row: dict) -> dict:
    out = {**row, "date": row["date"].isoformat()}
    for metric in ORDER_METRICS:
        out[metric] = int(row[metric]) if metric.endswith("_orders") else rollups.money_text(row[metric])
    return out


def summary(shop_id: int, start: date, end: date) -> dict:
    """All the figures of the range (see plugin.reports.rollups for what counts as what)."""
    shop = Shop.get_by_id(shop_id)
    _, program = versions.current(shop_id)
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (_, metric, key), value in figures(shop, start, end).items():
        totals[metric, key] += value
    by_type: dict[str, dict[str, int]] = {}
    for (metric, key), value in totals.items():
        if metric in rollups.POINT_METRICS:
            by_type.setdefault(key, dict.fromkeys(rollups.POINT_METRICS, 0))[metric] += int(value)
    points = {m: sum(t[m] for t in by_type.values()) for m in rollups.POINT_METRICS}
    net_issued = points["issued"] - points["reversed"]  # reversed points can never be redeemed
    return {
        "from": start.isoformat(), "to": end.isoformat(), "currency": shop.currency,
        "points": {**points, "net_issued": net_issued, "by_point_type": by_type},
        "redemption_rate": rollups.rate(points["redeemed"], net_issued),
        "breakage": rollups.rate(points["expired"], net_issued),
        "liability": liability(shop_id, program),
        "orders": order_figures.summary(shop, start, end),
        "loyalty_discounts": {"orders": int(totals["discount_orders", ""]),
                              "revenue": rollups.money_text(totals["discount_revenue", ""]),
                              "discount_amount": rollups.money_text(totals["discount_amount", ""]),
                              "points": points["redeemed"]},
        "tiers": tier_distribution(shop_id, program),
        "offers": _keyed(totals, "offer", ("impressions", "clicks", "redemptions"), "offer_id"),
        "campaigns": [{**row, "revenue": rollups.money_text(row["revenue"])} for row in
                      _keyed(totals, "campaign", ("orders", "points", "revenue"), "name")],
    }


def _keyed(totals, prefix: str, names: tuple[str, ...], label: str) -> list[dict]:
    """Rows of one keyed family (offer_clicks[offer id]...), biggest first figure first."""
    rows: dict[str, dict] = {}
    for (metric, key), value in totals.items():
        name = metric.removeprefix(prefix + "_")
        if metric.startswith(prefix + "_") and name in names:
            rows.setdefault(key, {label: key, **dict.fromkeys(names, 0)})[name] += value
    out = [{k: (int(v) if k != "revenue" and isinstance(v, Decimal) else v) for k, v in row.items()}
           for row in rows.values()]
    return sorted(out, key=lambda row: (-row[names[0]], row[label]))


def liability(shop_id: int, program: dict) -> dict:
    """Points outstanding now (positive balances: a debt does not lower what others can redeem,
    pending points included) and what they are worth at the program's point value."""
    per_type = dict(Balance.select(Balance.point_type, fn.SUM(Balance.points))
                    .where((Balance.shop == shop_id) & (Balance.points > 0))
                    .group_by(Balance.point_type).tuples())
    total = sum(int(v) for v in per_type.values())
    value = program["redemption"]["point_value"]
    return {"points": total, "by_point_type": {k: int(v) for k, v in sorted(per_type.items())},
            "point_value": str(value), "value": rollups.money_text(Decimal(total) * value)}


def tier_distribution(shop_id: int, program: dict) -> list[dict]:
    """Customers per tier now, in ladder order; customers without a tier row last."""
    counts = dict(CustomerTier.select(CustomerTier.tier_id, fn.COUNT(CustomerTier.id))
                  .where(CustomerTier.shop == shop_id).group_by(CustomerTier.tier_id).tuples())
    everyone = Customer.select().where(Customer.shop == shop_id).count()
    ladder = (program.get("tiers") or {}).get("tiers") or []
    rows = [{"tier": t["id"], "title": _title(t), "customers": int(counts.pop(t["id"], 0))} for t in ladder]
    rows += [{"tier": tier_id, "title": tier_id, "customers": int(n)}  # tiers since removed from the program
             for tier_id, n in sorted(counts.items())]
    untiered = everyone - sum(row["customers"] for row in rows)
    if untiered:
        rows.append({"tier": NO_TIER, "title": "no tier", "customers": untiered})
    return rows


def _title(tier: dict) -> str:
    title = tier.get("title") or {}
    if not isinstance(title, dict):
        return str(title)
    return title.get("en") or next(iter(title.values()), tier["id"])
