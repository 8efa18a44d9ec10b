"""Tiers: a customer's level by a metric over a window, up at once and down after a grace period.

The program's ``tiers`` section names the metric (points earned, amount spent, orders), the window
(lifetime, rolling 12 months, calendar year) and the ladder. Evaluation upgrades at once, granting
the entry bonus of every tier entered or skipped (ledger key ``tier-bonus:<customer>:<tier>``, so
once ever); below the held tier it first records a ``tier_downgrade_warning`` notice and a due date
(now + grace days) and downgrades only at a re-evaluation on or after that date. A tier assigned by
the store (``assigned``) is never moved by evaluation. Shop-wide re-evaluations are in runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from peewee import fn

from plugin import ledger
from plugin.core import bus, clock, facts, reasons
from plugin.core.db import database, ids_in, insert_rows, locking
from plugin.core.kinds import EntryKind, NoticeKind
from plugin.core.models import Customer, CustomerTier, Notice, Order, TierChange
from plugin.core.prepared import Prepared
from plugin.program import timing, versions
from plugin.program.document.features import TIER_METRICS

CENT = Decimal("0.0001")
EVER = datetime(1970, 1, 1)  # the start of a lifetime window
WARNING = NoticeKind.TIER_DOWNGRADE_WARNING


def ladder(program: dict) -> list[dict]:
    """The visible tiers, lowest first (the document validates that thresholds ascend from 0)."""
    return [tier for tier in program["tiers"]["tiers"] if not tier["hidden"]]


def tier_for(visible: list[dict], value: Decimal) -> dict:
    """The highest visible tier whose threshold ``value`` reaches."""
    reached = visible[0]
    for tier in visible:
        if value >= tier["threshold"]:
            reached = tier
    return reached


def window_start(window: str, now: datetime) -> datetime | None:
    if window == "rolling_12_months":
        return now - timedelta(days=365)
    if window == "calendar_year":
        return datetime(now.year, 1, 1)
    return None  # lifetime


def metrics(shop_id: int, program: dict, customer_ids: list[int], now: datetime) -> dict[int, Decimal]:
    """The tier metric of each customer over the window, in one grouped query.

    amount_spent: eligible minus refunded of non-cancelled orders; orders: non-cancelled orders;
    points_earned: what orders earned less what their refunds and cancellations took back (a fully
    refunded order no longer counts), whether or not the points could still be taken.
    """
    rules = program["tiers"]
    since = window_start(rules["window"], now) or EVER
    if len(customer_ids) == 1:  # a shopper's own page: the same query, its SQL built once
        rows = _ONE_CUSTOMER[rules["metric"]](shop_id, customer_ids[0], since)
    else:
        rows = _metric_query(rules["metric"], shop_id, since, ids_in(Order.customer, customer_ids))
    return {cid: metric_value(value) for cid, value in rows}


def _metric_query(metric: str, shop_id: int, since: datetime, customers):
    """The grouped metric of the orders of ``customers`` (a condition on Order.customer)."""
    total, where = metric_total(metric, shop_id, since, customers)
    return Order.select(Order.customer, total).where(where).group_by(Order.customer).tuples()


def metric_total(metric: str, shop_id: int, since: datetime, customers) -> tuple:
    """(the aggregate, the condition on orders) of the metric over the orders of ``customers``."""
    where = (Order.shop == shop_id) & customers & (Order.created_at >= since)
    if metric == "points_earned":
        return fn.SUM(Order.earned - Order.reversed), where
    total = fn.SUM(Order.eligible - Order.refunded) if metric == "amount_spent" else fn.COUNT(Order.id)
    return total, where & ~Order.cancelled


def metric_value(raw) -> Decimal:
    """A metric as the database sums it (None: no orders), as ``metrics`` gives it."""
    return Decimal(str(raw or 0)).quantize(CENT)


_ONE_CUSTOMER = {metric: Prepared(lambda shop_id, customer_id, since, metric=metric: _metric_query(
    metric, shop_id, since, Order.customer == customer_id)) for metric in TIER_METRICS}

def evaluate(shop_id: int, customer_id: int, *, now: datetime | None = None) -> CustomerTier | None:
    """Move one customer per the shop's tier rules; None when the program has no tiers."""
    version, program = versions.current(shop_id)
    if not program.get("tiers"):
        return None
    evaluate_batch(shop_id, program, version, [customer_id], now or clock.now())
    return CustomerTier.get_or_none(CustomerTier.customer == customer_id)


