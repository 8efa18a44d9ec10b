"""Reasons are stored as a code with exact parameters and rendered in the reader's language."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from babel.messages.pofile import read_po

from plugin.core import i18n, reasons
from plugin.core.reason_migration import parse


def test_a_reason_keeps_its_numbers_as_exact_strings():
    assert reasons.earn_percent(Decimal("5"), Decimal("2490.00")) == {
        "code": "earn.percent", "percent": "5", "amount": "2490.00"}
    assert reasons.expired(datetime(2026, 3, 1, 12, 0)) == {"code": "expire", "at": "2026-03-01 12:00"}


@pytest.mark.parametrize(("reason", "en", "ru"), [
    (reasons.earn_order([reasons.earn_percent("5", "2490.00")], []), "5% on 2,490.00",
     "5% с суммы 2\xa0490,00"),
    (reasons.order_cancelled(), "order cancelled", "заказ отменён"),
    (reasons.held(), "held for a discount", "зарезервировано под скидку"),
    (reasons.in_debt(reasons.order_cancelled()), "order cancelled (negative balance)",
     "заказ отменён (в минус)"),
    (reasons.transfer_out(), "given to another shopper", "передано другому покупателю"),
    (reasons.settle_debt(), "pays off a negative balance", "погашение отрицательного баланса"),
    (reasons.expired(datetime(2026, 3, 1, 12, 0)), "expired on Mar 1, 2026 12:00 UTC",
     "сгорели 1 мар. 2026\u202fг. 12:00 UTC"),
    (reasons.activity("follow", "per_day"), "follow (once a day (UTC))", "follow (раз в день (UTC))"),
    (reasons.manual("late parcel"), "late parcel", "late parcel"),
    (reasons.undo(3, 4, reasons.held()), "undo of batch 3, line 4: held for a discount",
     "отмена пакета 3, строка 4: зарезервировано под скидку"),
    (reasons.tier_move("downgrade"), "downgrade after the grace period", "понижение после льготного периода"),
    (reasons.event_note("review_cap", cap=2), "over the monthly cap of 2 reviews that earn: no points",
     "превышен месячный лимит в 2 отзывов с баллами: баллы не начислены"),
])
def test_a_reason_reads_in_english_and_russian(reason, en, ru):
    assert (reasons.render(reason, "en"), reasons.render(reason, "ru")) == (en, ru)


def test_stored_json_and_a_plain_sentence_both_load():
    stored = reasons.dumps(reasons.earn_percent("5", "10.00"))
    assert stored == '{"code":"earn.percent","percent":"5","amount":"10.00"}'
    assert reasons.load(stored) == {"code": "earn.percent", "percent": "5", "amount": "10.00"}
    assert reasons.load("some words") == {"code": "text", "text": "some words"}
    assert reasons.render("unexpected token at body.id", "ru") == "unexpected token at body.id"


def test_every_reason_code_has_both_languages():
    with i18n.catalogue_path("en").open("rb") as source:
        keys = [m.id for m in read_po(source) if isinstance(m.id, str) and m.id.startswith("reason.")]
    assert len(keys) > 50
    assert [key for key in keys if not i18n.has("ru", key)] == []


@pytest.mark.parametrize(("sentence", "kind", "code"), [
    ("5% on 249.00", "earn", "earn.order"),
    ("5% (shoes) x2 (shoes) x1.5 (Spring, Summer) on 100.00; +50 campaign bonus (Spring); "
     "earning limit: 10 of 30 points", "earn", "earn.order"),
    ("1 per 10 on 55.50; x1.5 (tier)", "earn", "earn.order"),
    ("band for 150.00: 200 points on 100.00", "earn", "earn.order"),
    ("order cancelled (negative balance)", "reverse", "order.cancelled"),
    ("refund r1: 10.00 of 100.00 USD refunded", "reverse", "order.refund"),
    ("undo of batch 3, line 4: oops", "adjust", "adjust.undo"),
    ("late parcel", "adjust", "adjust.manual"),
    ("follow (once a day (UTC))", "bonus", "activity"),
    ("badge 'First order'", "bonus", "game.badge"),
    ("birthday bonus 2026", "bonus", "birthday"),
    ("entry bonus of tier gold", "bonus", "tier.entry_bonus"),
    ("order 1001 cancelled", "release", "hold.order_cancelled"),
    ("discount LOY-1 used by order 1001 without its points held", "late", "hold.used_unheld"),
    ("review r1 of product p1 published", "review", "review.published"),
    ("activation code AB-CD", "bonus", "code.activation"),
    ("discount LOY-1 was used without its points held: 5 of 10 points charged, 5 as a negative balance; "
     "2.50 USD not covered by points", None, "event.late_charge"),
    ("30 points were no longer there to take back (reversal policy 'clamp')", None, "event.not_taken_back"),
])
def test_an_old_sentence_parses_into_the_code_that_says_it_again(sentence, kind, code):
    reason = parse(sentence, kind)
    assert reason["code"] == code and reasons.render(reason, "en") == sentence


def test_an_unknown_sentence_is_none_of_ours():
    assert parse("weird stuff", "earn") is None and parse("5% on 10.00; something else", "earn") is None


def test_a_notice_reads_from_its_kind_and_data():
    data = {"on": "2026-03-01", "tier": "gold", "to": "silver"}
    assert reasons.notice("tier_downgrade_warning", data, "en") == (
        "your tier gold becomes silver on Mar 1, 2026 unless you qualify again")
    assert reasons.notice("points_expiring_soon", {"points": 5, "point_type": "regular",
                                                   "expires_at": "2026-03-01T00:00:00"}, "ru") == (
        "5 баллов (regular) сгорят 1 мар. 2026\u202fг. 00:00 UTC")


def test_a_reason_missing_a_parameter_shows_what_it_has():
    shown = reasons.render({"code": "hold.order_cancelled", "other": "1"}, "en")
    assert shown == "hold.order_cancelled other=1"
