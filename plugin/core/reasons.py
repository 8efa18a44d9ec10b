"""Why points moved, why a customer changed tier, why an event did not apply: stored as a code with
its parameters (``{"code": "earn.percent", "percent": "5"}``, numbers as exact strings) and
rendered in the reader's language at the view, from the catalogue keys ``reason.<code>``.

Every code is made here (one constructor each) so the catalogue and the writers agree. A free text
(a staff member's adjustment reason, a row written before codes) is the code ``text``. No Flask.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_decimal

from plugin.core import i18n

Reason = dict

TEXT = "text"
#: Parameters shown as numbers in the reader's language (the others are names and ids, as stored).
NUMBERS = frozenset({"amount", "percent", "points", "per", "total", "minimum", "bonus", "allowed",
                     "factor", "refunded", "eligible", "cap", "covered", "debt", "uncovered"})
ACTIVITY_LIMITS = ("once", "per_day", "per_week", "per_month", "per_year", "unlimited")


def make(code: str, /, **params) -> Reason:
    """A reason: its code first, then the parameters (Decimals and ints as exact strings)."""
    return {"code": code, **{name: _plain(value) for name, value in params.items()}}


def _plain(value):
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return value


# -- constructors: one per code ----------------------------------------------------------------

def text(words: str) -> Reason:
    return make(TEXT, text=words)


def manual(words: str) -> Reason:
    """A staff member's own words for an adjustment."""
    return make("adjust.manual", text=words)


def undo(batch_id: int, line: int, of: Reason) -> Reason:
    return make("adjust.undo", batch=str(batch_id), line=str(line), of=load(of))


def in_debt(reason: Reason) -> Reason:
    """The part of a debit that drove the balance below zero."""
    return {**load(reason), "in_debt": True}


def settle_debt() -> Reason:
    return make("ledger.settle")


def transfer_out() -> Reason:
    return make("transfer.out")


def transfer_in() -> Reason:
    return make("transfer.in")


def expired(at: datetime) -> Reason:
    return make("expire", at=at)


def earn_order(lines: list[Reason], notes: list) -> Reason:
    """An order's earning: the counted lines, then the notes (minimum, bonuses, limits...)."""
    return make("earn.order", lines=lines, notes=[load(note) for note in notes])


def earn_percent(percent, amount=None) -> Reason:
    return _line(make("earn.percent", percent=percent), amount)


def earn_per(points, per, amount=None) -> Reason:
    return _line(make("earn.per", points=points, per=per), amount)


def earn_band(total, points, amount=None) -> Reason:
    return _line(make("earn.band", total=total, points=points), amount)


def _line(rule: Reason, amount) -> Reason:
    return rule if amount is None else {**rule, "amount": _plain(amount)}


def below_minimum(minimum) -> Reason:
    return make("earn.below_minimum", minimum=minimum)


def campaign_bonus(bonus, name: str) -> Reason:
    return make("earn.campaign_bonus", bonus=bonus, name=name)


def first_order(points) -> Reason:
    return make("earn.first_order", points=points)


def earning_limit(allowed, points) -> Reason:
    return make("earn.limit", allowed=allowed, points=points)


def tier_multiplier(factor) -> Reason:
    return make("earn.tier", factor=factor)


def not_in_catalog(products: list[str]) -> Reason:
    return make("earn.not_in_catalog", products=", ".join(products))


def refund(refund_id: str, refunded, eligible, currency: str) -> Reason:
    return make("order.refund", refund=refund_id, refunded=refunded, eligible=eligible, currency=currency)


def order_cancelled() -> Reason:
    return make("order.cancelled")


def signup_bonus() -> Reason:
    return make("signup.bonus")


def birthday(year: int) -> Reason:
    return make("birthday", year=str(year))


def activation_code(code: str) -> Reason:
    return make("code.activation", activation=code)


def activity(name: str, limit: str) -> Reason:
    return make("activity", name=name, limit=limit)


def game(what: str, title: str) -> Reason:
    return make(f"game.{what}", title=title)


def referral(side: str) -> Reason:
    """``friend``: welcome of the invited friend; ``referrer``: the friend ordered."""
    return make(f"referral.{side}")


def review(state: str, review_id, product_id) -> Reason:
    """``published`` or ``unpublished``."""
    return make(f"review.{state}", review=str(review_id), product=str(product_id))


def imported_opening() -> Reason:
    return make("import.opening")


def tier_entry_bonus(tier_id: str) -> Reason:
    return make("tier.entry_bonus", tier=tier_id)


