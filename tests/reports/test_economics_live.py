"""Economics on a real shop: the simulator earns what the worker credited for the same orders, and
the liability and the IFRS 15 report read the ledger as it stands."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from peewee import fn

from plugin.core.db import session
from plugin.core.kinds import EntryKind
from plugin.core.models import Balance, LedgerEntry
from plugin.dataio import order_history
from plugin.program import versions
from plugin.reports.economics import live, runs
from plugin.reports.economics.scenario import Scenario
from tests.helpers import save_program
from tests.reports.test_figures_agree import NOW, at, build_shop


def ledger_sum(shop, *kinds: str) -> int:
    return int(LedgerEntry.select(fn.SUM(LedgerEntry.delta)).where(
        (LedgerEntry.shop == shop.id) & LedgerEntry.kind.in_(kinds)).scalar() or 0)


def test_the_simulator_earns_and_reverses_what_the_worker_did(app, shop, post_webhook, drain):
    """Orders, a partial and a full refund, a cancellation and a guest, through signed webhooks and
    the worker; the same orders replayed under the same program earn and lose the same points."""
    # no customer.created webhook here, so no sign-up grants on either side
    save_program(shop, earning={"rate": {"kind": "percent", "percent": "7"}}, signup=None)
    build_shop(post_webhook, drain, shop)
    with session():
        program = versions.current(shop.id)[1]
        (result,) = runs.simulate_shop(shop.id, [program], Scenario(redemption_rate=Decimal(0)),
                                       (NOW - timedelta(days=60)).date(), NOW.date())
        result = result.as_dict()
        earned = ledger_sum(shop, EntryKind.EARN)
        taken = -ledger_sum(shop, EntryKind.REVERSE)
    totals = result["totals"]
    assert earned > 0 and taken > 0
    assert (totals["points_issued"], totals["points_reversed"]) == (earned, taken)
    assert totals["orders"] == 7  # the guest's order earns nobody anything and is not replayed
    assert result["currency"] == "USD"


def test_liability_breakage_and_the_discount_rate_now(app, shop, post_webhook, drain):
    build_shop(post_webhook, drain, shop)
    with session():
        value = versions.current(shop.id)[1]["redemption"]["point_value"]
        now = live.liability_now(shop.id, rate=Decimal("0.8"))
        outstanding = sum(b.points for b in Balance.select().where(Balance.shop == shop.id) if b.points > 0)
        issued = ledger_sum(shop, EntryKind.EARN, EntryKind.BONUS) + ledger_sum(shop, EntryKind.REVERSE)
    assert outstanding > 0 and now["points_outstanding"] == outstanding and now["points_issued"] == issued
    assert Decimal(now["face_value"]) == (outstanding * value).quantize(Decimal("0.01"))
    assert Decimal(now["liability"]) == (outstanding * value * Decimal("0.8")).quantize(Decimal("0.01"))
    assert now["points_redeemed"] == 20
    assert now["discount_given"] == str((20 * value).quantize(Decimal("0.01")))
    assert Decimal(now["effective_discount_rate"]) == (20 * value / Decimal(now["revenue"])).quantize(
        Decimal("0.0001"))
    assert now["breakage_to_date"] == "0.0000"  # nothing has expired
    assert now["observed_redemption"] is None  # too few points to say


def test_the_deferred_revenue_report_balances_month_by_month(app, shop, post_webhook, drain):
    build_shop(post_webhook, drain, shop)
    at(NOW)
    with session():
        rows = live.deferred_revenue(shop.id, (NOW - timedelta(days=60)).date(), NOW.date(),
                                     rate=Decimal("0.9"))
    assert [row["month"] for row in rows] == ["2026-09", "2026-10", "2026-11"]
    allocated = sum(Decimal(row["allocated_to_points"]) for row in rows)
    recognised = sum(Decimal(row["recognised_revenue"]) for row in rows)
    assert allocated > 0 and Decimal(rows[-1]["contract_liability"]) == allocated - recognised
    november = rows[-1]
    assert november["points_redeemed"] > 0 and Decimal(november["recognised_revenue"]) > 0
    assert all(Decimal(row["contract_liability"]) >= 0 for row in rows)


def test_imported_history_joins_the_plugins_own_orders_and_counts_each_once(app, shop, post_webhook, drain):
    save_program(shop, earning={"rate": {"kind": "percent", "percent": "10"}}, signup=None)
    build_shop(post_webhook, drain, shop)
    # 101 is an order the plugin has (Anna's 300 + 200): the file's copy of it must not count again
    history = ("order_id,customer_id,placed_at,amount\n"
               "H1,old-1,2026-10-01,1000\nH2,old-2,2026-10-02,2000\n101,801,2026-11-17,9999\n")
    with session():
        order_history.import_csv(shop.id, history)
        program = versions.current(shop.id)[1]
        start, end = date(2026, 9, 1), NOW.date()
        never = Scenario(redemption_rate=Decimal(0))
        figures = {source: runs.simulate_shop(shop.id, [program], never, start, end, source)[0]
                   .as_dict()["totals"] for source in runs.SOURCES}
    assert figures["imported"]["orders"] == 3 and figures["imported"]["points_issued"] == 100 + 200 + 999
    assert figures["all"]["orders"] == figures["orders"]["orders"] + 2
    assert figures["all"]["points_issued"] == figures["orders"]["points_issued"] + 300
    assert Decimal(figures["all"]["revenue"]) == Decimal(figures["orders"]["revenue"]) + 3000
