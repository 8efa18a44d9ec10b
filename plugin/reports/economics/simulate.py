"""Replaying past orders through a program that is not published, to see what it would have cost.

Orders are replayed in time order through the worker's own functions (plugin.program.order_points
``earned``: rates, bands, categories, exclusions, campaigns, first-order minimum, earning limits and
the tier multiplier; ``earning.evaluate`` again for a refund, as the worker settles one; tiers by
plugin.tiers.levels ``tier_for``; expiry by plugin.program.timing; caps by plugin.program.caps).
Everything happens in memory: no balance, lot or ledger row is touched.

What the history cannot say is the scenario's (plugin.reports.economics.scenario):
- a lot's ``redemption_rate`` share becomes due ``months_to_redeem`` months after it was earned
  (and not before its pending days); at each month end a customer redeems what is due, at most
  what the program's caps let points pay of an order like their last one; the rest waits for the
  next month, and whatever a lot still holds at its expiry expires;
- ``uplift`` adds that share of every repeat order (revenue, margin and the points it earns);
- the margin of a line is its category's, or the one figure.

Each month end states the points outstanding, the liability (outstanding x point value x redemption
rate), the breakage expected so far (points expired, and the outstanding ones never to be
redeemed) and the IFRS 15 contract liability (plugin.reports.economics.ifrs15).
Sign-up grants count for each customer's first order in the history; birthdays, reviews and
referrals do not (the history has no such facts). Money is Decimal to the cent; points are ints.
"""

from __future__ import annotations

from bisect import insort
from calendar import monthrange
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from plugin.core.memory import no_cycle_collection
from plugin.program import caps, earning, timing
from plugin.program.multipliers import multiplied
from plugin.program.order_points import earned
from plugin.reports.economics import ifrs15
from plugin.reports.economics.history import PastOrder
from plugin.reports.economics.scenario import Scenario
from plugin.tiers.levels import ladder, tier_for, window_start

CENT = Decimal("0.01")
SHARE = Decimal("0.0001")
NO_CAP = 10**12
POINTS_KEYS = ("points_issued", "points_reversed", "points_redeemed", "points_expired")
MONEY_KEYS = ("revenue", "gross_margin", "cost", "uplift_revenue", "recognised_revenue")


@dataclass
class Lot:
    points: int  # still held
    expires_at: datetime | None
    due_at: datetime  # when its redemptions are due
    due: int  # of ``points``, still to be redeemed


@dataclass
class Shopper:
    lots: list[Lot] = field(default_factory=list)
    tier: dict | None = None
    entered: set[str] = field(default_factory=set)  # tiers whose entry bonus was granted
    below_since: datetime | None = None  # under the held tier's threshold since (the grace period)
    history: deque[tuple[datetime, Decimal]] = field(default_factory=deque)  # the window's orders' metric
    metric: Decimal = Decimal(0)  # their sum
    wake: datetime = datetime.max  # the first moment one of the lots falls due or expires
    basket: list[dict] = field(default_factory=list)  # the last order's lines
    cap: int | None = None  # the most points an order like it may take (worked out when needed)
    earned_on: dict[str, int] = field(default_factory=dict)  # day or month -> points (earning limits)


@dataclass
class Sale:
    """An order as replayed: what it earned, at which tier factor, from which lot."""
    past: PastOrder
    points: int
    first: bool
    factor: Decimal | None
    lot: Lot | None
    allocated: Decimal
    reversed: int = 0
    refunded: dict[str, Decimal] = field(default_factory=dict)


def month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def next_month(moment: datetime) -> datetime:
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, or that month's last day (Jan 31 + 1 month: Feb 28)."""
    year, month = divmod(moment.month - 1 + months, 12)
    year += moment.year
    return moment.replace(year=year, month=month + 1, day=min(moment.day, monthrange(year, month + 1)[1]))


def _expiry(lot: Lot) -> datetime:
    return lot.expires_at or datetime.max


def _wake(lot: Lot) -> datetime:
    """When the month-end close next has something to do with the lot: its due date while some of
    it is still due (and can be redeemed before it expires), else its expiry."""
    expiry = _expiry(lot)
    return lot.due_at if lot.due and lot.due_at < expiry else expiry