def tier_move(why: str) -> Reason:
    """placed, upgrade, rules_changed, downgrade, assigned."""
    return make(f"tier.{why}")


def held() -> Reason:
    return make("hold.held")


def hold_released(why: str, /, **params) -> Reason:
    """code_failed, shopper_cancelled, expired, withdrawn, order_cancelled (``order``)."""
    return make(f"hold.{why}", **params)


def used_unheld(code: str, order_id: str) -> Reason:
    return make("hold.used_unheld", discount=code, order=order_id)


def event_note(what: str, /, **params) -> Reason:
    """Why an event earned nothing or less than it would have (kept on the event for its owner)."""
    return make(f"event.{what}", **params)


# -- storing and reading -------------------------------------------------------------------------

def load(value) -> Reason:
    """A reason from what is stored: a reason dict, its JSON text, or a plain sentence (``text``)."""
    if isinstance(value, dict):
        return value if "code" in value else text(json.dumps(value))
    if not value:
        return text("")
    if isinstance(value, str) and value.startswith('{"code":'):
        try:
            found = json.loads(value)
        except ValueError:
            found = None
        if isinstance(found, dict) and isinstance(found.get("code"), str):
            return found
    return text(str(value))


def dumps(reason) -> str:
    """The stored text of a reason: compact JSON, its code first."""
    return json.dumps(load(reason), separators=(",", ":"), ensure_ascii=False)


def columns(reason) -> dict:
    """The values of a ledger entry's two reason columns."""
    reason = load(reason)
    return {"reason": reason, "reason_code": reason["code"]}


def notice(kind: str, data: dict, lang: str) -> str:
    """A notice to a shopper (its kind is the code, its data the parameters) in ``lang``."""
    return render(make(f"notice.{kind}", **data), lang)


def params(reason) -> dict:
    return {name: value for name, value in load(reason).items() if name != "code"}


def render(reason, lang: str) -> str:
    """The reason as a sentence in ``lang`` (en, ru)."""
    reason = load(reason)
    code = reason["code"]
    if code in (TEXT, "adjust.manual"):
        shown = str(reason.get("text", ""))
    elif code == "earn.order":
        shown = "; ".join([render(line, lang) for line in reason.get("lines", [])]
                          + [render(note, lang) for note in reason.get("notes", [])])
    else:
        try:
            shown = i18n.translate(lang, f"reason.{code}", **_values(reason, lang))
        except (KeyError, IndexError):  # a row missing a parameter its message names: show what it has
            shown = " ".join([code, *(f"{k}={v}" for k, v in reason.items() if k != "code")])
        if "category" in reason:
            shown = i18n.translate(lang, "reason.earn.category", rule=shown, category=reason["category"])
        for factor, by in reason.get("times", []):
            shown = i18n.translate(lang, "reason.earn.times", rule=shown, factor=_figure(factor, lang), by=by)
        if "amount" in reason and code.startswith("earn."):
            shown = i18n.translate(lang, "reason.earn.line", rule=shown,
                                   amount=_figure(reason["amount"], lang))
    for part in reason.get("then", []):  # clauses that carry their own leading punctuation
        shown += render(part, lang)
    if reason.get("in_debt"):
        shown += " " + i18n.translate(lang, "reason.in_debt")
    return shown


def _values(reason: Reason, lang: str) -> dict:
    values = {}
    for name, value in reason.items():
        if name == "of":
            values[name] = render(value, lang)
        elif name in ("at", "expires_at"):
            values[name] = _moment(value, lang)
        elif name == "on":
            values[name] = i18n.day(date.fromisoformat(str(value)), lang)
        elif name == "limit" and value in ACTIVITY_LIMITS:
            values[name] = i18n.translate(lang, f"reason.limit.{value}")
        elif name in NUMBERS:
            values[name] = _figure(value, lang)
        else:
            values[name] = value
    return values


def _figure(value, lang: str) -> str:
    """An exact number in the language's digits, with the decimals it was stored with."""
    return _figure_text(str(value), lang)


@lru_cache(maxsize=4096)
def _figure_text(value: str, lang: str) -> str:
    """Babel's formatting is the dearest part of a history line, and the same amounts recur."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    places = max(0, -number.as_tuple().exponent)
    return format_decimal(number, format="#,##0" + ("." + "0" * places if places else ""), locale=lang)


def _moment(value, lang: str) -> str:
    try:
        return i18n.moment(datetime.fromisoformat(str(value)), lang)
    except ValueError:
        return str(value)