def evaluate_many(shop_id: int, customer_ids: list[int], *, now: datetime | None = None,
                  current: tuple[int | None, dict] | None = None) -> int:
    """Evaluate several customers at once (a batch of paid orders, under ``current``, its
    (version, program)); returns how many moved."""
    version, program = current or versions.current(shop_id)
    if not program.get("tiers") or not customer_ids:
        return 0
    return evaluate_batch(shop_id, program, version, sorted(set(customer_ids)), now or clock.now())


def _held(ids: list[int], lock: bool) -> dict:
    """The tier rows of these customers (only what evaluation reads), locked when asked."""
    query = CustomerTier.select(CustomerTier.id, CustomerTier.customer, CustomerTier.tier_id,
                                CustomerTier.assigned, CustomerTier.downgrade_due).where(
        ids_in(CustomerTier.customer, ids))
    return {row.customer: row for row in (locking(query) if lock else query).namedtuples()}


def _unchanged(row, target: str, rank: dict[str, int], now: datetime) -> bool:
    """True when evaluation leaves the row as it is (not a placement, an upgrade, a warning, a
    downgrade that is due or a warning that lapses)."""
    if row is None:
        return False
    if row.assigned:
        return True
    current = rank.get(row.tier_id)
    if current is None or rank[target] > current:
        return False
    if rank[target] < current:
        return row.downgrade_due is not None and now < row.downgrade_due
    return row.downgrade_due is None


def evaluate_batch(shop_id: int, program: dict, version: int | None, ids: list[int],
                    now: datetime) -> int:
    """Move a batch of customers. The tier rows are read without locks; only those evaluation will
    change are read again locked, and the writes are a few statements for the whole batch (one
    UPDATE per tier moved to, one for the warned, one for lapsed warnings), not one per customer."""
    rules, visible = program["tiers"], ladder(program)
    rank = {tier["id"]: n for n, tier in enumerate(visible)}
    values = metrics(shop_id, program, ids, now)
    moved: list[tuple[int, str | None, str, dict]] = []  # customer, from, to, reason
    warned: list[tuple[int, str, str, datetime]] = []  # customer, tier, down to, on
    bonuses: list[tuple[int, dict]] = []
    with database.atomic():
        rows = _held(ids, lock=False)
        targets = {cid: tier_for(visible, values.get(cid, Decimal(0))) for cid in ids}
        todo = [cid for cid in ids if not _unchanged(rows.get(cid), targets[cid]["id"], rank, now)]
        if todo:
            rows |= _held(todo, lock=True)
        placed, moves, lapsed, warnings = [], {}, [], []  # moves: tier id -> CustomerTier ids moved to it
        for cid in todo:
            row, target = rows.get(cid), targets[cid]
            if row is None:
                placed.append({"shop": shop_id, "customer": cid, "tier_id": target["id"], "since": now})
                moved.append((cid, None, target["id"], reasons.tier_move("placed")))
                bonuses += [(cid, tier) for tier in visible[:rank[target["id"]] + 1]]
                continue
            if row.assigned:
                continue
            current = rank.get(row.tier_id)
            if current is None or rank[target["id"]] > current:  # up, or off a tier the rules dropped
                moves.setdefault(target["id"], []).append(row.id)
                moved.append((cid, row.tier_id, target["id"],
                              reasons.tier_move("upgrade" if current is not None else "rules_changed")))
                start = 0 if current is None else current + 1
                bonuses += [(cid, tier) for tier in visible[start:rank[target["id"]] + 1]]
            elif rank[target["id"]] < current:
                due = row.downgrade_due
                if due is None:
                    due = now + timedelta(days=rules["grace_days"])
                    warned.append((cid, row.tier_id, target["id"], due))
                    warnings.append(row)
                if now >= due:
                    moves.setdefault(target["id"], []).append(row.id)
                    moved.append((cid, row.tier_id, target["id"], reasons.tier_move("downgrade")))
            elif row.downgrade_due is not None:  # back at the tier's threshold: the warning lapses
                lapsed.append(row.id)
        if placed:
            insert_rows(CustomerTier, placed, ignore_conflicts=True)
        for tier_id, row_ids in moves.items():
            CustomerTier.update(tier_id=tier_id, since=now, downgrade_due=None,
                                downgrade_warned_at=None).where(ids_in(CustomerTier.id, row_ids)).execute()
        if lapsed:
            CustomerTier.update(downgrade_due=None, downgrade_warned_at=None).where(
                ids_in(CustomerTier.id, lapsed)).execute()
        _warn(shop_id, warnings, warned, now, moves)
        if moved:
            insert_rows(TierChange, [
                {"shop": shop_id, "customer": cid, "from_tier": old, "to_tier": new,
                 "reason": reason, "created_at": now} for cid, old, new, reason in moved])
        _grant_bonuses(shop_id, program, version, bonuses, now)
        tiers = {cid: row.tier_id for cid, row in rows.items()} | {cid: new for cid, _, new, _ in moved}
        bus.publish(facts.TiersEvaluated(shop_id, program, now, values=values, tiers=tiers, moved=moved,
                                         warned=warned))
    return len(moved)


