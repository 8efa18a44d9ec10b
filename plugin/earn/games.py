"""Badges, challenges, quests and the opt-in leaderboard, from the same facts as points.

Progress is never counted up event by event: after an order, a review or an activity is applied,
``on_event`` recomputes the customer's games from the rows that record those facts (orders,
review lots, activities), so replaying an event, or applying a batch twice, changes nothing.
Rewards are ledger grants with keys ``badge:<id>:<customer>``, ``challenge:<id>:<customer>`` and
``quest:<id>:<customer>``, so each is paid once whatever happens. A completed challenge or quest
stays completed (and paid) when an order is refunded later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import peewee
from peewee import fn

from plugin import ledger
from plugin.core import clock, reasons
from plugin.core.errors import Invalid, LoyaltyError
from plugin.core.kinds import EntryKind
from plugin.core.models import (
    Activity,
    Badge,
    ChallengeProgress,
    Customer,
    CustomerTier,
    LeaderboardEntry,
    LedgerEntry,
    Lot,
    Order,
    QuestProgress,
)
from plugin.core.status import ChallengeStatus
from plugin.program import timing, versions
from plugin.program.earning import naive

#: Ledger kinds that count as points earned on the leaderboard (a refund's reversal counts against).
EARNED_KINDS = (EntryKind.EARN, EntryKind.BONUS, EntryKind.REVIEW, EntryKind.REVERSE)
_RANK = {"order": 0, "review": 1, "activity": 2}  # ties of one moment: a stable order


class LeaderboardOff(LoyaltyError):
    status, code = 409, "leaderboard_off"


@dataclass(frozen=True)
class Fact:
    """One thing the customer did that games count: an order, a review that earned, an activity."""

    at: datetime
    goal: str  # order, review, activity
    ref: int
    amount: Decimal = Decimal(0)  # an order's eligible amount less what was refunded
    name: str | None = None  # an activity's name


def history(customer: Customer) -> list[Fact]:
    """The customer's facts, oldest first (cancelled orders do not count)."""
    facts = [Fact(at, "order", oid, Decimal(eligible) - Decimal(refunded))
             for oid, at, eligible, refunded in Order.select(
                 Order.id, Order.created_at, Order.eligible, Order.refunded).where(
                 (Order.customer == customer.id) & (Order.cancelled == False)).tuples()]  # noqa: E712
    facts += [Fact(at, "review", n) for n, (at, _) in enumerate(Lot.select(
        fn.MIN(Lot.created_at), Lot.source).where(
        (Lot.customer == customer.id) & Lot.source.startswith("review:")).group_by(Lot.source).tuples())]
    facts += [Fact(at, "activity", aid, name=name) for aid, at, name in Activity.select(
        Activity.id, Activity.created_at, Activity.name).where(Activity.customer == customer.id).tuples()]
    return sorted(facts, key=lambda f: (f.at, _RANK[f.goal], f.ref))


def on_event(event: str, customer: Customer, *, program: dict | None = None,
             version: int | None = None) -> None:
    """After ``event`` (order.paid, review.published, activity) was applied for ``customer``:
    bring badges, challenges and quests up to date and pay what was completed, once."""
    if program is None:
        version, program = versions.current(customer.shop_id)
    games = program.get("games")
    if not games or not (games["badges"] or games["challenges"] or games["quests"]):
        return
    facts, now = history(customer), clock.now()
    earned = set(earned_badges(customer))
    for badge in games["badges"]:
        if badge["id"] not in earned and _deserves(customer, badge, facts, program):
            _award(customer, badge, program, version, now)
    for challenge in games["challenges"]:
        _challenge(customer, challenge, facts, program, version, now)
    for quest in games["quests"]:
        _quest(customer, quest, facts, program, version, now)


def earned_badges(customer: Customer) -> dict[str, datetime]:
    return dict(Badge.select(Badge.badge_id, Badge.earned_at).where(Badge.customer == customer.id).tuples())


def _deserves(customer: Customer, badge: dict, facts: list[Fact], program: dict) -> bool:
    orders = sum(1 for f in facts if f.goal == "order")
    if badge["when"] == "first_purchase":
        return orders >= 1
    if badge["when"] == "orders":
        return orders >= badge["count"]
    if badge["when"] == "first_review":
        return any(f.goal == "review" for f in facts)
    if badge["when"] == "tier_reached":
        current = (CustomerTier.select(CustomerTier.tier_id)
                   .where(CustomerTier.customer == customer.id).scalar())
        ladder = [t["id"] for t in (program.get("tiers") or {}).get("tiers") or [] if not t["hidden"]]
        return current == badge["tier"] or (
            current in ladder and badge["tier"] in ladder
            and ladder.index(current) >= ladder.index(badge["tier"]))
    return False  # custom: the store gives it