class Simulation:
    """One replay; ``run`` returns the monthly figures (see ``Result``)."""

    def __init__(self, program: dict, scenario: Scenario):
        self.program, self.scenario = program, scenario
        self.value = program["redemption"]["point_value"]
        self.point_type = program["earning"]["point_type"]
        self.tiers = program.get("tiers")
        self.visible = ladder(program) if self.tiers else []
        self.rank = {tier["id"]: n for n, tier in enumerate(self.visible)}
        self.limited = any(limit is not None for limit in program["earning"]["limits"].values())
        self.shoppers: dict[str, Shopper] = defaultdict(Shopper)
        self.sales: dict[str, Sale] = {}
        self.pool = ifrs15.Pool()
        self.month: dict = {}
        self.rules: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.outstanding = 0

    # --- the replay ---------------------------------------------------------------------------

    def run(self, orders: Iterable[PastOrder], start: date | None = None, end: date | None = None) -> Result:
        """Replay the orders placed from ``start`` to ``end`` (days, inclusive) and their refunds."""
        events: list[tuple[datetime, int, object]] = []
        for past in orders:
            if (start and past.placed_at.date() < start) or (end and past.placed_at.date() > end):
                continue
            events.append((past.placed_at, 0, past))
            events += [(moment, 1, (past.order_id, lines)) for moment, lines in past.refunds
                       if not end or moment.date() <= end]
        events.sort(key=lambda item: (item[0], item[1]))
        if not events:
            return Result(self.scenario, [], self._rules())
        first = datetime.combine(start, datetime.min.time()) if start else events[0][0]
        last = datetime.combine(end, datetime.min.time()) if end else events[-1][0]
        tick, months, n = next_month(first), [], 0
        self._open(first)
        while True:
            while n < len(events) and events[n][0] < tick:
                moment, kind, payload = events[n]
                if kind == 0:
                    self._sale(payload, moment)
                else:
                    self._refund(*payload, moment)
                n += 1
            months.append(self._close(tick))
            if tick > last:
                break
            self._open(tick)
            tick = next_month(tick)
        return Result(self.scenario, months, self._rules())

    def _open(self, moment: datetime) -> None:
        self.month = {"month": month_of(moment), "orders": 0, "customers": set(),
                      **dict.fromkeys(POINTS_KEYS, 0), **{k: Decimal(0) for k in MONEY_KEYS}}

    def _grant(self, shopper: Shopper, points: int, at: datetime, rule: tuple[str, str] | None,
               point_type: str | None = None) -> Lot | None:
        """A lot as the worker grants it: an order's points wait their pending days, and every lot
        expires by its point type; kept in first-to-expire order."""
        if points <= 0:
            return None
        pending = None if rule else timing.pending_until(self.program["earning"]["pending_days"], at)
        due_at = max(add_months(at, self.scenario.months_to_redeem), pending or at)
        due = int((Decimal(points) * self.scenario.redemption_rate).to_integral_value(ROUND_HALF_UP))
        lot = Lot(points, timing.expires_at(self.program, point_type or self.point_type, at), due_at, due)
        shopper.wake = min(shopper.wake, _wake(lot))
        if lot.expires_at is None or not shopper.lots or (
                shopper.lots[-1].expires_at is not None and shopper.lots[-1].expires_at <= lot.expires_at):
            shopper.lots.append(lot)
        else:
            insort(shopper.lots, lot, key=_expiry)
        self.month["points_issued"] += points
        self.outstanding += points
        if rule:
            self.rules[rule] += points
        return lot

    def _sale(self, past: PastOrder, at: datetime) -> None:
        who = past.customer_id
        first = who not in self.shoppers  # a customer's first order in the history
        shopper = self.shoppers[who]
        if first and self.program.get("signup"):
            signup = self.program["signup"]
            self._grant(shopper, signup["points"], at, ("signup", ""), signup["point_type"])
        factor = shopper.tier["earn_multiplier"] if shopper.tier else None
        factor = factor if factor != 1 else None
        result = earned(self.program, past.order, at=at, customer_id=who, first_order=first,
                        allowance=self._allowance(shopper, at), factor=factor)
        points, price, margin = result.points, past.amount, self._margin(past)
        self._attribute(result, points, factor)
        self._count_earned(shopper, at, points)
        month = self.month
        if not first and self.scenario.uplift:  # the repeat purchases the scenario adds
            uplift = self.scenario.uplift
            extra = int((Decimal(points) * uplift).to_integral_value(ROUND_FLOOR))
            self.rules[("uplift", "")] += extra
            month["uplift_revenue"] += price * uplift
            price, margin, points = price * (1 + uplift), margin * (1 + uplift), points + extra
        lot = self._grant(shopper, points, at, None)
        month["orders"] += 1
        month["customers"].add(who)
        month["revenue"] += price
        month["gross_margin"] += margin
        allocated = ifrs15.allocated_to_points(price, price, ifrs15.points_selling_price(
            points, self.value, self.scenario.redemption_rate))
        self.pool.sell(allocated, points)
        self.sales[past.order_id] = Sale(past, points, first, factor, lot, allocated)
        shopper.basket, shopper.cap = past.order["lines"], None
        self._tier_after(shopper, at, result.eligible, result.points)

    def _refund(self, order_id: str, lines: dict[str, Decimal], at: datetime) -> None:
        """Take back what the order earned beyond what its unrefunded part still earns (as the
        worker's settle does), from its lot first, then the customer's others."""
        sale = self.sales.get(order_id)
        if sale is None:
            return
        for line_id, amount in lines.items():
            sale.refunded[line_id] = sale.refunded.get(line_id, Decimal(0)) + amount
        margins = {line["line_id"]: self._line_margin(line) for line in sale.past.order["lines"]}
        self.month["revenue"] -= sum(lines.values(), Decimal(0))
        self.month["gross_margin"] -= sum((amount * margins.get(line_id, self.scenario.margin)
                                           for line_id, amount in lines.items()), Decimal(0))
        keep = multiplied(earning.evaluate(
            self.program, sale.past.order, at=sale.past.placed_at, customer_id=sale.past.customer_id,
            first_order=sale.first,
            refunded={k: str(v) for k, v in sale.refunded.items()}).points, sale.factor)
        excess = sale.points - sale.reversed - min(keep, sale.points)
        if excess <= 0:
            return
        shopper = self.shoppers[sale.past.customer_id]
        lots = ([sale.lot] if sale.lot else []) + [lot for lot in shopper.lots if lot is not sale.lot]
        taken = 0
        for lot in lots:
            take = min(lot.points, excess - taken)
            lot.points -= take
            lot.due = min(lot.due, lot.points)
            taken += take
            if taken == excess:
                break
        shopper.lots = [lot for lot in shopper.lots if lot.points > 0]
        sale.reversed += taken
        self.outstanding -= taken
        self.month["points_reversed"] += taken
        if sale.points:
            self.pool.sell(-sale.allocated * taken / sale.points, -taken)

    def _close(self, tick: datetime) -> dict:
        """The month ends: due redemptions within the caps, expiry, tier downgrades, the IFRS close."""
        for shopper in self.shoppers.values():
            if shopper.wake < tick:
                self._redeem_and_expire(shopper, tick)
            if self.tiers and shopper.tier and self.tiers["window"] != "lifetime":
                self._tier_recheck(shopper, tick)
        month = self.month
        month["customers"] = len(month["customers"])
        month["recognised_revenue"] = self.pool.recognise(self.scenario.redemption_rate)
        month["points_outstanding"] = self.outstanding
        never = Decimal(self.outstanding) * (1 - self.scenario.redemption_rate)
        month["points_breakage"] = self.pool.expired + int(never.to_integral_value(ROUND_HALF_UP))
        month["liability"] = Decimal(self.outstanding) * self.value * self.scenario.redemption_rate
        month["deferred_revenue"] = self.pool.liability
        month["cost"] = Decimal(month["points_redeemed"]) * self.value
        return month

    def _redeem_and_expire(self, shopper: Shopper, tick: datetime) -> None:
        budget = None
        for lot in shopper.lots:  # first to expire first
            if lot.due and lot.due_at < tick and (lot.expires_at is None or lot.due_at < lot.expires_at):
                if budget is None:
                    budget = self._cap(shopper)
                spend = min(lot.due, budget)
                lot.points -= spend
                lot.due -= spend
                budget -= spend
                self.month["points_redeemed"] += spend
                self.pool.redeemed += spend
                self.outstanding -= spend
            if lot.expires_at is not None and lot.expires_at < tick and lot.points:
                self.month["points_expired"] += lot.points
                self.pool.expired += lot.points
                self.outstanding -= lot.points
                lot.points = lot.due = 0
        shopper.lots = [lot for lot in shopper.lots if lot.points > 0]
        shopper.wake = min(map(_wake, shopper.lots), default=datetime.max)

    def _cap(self, shopper: Shopper) -> int:
        """What the program's caps let points pay of an order like the customer's last one."""
        if shopper.cap is None:
            payable = caps.payable(self.program, shopper.basket, {self.point_type: NO_CAP})
            shopper.cap = payable["by_type"].get(self.point_type, 0)
        return shopper.cap

    # --- earning limits, tiers, margins, rules -----------------------------------------------------

    def _allowance(self, shopper: Shopper, at: datetime) -> int | None:
        if not self.limited:
            return None
        limits = self.program["earning"]["limits"]
        windows = ((limits["per_day"], at.date().isoformat()), (limits["per_month"], month_of(at)))
        left = [limit - shopper.earned_on.get(key, 0) for limit, key in windows if limit is not None]
        return max(min(left), 0) if left else None

    def _count_earned(self, shopper: Shopper, at: datetime, points: int) -> None:
        if not self.limited:
            return
        for key in (at.date().isoformat(), month_of(at)):
            shopper.earned_on[key] = shopper.earned_on.get(key, 0) + points

    def _margin(self, past: PastOrder) -> Decimal:
        if not self.scenario.margins:
            return past.amount * self.scenario.margin
        return sum((Decimal(line["amount"]) * self._line_margin(line) for line in past.order["lines"]),
                   Decimal(0))

    def _line_margin(self, line: dict) -> Decimal:
        """A margin per category names the program's categories or the store's own (a CSV's
        category, a platform's product type)."""
        if not self.scenario.margins:
            return self.scenario.margin
        own = [line["product_type"]] if line.get("product_type") else []
        return self.scenario.margin_of(earning.categories_of(self.program, line) + own)

    def _metric(self, shopper: Shopper, at: datetime) -> Decimal:
        """The tier metric over the window ending ``at`` (replay time only moves forward, so what
        leaves the window leaves for good)."""
        since = window_start(self.tiers["window"], at)
        while since is not None and shopper.history and shopper.history[0][0] < since:
            shopper.metric -= shopper.history.popleft()[1]
        return shopper.metric

    def _tier_after(self, shopper: Shopper, at: datetime, eligible: Decimal, points: int) -> None:
        """Up at once after an order, with the entry bonus of every tier entered or skipped."""
        if not self.tiers:
            return
        metric = self.tiers["metric"]
        value = eligible if metric == "amount_spent" else Decimal(1 if metric == "orders" else points)
        shopper.history.append((at, value))
        shopper.metric += value
        target = tier_for(self.visible, self._metric(shopper, at))
        rank = self.rank
        if shopper.tier is None or rank[target["id"]] > rank[shopper.tier["id"]]:
            for tier in self.visible[:rank[target["id"]] + 1]:
                if tier["id"] not in shopper.entered:
                    shopper.entered.add(tier["id"])
                    self._grant(shopper, tier["entry_bonus"], at, ("tier_bonus", tier["id"]))
            shopper.tier, shopper.below_since = target, None

    def _tier_recheck(self, shopper: Shopper, tick: datetime) -> None:
        """Down only after the grace days below the held tier's threshold."""
        target = tier_for(self.visible, self._metric(shopper, tick))
        if target["threshold"] >= shopper.tier["threshold"]:
            shopper.below_since = None
            return
        shopper.below_since = shopper.below_since or tick
        if tick - shopper.below_since >= timedelta(days=self.tiers["grace_days"]):
            shopper.tier, shopper.below_since = target, None

    def _attribute(self, result: earning.Earned, points: int, factor: Decimal | None) -> None:
        """Share an order's points among the rules that gave them: each line's rate (base or its
        category's), each multiplier's extra, campaign bonuses, and the tier multiplier's extra."""
        if not points:
            return
        parts: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for line in result.lines:
            if line.excluded or not line.why or not line.exact:
                continue
            times = line.why.get("times", [])
            base = line.exact
            for multiplier, _ in times:
                base /= Decimal(multiplier)
            parts[("category", line.why["category"]) if "category" in line.why else ("rate", "")] += base
            for multiplier, name in times:
                parts[("multiplier", name)] += base * (Decimal(multiplier) - 1)
                base *= Decimal(multiplier)
        for note in result.why_notes:
            if isinstance(note, dict) and note.get("code") == "earn.campaign_bonus":
                parts[("campaign", str(note.get("name", "")))] += Decimal(str(note.get("bonus", 0)))
        before = Decimal(points) / factor if factor else Decimal(points)
        if factor:
            self.rules[("tier_multiplier", "")] += Decimal(points) - before
        whole = sum(parts.values(), Decimal(0))
        if not whole:
            self.rules[("other", "")] += before
            return
        for key, part in parts.items():
            self.rules[key] += before * part / whole

    def _rules(self) -> list[dict]:
        total = sum(self.rules.values(), Decimal(0))
        rows = [{"rule": kind, "name": name, "points": int(points.to_integral_value(ROUND_HALF_UP)),
                 "share": str((points / total).quantize(SHARE)) if total else None}
                for (kind, name), points in self.rules.items() if points]
        return sorted(rows, key=lambda row: (-row["points"], row["rule"], row["name"]))