def _warn(shop_id: int, rows: list, warned: list[tuple[int, str, str, datetime]], now: datetime,
          moves: dict) -> None:
    """Record a batch's downgrade warnings: the due date on the rows (a row that also moved down
    at once, with no grace, was cleared by its move) and a notice each."""
    if not rows:
        return
    down_now = {row_id for row_ids in moves.values() for row_id in row_ids}
    due = warned[0][3]  # the same for the whole batch: now + the grace days
    waiting = [row.id for row in rows if row.id not in down_now]
    if waiting:
        CustomerTier.update(downgrade_warned_at=now, downgrade_due=due).where(
            ids_in(CustomerTier.id, waiting)).execute()
    insert_rows(Notice, [
        {"shop": shop_id, "customer": cid, "kind": WARNING, "created_at": now,
         "key": f"tier-downgrade:{cid}:{tier}:{now.isoformat()}",
         "data": {"on": on.date().isoformat(), "tier": tier, "to": down_to}}
        for cid, tier, down_to, on in warned], ignore_conflicts=True)


def _grant_bonuses(shop_id: int, program: dict, version: int | None,
                   bonuses: list[tuple[int, dict]], now: datetime) -> None:
    """Entry bonuses of the tiers entered or skipped; the key makes each once ever."""
    point_type = program["earning"]["point_type"]
    grants = [ledger.Grant(
        cid, tier["entry_bonus"], source=f"tier:{tier['id']}",
        rule={"tier": tier["id"], "entry_bonus": tier["entry_bonus"]},
        key=f"tier-bonus:{cid}:{tier['id']}", point_type=point_type,
        reason=reasons.tier_entry_bonus(tier["id"]), program_version=version,
        expires_at=timing.expires_at(program, point_type, now))
        for cid, tier in bonuses if tier["entry_bonus"] > 0]
    if grants:
        ledger.grant_many(shop_id, grants, kind=EntryKind.BONUS)