def _grant(customer: Customer, points: int, what: str, item: dict, title: str, program: dict,
           version: int | None, now: datetime) -> None:
    if not points:
        return
    point_type = program["earning"]["point_type"]
    ledger.grant(customer, points, kind=EntryKind.BONUS, source=f"{what}:{item['id']}",
                 key=f"{what}:{item['id']}:{customer.platform_id}", rule={what: item["id"]},
                 point_type=point_type, program_version=version, reason=reasons.game(what, title),
                 expires_at=timing.expires_at(program, point_type, now))


def _title(item: dict) -> str:
    return item["title"].get("en") or next(iter(item["title"].values()), item["id"])


def _award(customer: Customer, badge: dict, program: dict, version: int | None, now: datetime) -> None:
    Badge.insert(shop=customer.shop_id, customer=customer.id, badge_id=badge["id"],
                 earned_at=now).on_conflict_ignore().execute()
    _grant(customer, badge["points"], "badge", badge, _title(badge), program, version, now)


def award_custom(customer: Customer, badge_id: str) -> tuple[dict, bool]:
    """The store gives a custom badge: ({badge, earned_at, points}, True when given now)."""
    version, program = versions.current(customer.shop_id)
    badge = next((b for b in (program.get("games") or {}).get("badges") or [] if b["id"] == badge_id), None)
    if badge is None or badge["when"] != "custom":
        raise Invalid(f"{badge_id!r} is not a custom badge of the program",
                      fields={"badge": ["not a custom badge of the program"]})
    had = earned_badges(customer)
    if badge_id not in had:
        _award(customer, badge, program, version, clock.now())
    when = earned_badges(customer)[badge_id]
    return {"badge": badge_id, "earned_at": when, "points": badge["points"]}, badge_id not in had


def challenge_progress(challenge: dict, facts: list[Fact]) -> Decimal:
    """What counts toward a challenge: facts within [starts_at, ends_at)."""
    start, end = naive(challenge["starts_at"]), naive(challenge["ends_at"])
    inside = [f for f in facts if start <= f.at < end]
    if challenge["goal"] == "spend":
        return sum((f.amount for f in inside if f.goal == "order"), Decimal(0))
    goal = {"orders": "order", "reviews": "review"}[challenge["goal"]]
    return Decimal(sum(1 for f in inside if f.goal == goal))


def _challenge(customer: Customer, challenge: dict, facts: list[Fact], program: dict,
               version: int | None, now: datetime) -> None:
    progress = challenge_progress(challenge, facts)
    if progress <= 0:
        return
    ChallengeProgress.insert(shop=customer.shop_id, customer=customer.id, challenge_id=challenge["id"],
                             progress=progress).on_conflict(
        conflict_target=[ChallengeProgress.customer, ChallengeProgress.challenge_id],
        update={ChallengeProgress.progress: progress}).execute()
    if progress >= challenge["target"]:
        ChallengeProgress.update(completed_at=now).where(
            (ChallengeProgress.customer == customer.id) & (ChallengeProgress.challenge_id == challenge["id"])
            & ChallengeProgress.completed_at.is_null()).execute()
        _grant(customer, challenge["points"], "challenge", challenge, _title(challenge), program,
               version, now)


def quest_step(quest: dict, facts: list[Fact]) -> int:
    """How many steps are done: each step is matched by a fact after the previous step's."""
    done = 0
    for fact in facts:
        if done == len(quest["steps"]):
            break
        step = quest["steps"][done]
        if fact.goal == step["goal"] and (step.get("name") is None or step["name"] == fact.name):
            done += 1
    return done


def _quest(customer: Customer, quest: dict, facts: list[Fact], program: dict, version: int | None,
           now: datetime) -> None:
    step = quest_step(quest, facts)
    if step == 0:
        return
    complete = step == len(quest["steps"])
    QuestProgress.insert(shop=customer.shop_id, customer=customer.id, quest_id=quest["id"], step=step,
                         completed_at=now if complete else None).on_conflict(
        conflict_target=[QuestProgress.customer, QuestProgress.quest_id],
        update={QuestProgress.step: peewee.Case(None, [(QuestProgress.step < step, step)],
                                                QuestProgress.step),
                QuestProgress.completed_at: fn.COALESCE(QuestProgress.completed_at,
                                                        now if complete else None)}).execute()
    if complete:
        _grant(customer, quest["points"], "quest", quest, _title(quest), program, version, now)


