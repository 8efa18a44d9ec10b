"""Rows written before reason codes: their English sentences read back into codes and parameters.

Ledger entries, tier changes and the notes we wrote on events stored sentences ("5% on 2490.00",
"order cancelled", "expired on 2026-03-01 12:00 UTC"). ``run`` turns the sentences it knows into
reasons (``parse``) and keeps any other ledger or tier sentence as the code ``text``; an event
error it does not know (a field path from a schema, an exception) stays as it is. It only reads
rows not converted yet, so running it again changes nothing. The database runs it once, in the
upgrade that adds ``ledger_entry.reason_code`` (plugin.core.db.bind).
"""

from __future__ import annotations

import re
from decimal import Decimal

from peewee import Cast, Value

from plugin.core import reasons
from plugin.core.kinds import EntryKind
from plugin.core.models import Event, LedgerEntry, TierChange

NUMBER = r"-?\d+(?:\.\d+)?"
LIMIT_WORDS = {"once per customer": "once", "once a day (UTC)": "per_day",
               "once a week (ISO, UTC)": "per_week", "once a month (UTC)": "per_month",
               "once a year (UTC)": "per_year", "every time": "unlimited"}
FIXED = {
    "pays off a negative balance": reasons.settle_debt(),
    "given to another shopper": reasons.transfer_out(),
    "received from another shopper": reasons.transfer_in(),
    "order cancelled": reasons.order_cancelled(),
    "sign-up bonus": reasons.signup_bonus(),
    "welcome: invited by a friend": reasons.referral("friend"),
    "a friend you invited ordered": reasons.referral("referrer"),
    "opening balance imported from CSV": reasons.imported_opening(),
    "held for a discount": reasons.held(),
    "the discount code could not be created": reasons.hold_released("code_failed"),
    "cancelled by the shopper": reasons.hold_released("shopper_cancelled"),
    "the discount was not used in time": reasons.hold_released("expired"),
    "released once its code was withdrawn": reasons.hold_released("withdrawn"),
    "placed": reasons.tier_move("placed"),
    "upgrade": reasons.tier_move("upgrade"),
    "tier rules changed": reasons.tier_move("rules_changed"),
    "downgrade after the grace period": reasons.tier_move("downgrade"),
    "assigned by the store": reasons.tier_move("assigned"),
    "the program gives no points for reviews": reasons.event_note("no_review_points"),
    "duplicate of an event stored since": reasons.event_note("duplicate"),
}
PATTERNS = [
    (r"expired on (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", lambda m: reasons.make("expire", at=m[1])),
    (rf"refund (.+): ({NUMBER}) of ({NUMBER}) (\S*) refunded",
     lambda m: reasons.refund(m[1], m[2], m[3], m[4])),
    (r"birthday bonus (\d{4})", lambda m: reasons.make("birthday", year=m[1])),
    (r"activation code (\S+)", lambda m: reasons.activation_code(m[1])),
    (r"(badge|challenge|quest) (['\"])(.*)\2", lambda m: reasons.game(m[1], m[3])),
    (r"review (\S+) of product (\S+) (published|unpublished)", lambda m: reasons.review(m[3], m[1], m[2])),
    (r"entry bonus of tier (.+)", lambda m: reasons.tier_entry_bonus(m[1])),
    (r"order (.+) cancelled", lambda m: reasons.hold_released("order_cancelled", order=m[1])),
    (r"discount (\S+) used by order (.+) without its points held", lambda m: reasons.used_unheld(m[1], m[2])),
    (r"(.+) \((" + "|".join(re.escape(words) for words in LIMIT_WORDS) + r")\)",
     lambda m: reasons.activity(m[1], LIMIT_WORDS[m[2]])),
    (r"review (\S+) of product (\S+) already earned for this customer; a second review of a product "
     r"earns nothing", lambda m: reasons.event_note("review_repeated", review=m[1], product=m[2])),
    (r"over the monthly cap of (\d+) reviews that earn: no points",
     lambda m: reasons.event_note("review_cap", cap=m[1])),
    (r"(\d+) points were no longer there to take back \(reversal policy '(.+)'\)",
     lambda m: reasons.event_note("not_taken_back", points=m[1], policy=m[2])),
    (r"discount code (\S+) looks like ours but no redemption issued it: nobody to charge",
     lambda m: reasons.event_note("unknown_code", discount=m[1])),
    (rf"discount (\S+) was used without its points held: (\d+) of (\d+) points charged"
     rf"(?:, (\d+) as a negative balance)?(?:; ({NUMBER}) (\S*) not covered by points)?", lambda m: {
        **reasons.event_note("late_charge", discount=m[1], covered=m[2], points=m[3]),
        "then": ([reasons.event_note("late_debt", debt=m[4])] if m[4] else [])
        + ([reasons.event_note("late_uncovered", uncovered=m[5], currency=m[6])] if m[5] else [])}),
]
BASES = [
    (rf"({NUMBER})%", lambda m: reasons.earn_percent(m[1])),
    (rf"({NUMBER}) per ({NUMBER})", lambda m: reasons.earn_per(m[1], m[2])),
    (rf"band for ({NUMBER}): ({NUMBER}) points", lambda m: reasons.earn_band(m[1], m[2])),
]
NOTES = [
    (rf"order below the minimum of ({NUMBER})", lambda m: reasons.below_minimum(m[1])),
    (rf"\+({NUMBER}) campaign bonus \((.*)\)", lambda m: reasons.campaign_bonus(m[1], m[2])),
    (r"first order: at least (\d+) points", lambda m: reasons.first_order(m[1])),
    (r"earning limit: (-?\d+) of (\d+) points", lambda m: reasons.earning_limit(m[1], m[2])),
    (rf"x({NUMBER}) \(tier\)", lambda m: reasons.tier_multiplier(m[1])),
    (r"product (.+) not in the catalog: earned without its tags, type and sale price",
     lambda m: reasons.make("earn.not_in_catalog", products=m[1])),
]
LINE = re.compile(rf"(?P<rule>.+?)(?: \((?P<category>[^()]*)\))?(?P<times>(?: x{NUMBER} \([^()]*\))*)"
                  rf" on (?P<amount>{NUMBER})")