def assign(customer: Customer, tier_id: str | None, *, now: datetime | None = None) -> CustomerTier | None:
    """The store puts a customer on a tier (hidden or not) that evaluation will not move;
    ``None`` hands the customer back to evaluation. Raises KeyError for an unknown tier."""
    now = now or clock.now()
    version, program = versions.current(customer.shop_id)
    tiers = {tier["id"]: tier for tier in (program.get("tiers") or {}).get("tiers", [])}
    with database.atomic():
        row = locking(CustomerTier.select().where(CustomerTier.customer == customer.id)).first()
        if tier_id is None:
            if row is not None and row.assigned:
                CustomerTier.update(assigned=False).where(CustomerTier.id == row.id).execute()
        else:
            if tier_id not in tiers:
                raise KeyError(tier_id)
            old = row.tier_id if row else None
            if row is None:
                CustomerTier.create(shop=customer.shop_id, customer=customer.id, tier_id=tier_id,
                                    assigned=True, since=now)
            else:
                CustomerTier.update(tier_id=tier_id, assigned=True, since=now, downgrade_due=None,
                                    downgrade_warned_at=None).where(CustomerTier.id == row.id).execute()
            if old != tier_id:
                reason = reasons.tier_move("assigned")
                TierChange.create(shop=customer.shop_id, customer=customer.id, from_tier=old,
                                  to_tier=tier_id, reason=reason, created_at=now)
                bus.publish(facts.TiersEvaluated(customer.shop_id, program, now, tiers={customer.id: tier_id},
                                                 moved=[(customer.id, old, tier_id, reason)]))
            _grant_bonuses(customer.shop_id, program, version, [(customer.id, tiers[tier_id])], now)
    if tier_id is None and program.get("tiers"):
        evaluate(customer.shop_id, customer.id, now=now)
    return CustomerTier.get_or_none(CustomerTier.customer == customer.id)


def _number(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _public(tier: dict) -> dict:
    return {"id": tier["id"], "title": tier["title"], "threshold": _number(tier["threshold"]),
            "earn_multiplier": _number(tier["earn_multiplier"]),
            "discount_percent": _number(tier["discount_percent"]),
            "free_shipping_threshold": (None if tier["free_shipping_threshold"] is None
                                        else _number(tier["free_shipping_threshold"])),
            "entry_bonus": tier["entry_bonus"]}


def progress(program: dict, customer: Customer | None) -> dict | None:
    """The customer's tier, the next one and how far it is (None when the program has no tiers).

    The tier shown is the one held (kept through a grace period, or assigned by the store);
    before the first evaluation it is the tier the metric reaches.
    """
    if not program.get("tiers"):
        return None
    value, row = Decimal(0), None
    if customer is not None:
        value = metrics(customer.shop_id, program, [customer.id], clock.now()).get(customer.id, value)
        row = held(customer.id)
    return progress_at(program, row, value)


def progress_at(program: dict, row: CustomerTier | None, value: Decimal) -> dict:
    """``progress`` of a customer whose tier row and metric are read (a program with tiers)."""
    rules = program["tiers"]
    visible = ladder(program)
    by_id = {tier["id"]: tier for tier in rules["tiers"]}
    current = by_id.get(row.tier_id) if row else None
    current = current or tier_for(visible, value)
    if current in visible:
        above = visible[visible.index(current) + 1:]
    else:  # a hidden tier: the next visible tier the metric has not reached
        above = [tier for tier in visible if tier["threshold"] > value]
    nxt = above[0] if above else None
    return {
        "metric": rules["metric"], "window": rules["window"], "value": _number(value),
        "tier": _public(current), "next": _public(nxt) if nxt else None,
        "to_next": _number(max(nxt["threshold"] - value, Decimal(0))) if nxt else None,
        "assigned": bool(row and row.assigned),
        "downgrade_on": row.downgrade_due.date().isoformat() if row and row.downgrade_due else None,
    }


def held(customer_id: int) -> CustomerTier | None:
    """The customer's tier row (none before the first evaluation): the columns a shopper's pages
    read only."""
    rows = _tier_row(customer_id)
    return rows[0] if rows else None


@Prepared
def _tier_row(customer_id: int):
    return (CustomerTier.select(CustomerTier.tier_id, CustomerTier.assigned, CustomerTier.downgrade_due)
            .where(CustomerTier.customer == customer_id).limit(1))


def history(customer: Customer, limit: int = 20) -> list[TierChange]:
    """The customer's latest tier moves, newest first, with why."""
    return list(TierChange.select().where((TierChange.shop == customer.shop_id)
                                          & (TierChange.customer == customer.id))
                .order_by(TierChange.id.desc()).limit(limit))