def summary(customer: Customer | None, program: dict) -> dict:
    """What the widget shows: every badge (earned or not), challenges and quests with progress."""
    games = program.get("games") or {"badges": [], "challenges": [], "quests": []}
    facts = history(customer) if customer is not None else []
    earned = earned_badges(customer) if customer is not None else {}
    stored = {}
    if customer is not None:
        stored = {row.challenge_id: row for row in ChallengeProgress.select().where(
            ChallengeProgress.customer == customer.id)}
    quests = {}
    if customer is not None:
        quests = {row.quest_id: row for row in QuestProgress.select().where(
            QuestProgress.customer == customer.id)}
    now = clock.now()
    return {
        "badges": [{"id": b["id"], "title": b["title"], "when": b["when"], "points": b["points"],
                    "earned": b["id"] in earned, "earned_at": earned.get(b["id"])}
                   for b in games["badges"]],
        "challenges": [_challenge_view(c, facts, stored.get(c["id"]), now) for c in games["challenges"]],
        "quests": [_quest_view(q, facts, quests.get(q["id"])) for q in games["quests"]],
    }


def _challenge_view(challenge: dict, facts: list[Fact], row: ChallengeProgress | None,
                    now: datetime) -> dict:
    start, end = naive(challenge["starts_at"]), naive(challenge["ends_at"])
    completed_at = row.completed_at if row else None
    status = (ChallengeStatus.COMPLETED if completed_at else ChallengeStatus.UPCOMING if now < start
              else ChallengeStatus.ENDED if now >= end else ChallengeStatus.ACTIVE)
    return {"id": challenge["id"], "title": challenge["title"], "goal": challenge["goal"],
            "target": challenge["target"], "progress": challenge_progress(challenge, facts),
            "points": challenge["points"], "starts_at": start, "ends_at": end, "status": status,
            "completed_at": completed_at}


def _quest_view(quest: dict, facts: list[Fact], row: QuestProgress | None) -> dict:
    step = max(quest_step(quest, facts), row.step if row else 0)
    steps = quest["steps"]
    return {"id": quest["id"], "title": quest["title"], "points": quest["points"],
            "steps": [{"goal": s["goal"], "name": s.get("name")} for s in steps], "step": step,
            "next": steps[step] if step < len(steps) else None,
            "completed_at": row.completed_at if row else None}


def leaderboard(shop_id: int, program: dict) -> list[dict]:
    """The top opted-in shoppers by points earned in the window: rank, display name and points."""
    board = (program.get("games") or {}).get("leaderboard")
    if not board or not board["enabled"]:
        return []
    on = ((LedgerEntry.customer == LeaderboardEntry.customer) & LedgerEntry.kind.in_(EARNED_KINDS))
    if board["window"] == "month":
        on &= LedgerEntry.created_at >= clock.now().replace(day=1, hour=0, minute=0, second=0,
                                                            microsecond=0)
    total = fn.COALESCE(fn.SUM(LedgerEntry.delta), 0)
    rows = (LeaderboardEntry.select(LeaderboardEntry.display_name, total.alias("points"))
            .join(LedgerEntry, peewee.JOIN.LEFT_OUTER, on=on)
            .where(LeaderboardEntry.shop == shop_id)
            .group_by(LeaderboardEntry.id, LeaderboardEntry.display_name)
            .order_by(total.desc(), LeaderboardEntry.id).limit(board["size"]).tuples())
    return [{"rank": n, "display_name": name, "points": int(points)}
            for n, (name, points) in enumerate(rows, start=1)]


def opt_in(customer: Customer, display_name: str, program: dict) -> LeaderboardEntry:
    """Join the leaderboard (or change the name shown); only while the store runs one."""
    board = (program.get("games") or {}).get("leaderboard")
    if not board or not board["enabled"]:
        raise LeaderboardOff("this store runs no leaderboard")
    LeaderboardEntry.insert(shop=customer.shop_id, customer=customer.id, display_name=display_name,
                            created_at=clock.now()).on_conflict(
        conflict_target=[LeaderboardEntry.customer],
        update={LeaderboardEntry.display_name: display_name}).execute()
    return LeaderboardEntry.get(LeaderboardEntry.customer == customer.id)


def opt_out(customer: Customer) -> bool:
    """Leave the leaderboard; True when the shopper was on it."""
    return bool(LeaderboardEntry.delete().where(LeaderboardEntry.customer == customer.id).execute())


def entry_of(customer: Customer | None) -> LeaderboardEntry | None:
    if customer is None:
        return None
    return LeaderboardEntry.get_or_none(LeaderboardEntry.customer == customer.id)