TIMES = re.compile(rf" x({NUMBER}) \(([^()]*)\)")


def _first(table, sentence: str) -> reasons.Reason | None:
    for pattern, build in table:
        found = re.fullmatch(pattern, sentence)
        if found:
            return build(found)
    return None


def parse(sentence: str, kind: str | None = None) -> reasons.Reason | None:
    """The reason an old sentence stood for, or None when it is none we wrote."""
    if kind == EntryKind.ADJUST:
        undone = re.fullmatch(r"undo of batch (\d+), line (\d+): (.*)", sentence, re.S)
        if undone:
            return reasons.undo(int(undone[1]), int(undone[2]), reasons.manual(undone[3]))
        return reasons.manual(sentence)
    if sentence.endswith(" (negative balance)"):
        inner = parse(sentence[:-len(" (negative balance)")], kind)
        return reasons.in_debt(inner) if inner else None
    if sentence in FIXED:
        return FIXED[sentence]
    return _first(PATTERNS, sentence) or _earning(sentence)


def _earning(sentence: str) -> reasons.Reason | None:
    """An order's earning: lines ("5% (shoes) x2 (Spring) on 100.00") and notes, joined by "; "."""
    lines, notes = [], []
    for part in sentence.split("; "):
        note = _first(NOTES, part)
        if note is not None and not lines:
            return None  # notes come after the lines
        line = LINE.fullmatch(part) if note is None else None
        base = _first(BASES, line["rule"]) if line else None
        if note is not None:
            notes.append(note)
        elif base is None or notes:
            return None
        else:
            if line["category"] is not None:
                base["category"] = line["category"]
            if line["times"]:
                base["times"] = [[factor, by] for factor, by in TIMES.findall(line["times"])]
            lines.append({**base, "amount": str(Decimal(line["amount"]))})
    return reasons.earn_order(lines, notes) if lines else None


def run(batch: int = 1000) -> int:
    """Convert every row still in the old form; returns how many rows changed."""
    changed, after = 0, 0
    while True:
        rows = list(LedgerEntry.select(LedgerEntry.id, LedgerEntry.reason, LedgerEntry.kind).where(
            LedgerEntry.reason_code.is_null() & (LedgerEntry.id > after)).order_by(LedgerEntry.id)
            .limit(batch))
        if not rows:
            break
        alike: dict[tuple[str, str], list[int]] = {}
        for row in rows:  # a sentence reads through the field as the code ``text``
            alike.setdefault((reasons.dumps(row.reason), row.kind), []).append(row.id)
        for (stored, kind), ids in alike.items():
            reason = reasons.load(stored)
            if reason["code"] == reasons.TEXT:
                reason = parse(reason["text"], kind) or reason
            changed += LedgerEntry.update(**reasons.columns(reason)).where(LedgerEntry.id.in_(ids)).execute()
        after = rows[-1].id
    for (reason,) in TierChange.select(TierChange.reason).distinct().where(
            ~_raw(TierChange.reason).startswith('{"code":')).tuples():
        new = parse(reason["text"]) if reason["code"] == reasons.TEXT else None
        changed += TierChange.update(reason=new or reason).where(
            _raw(TierChange.reason) == _raw_value(reason["text"])).execute()
    for (error,) in Event.select(Event.error).distinct().where(
            Event.error.is_null(False) & ~Event.error.startswith('{"code":')).tuples():
        new = parse(error)
        if new is not None:
            changed += Event.update(error=reasons.dumps(new)).where(Event.error == error).execute()
    return changed


def _raw(column):
    """The column as stored text (compared without the field's reason encoding)."""
    return Cast(column, "TEXT")


def _raw_value(text: str):
    return Value(text, converter=False)
