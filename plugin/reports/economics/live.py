"""What the points on the books are worth now, read from the ledger: the liability, breakage so far,
the effective discount rate, and the IFRS 15 deferred-revenue report month by month.

Points a sale earned carry part of its price (plugin.reports.economics.ifrs15); points given with
no sale (sign-up, birthday, adjustments) carry none: they are a marketing cost, not deferred
revenue, so the pool counts only earned points, and redemptions and expiries in the proportion
earned points bear to all points issued.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from peewee import fn

from plugin.core.kinds import EntryKind
from plugin.core.models import Balance, LedgerEntry, Order, Shop
from plugin.program import versions
from plugin.reports.economics import ifrs15
from plugin.reports.economics.scenario import Scenario
from plugin.reports.economics.simulate import month_of, next_month

SHARE = Decimal("0.0001")
CENT = Decimal("0.01")
GRANTS = (EntryKind.EARN, EntryKind.BONUS, EntryKind.REVIEW, EntryKind.IMPORT, EntryKind.ADJUST)
SPENDS = (EntryKind.SPEND, EntryKind.HOLD, EntryKind.LATE_COMMIT, EntryKind.RELEASE)
#: Below this many points issued, a shop's own redemption rate says little: the scenario's is used.
MIN_OBSERVED = 1000


def _flows(shop_id: int, since: datetime | None = None, until: datetime | None = None) -> dict[str, int]:
    """Points issued, issued by sales, redeemed, expired and reversed in a period (all time by default)."""
    query = LedgerEntry.select(LedgerEntry.kind, LedgerEntry.delta > 0, fn.SUM(LedgerEntry.delta)).where(
        LedgerEntry.shop == shop_id)
    if since is not None:
        query = query.where(LedgerEntry.created_at >= since)
    if until is not None:
        query = query.where(LedgerEntry.created_at < until)
    out = dict.fromkeys(("issued", "earned", "redeemed", "expired", "reversed"), 0)
    for kind, positive, total in query.group_by(LedgerEntry.kind, LedgerEntry.delta > 0).tuples():
        total = int(total or 0)
        if kind in GRANTS and positive:
            out["issued"] += total
            out["earned"] += total if kind == EntryKind.EARN else 0
        elif kind in SPENDS:
            out["redeemed"] -= total
        elif kind == EntryKind.EXPIRE:
            out["expired"] -= total
        elif kind == EntryKind.REVERSE or (kind == EntryKind.ADJUST and not positive):
            out["reversed"] -= total
    return out


def observed_rate(shop_id: int) -> Decimal | None:
    """The shop's own redemption rate: of points settled (redeemed or expired) the redeemed share
    when points expire, else the redeemed share of all issued (a floor while they are still young);
    None before the shop has issued ``MIN_OBSERVED`` points."""
    return _observed(_flows(shop_id))


def _observed(flows: dict[str, int]) -> Decimal | None:
    issued = flows["issued"] - flows["reversed"]
    if issued < MIN_OBSERVED or flows["redeemed"] <= 0:
        return None
    settled = flows["redeemed"] + flows["expired"] if flows["expired"] else issued
    return min(Decimal(flows["redeemed"]) / Decimal(settled), Decimal(1)).quantize(SHARE)


def _revenue(shop_id: int, since: datetime | None = None, until: datetime | None = None) -> Decimal:
    query = Order.select(fn.SUM(Order.eligible - Order.refunded)).where(
        (Order.shop == shop_id) & ~Order.cancelled)
    if since is not None:
        query = query.where(Order.created_at >= since)
    if until is not None:
        query = query.where(Order.created_at < until)
    return Decimal(str(query.scalar() or 0))


def liability_now(shop_id: int, rate: Decimal | None = None) -> dict:
    """Outstanding points, their face value, the liability at the expected redemption rate (the
    shop's observed one, else the scenario default), breakage so far and the effective discount rate."""
    program = versions.current(shop_id)[1]
    value = program["redemption"]["point_value"]
    flows = _flows(shop_id)
    observed = _observed(flows)
    expected = rate if rate is not None else observed if observed is not None else Scenario().redemption_rate
    outstanding = int(Balance.select(fn.SUM(Balance.points)).where(
        (Balance.shop == shop_id) & (Balance.points > 0)).scalar() or 0)
    revenue = _revenue(shop_id)
    issued = flows["issued"] - flows["reversed"]
    return {
        "currency": Shop.select(Shop.currency).where(Shop.id == shop_id).scalar(),
        "point_value": str(value),
        "points_outstanding": outstanding,
        "face_value": str((outstanding * value).quantize(CENT)),
        "expected_redemption": str(expected.quantize(SHARE)),
        "observed_redemption": str(observed) if observed is not None else None,
        "liability": str((outstanding * value * expected).quantize(CENT)),
        "points_issued": issued,
        "points_redeemed": flows["redeemed"],
        "points_expired": flows["expired"],
        "breakage_to_date": str((Decimal(flows["expired"]) / issued).quantize(SHARE)) if issued > 0 else None,
        "revenue": str(revenue.quantize(CENT)),
        "discount_given": str((flows["redeemed"] * value).quantize(CENT)),
        "effective_discount_rate": (str((flows["redeemed"] * value / revenue).quantize(SHARE))
                                    if revenue > 0 else None),
    }


def deferred_revenue(shop_id: int, start: date, end: date, rate: Decimal | None = None) -> list[dict]:
    """IFRS 15 by month from ``start``'s month to ``end``'s: sales, the price allocated to the points
    they earned, revenue recognised for points, and the contract liability at each month end. The
    pool starts from everything before ``start``, so a month's figures do not depend on the range."""
    program = versions.current(shop_id)[1]
    value = program["redemption"]["point_value"]
    if rate is None:
        observed = observed_rate(shop_id)
        rate = observed if observed is not None else Scenario().redemption_rate
    first, stop = datetime(start.year, start.month, 1), next_month(datetime.combine(end, datetime.min.time()))
    # month -> [sales, allocated to points, points earned]
    sales: dict[str, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    pool = ifrs15.Pool()
    orders = Order.select(Order.created_at, Order.eligible, Order.refunded, Order.earned, Order.reversed,
                          Order.cancelled).where((Order.shop == shop_id) & (Order.created_at < stop))
    for created, eligible, refunded, earned, reversed_, cancelled in orders.tuples():
        price = Decimal(0) if cancelled else Decimal(str(eligible)) - Decimal(str(refunded))
        points = max(int(earned) - int(reversed_), 0)
        allocated = ifrs15.allocated_to_points(price, price, ifrs15.points_selling_price(points, value, rate))
        if created < first:
            pool.sell(allocated, points)
        else:
            row = sales[month_of(created)]
            row[0] += price
            row[1] += allocated
            row[2] += points
    issued = {"earned": 0, "issued": 0}
    _settle(pool, _flows(shop_id, until=first), issued)
    pool.recognise(rate)
    rows, moment = [], first
    while moment < stop:
        following = next_month(moment)
        flows = _flows(shop_id, moment, following)
        amount, allocated, points = sales[month_of(moment)]
        pool.sell(allocated, points)
        redeemed, expired = _settle(pool, flows, issued)
        recognised = pool.recognise(rate)
        rows.append({"month": month_of(moment), "sales": str(amount.quantize(CENT)),
                     "points_earned": points, "allocated_to_points": str(allocated.quantize(CENT)),
                     "points_redeemed": redeemed, "points_expired": expired,
                     "recognised_revenue": str(recognised.quantize(CENT)),
                     "contract_liability": str(pool.liability.quantize(CENT)),
                     "expected_redemption": str(rate.quantize(SHARE))})
        moment = following
    return rows


def _settle(pool: ifrs15.Pool, flows: dict[str, int], issued: dict[str, int]) -> tuple[int, int]:
    """Redemptions and expiries of earned points: all of them in the share earned points bear to
    all points issued so far (``issued``, updated here; a bonus point's redemption carries no price)."""
    issued["earned"] += flows["earned"]
    issued["issued"] += flows["issued"]
    share = Decimal(issued["earned"]) / issued["issued"] if issued["issued"] else Decimal(1)
    redeemed = int(flows["redeemed"] * share)
    expired = int(flows["expired"] * share)
    pool.redeemed += redeemed
    pool.expired += expired
    return redeemed, expired