@dataclass
class Result:
    scenario: Scenario
    months: list[dict]
    rules: list[dict]
    currency: str | None = None

    def totals(self) -> dict:
        out: dict = {"orders": sum(m["orders"] for m in self.months)}
        for key in POINTS_KEYS:
            out[key] = sum(m[key] for m in self.months)
        for key in MONEY_KEYS:
            out[key] = sum((m[key] for m in self.months), Decimal(0))
        last = self.months[-1] if self.months else {}
        for key in ("points_outstanding", "points_breakage"):
            out[key] = last.get(key, 0)
        for key in ("liability", "deferred_revenue"):
            out[key] = last.get(key, Decimal(0))
        return _shares(out)

    def as_dict(self) -> dict:
        return {"currency": self.currency, "scenario": self.scenario.as_dict(),
                "months": [_text(_shares(dict(m))) for m in self.months], "totals": _text(self.totals()),
                "rules": self.rules}


def _shares(row: dict) -> dict:
    for key, base in (("cost_share_of_revenue", "revenue"), ("cost_share_of_margin", "gross_margin")):
        row[key] = (row["cost"] / row[base]).quantize(SHARE) if row[base] > 0 else None
    return row


def _text(row: dict) -> dict:
    """Money to the cent and shares as strings, points and counts as ints."""
    return {key: (str(value.quantize(SHARE if key.startswith("cost_share") else CENT, ROUND_HALF_UP))
                  if isinstance(value, Decimal) else value) for key, value in row.items()}


def simulate(program: dict, orders: Iterable[PastOrder], scenario: Scenario, *, start: date | None = None,
             end: date | None = None, currency: str | None = None) -> Result:
    """The monthly figures of ``program`` (a loaded document) over the orders, under the scenario."""
    with no_cycle_collection():
        result = Simulation(program, scenario).run(orders, start, end)
    result.currency = currency
    return result


def compare(a: dict, b: dict) -> dict:
    """What ``b`` changes from ``a`` (both ``Result.as_dict()`` over the same orders): per month and
    in total, each figure's difference (b minus a), points as ints and money and shares as strings."""
    def minus(x: dict, y: dict) -> dict:
        out = {}
        for key, value in y.items():
            if key == "month" or key not in x:
                continue
            if isinstance(value, int):
                out[key] = value - x[key]
            elif isinstance(value, str) and x[key] is not None:
                out[key] = str(Decimal(value) - Decimal(x[key]))
            else:
                out[key] = None
        return out

    months_a = {m["month"]: m for m in a["months"]}
    return {"months": [{"month": m["month"], **minus(months_a[m["month"]], m)}
                       for m in b["months"] if m["month"] in months_a],
            "totals": minus(a["totals"], b["totals"])}
