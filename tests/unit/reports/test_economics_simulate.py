"""The simulator's arithmetic, checkable by hand: a small store's month through a band table, the
margin example of the market material, refunds, expiry, caps, tiers and the invariants."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.program.document.program import load
from plugin.reports.economics import history, simulate
from plugin.reports.economics.scenario import Scenario, margin_from_markup

BANDS = {"kind": "bands", "bands": [{"from": 0, "to": 1000, "points": 10},
                                    {"from": 1000, "to": 3000, "points": 50}, {"from": 3000, "points": 150}]}


def program(rate: dict = BANDS, expiry: dict | None = None, cap: dict | None = None, **extra) -> dict:
    regular = {"expiry": expiry or {"kind": "never"}, **({"redemption_cap": cap} if cap else {})}
    return load({"point_types": {"regular": regular}, "earning": {"rate": rate},
                 "redemption": {"point_value": "1"}, **extra})


def orders(*rows: tuple[str, str, str, str]) -> list[history.PastOrder]:
    """(order id, customer, day, amount) rows as past orders."""
    return history.orders_of(history.PastLine(o, c, datetime.fromisoformat(d), Decimal(a))
                             for o, c, d, a in rows)


MARCH = [(str(n), who, f"2025-03-{n:02d}", amount) for n, (who, amount) in enumerate(
    [("a", "500"), ("b", "999.99"), ("c", "1000"), ("a", "2500"), ("d", "3000"), ("b", "5000"), ("c", "200"),
     ("d", "1200"), ("a", "800"), ("b", "4000")], start=1)]


def test_a_small_store_month_through_a_band_table_by_hand():
    """Bands 10 / 50 / 150 points below 1,000, below 3,000 and from 3,000: the ten orders earn
    10+10+50+50+150+150+10+50+10+150 = 640. Half of each lot is due at once (5+25+5 for a,
    5+75+75 for b, 25+5 for c, 75+25 for d); points may pay 10% of an order like the customer's
    last one (a 800 -> 80, b 4,000 -> 400, c 200 -> 20, d 1,200 -> 120), so c redeems 20 of 30 in
    March and the other 10 in April: 35+155+20+100 = 310 redeemed in March, worth 310 at 1 a point."""
    result = simulate.simulate(program(cap={"percent": 10}), orders(*MARCH),
                               Scenario(redemption_rate=Decimal("0.5"), months_to_redeem=0,
                                        margin=Decimal("0.25")),
                               end=date(2025, 4, 30)).as_dict()
    march, april = result["months"]
    assert (march["month"], march["orders"], march["customers"]) == ("2025-03", 10, 4)
    assert march["points_issued"] == 640
    assert march["revenue"] == "19199.99" and march["gross_margin"] == "4800.00"  # 25% of 19,199.99
    assert march["points_redeemed"] == 310 and march["cost"] == "310.00"
    assert march["cost_share_of_revenue"] == "0.0161"  # 310 / 19,199.99
    assert march["cost_share_of_margin"] == "0.0646"  # 310 / 4,800
    assert march["points_outstanding"] == 330 and march["liability"] == "165.00"  # 330 x 1 x 50%
    assert march["points_breakage"] == 165  # half of the 330 will never be redeemed
    assert (april["orders"], april["points_issued"], april["points_redeemed"]) == (0, 0, 10)
    assert april["points_outstanding"] == 320 and april["liability"] == "160.00"
    totals = result["totals"]
    assert (totals["points_issued"], totals["points_redeemed"], totals["cost"]) == (640, 320, "320.00")
    assert totals["liability"] == april["liability"]
    assert result["rules"] == [{"rule": "rate", "name": "", "points": 640, "share": "1.0000"}]


def test_the_margin_example_a_tenth_of_the_price_is_43_percent_of_a_30_percent_markup():
    """Price 130, cost 100: a 10% discount (13) takes 13 of the 30 earned, 43% of the margin."""
    margin = margin_from_markup(Decimal(30))
    result = simulate.simulate(program({"kind": "percent", "percent": "10"}),
                               orders(("1", "a", "2025-05-10", "130")),
                               Scenario(redemption_rate=Decimal(1), months_to_redeem=0,
                                        margin=margin)).as_dict()
    month = result["months"][0]
    assert month["gross_margin"] == "30.00" and month["points_issued"] == 13 and month["cost"] == "13.00"
    assert month["cost_share_of_margin"] == "0.4333" and month["cost_share_of_revenue"] == "0.1000"


def test_a_refund_takes_back_what_the_order_no_longer_earns_and_expiry_burns_the_rest():
    """3,200 earns 150; refunding 2,400 of it leaves 800, which earns 10: 140 are taken back.
    The 10 left (none due: a 0% redemption rate) expire 30 days after they were earned."""
    rows = history.orders_of([
        history.PastLine("1", "a", datetime(2025, 1, 10), Decimal(3200), "S"),
        history.PastLine("1", "a", datetime(2025, 1, 20), Decimal(-2400), "S")])
    result = simulate.simulate(program(expiry={"kind": "days", "days": 30}), rows,
                               Scenario(redemption_rate=Decimal(0)), end=date(2025, 2, 28)).as_dict()
    january, february = result["months"]
    assert (january["points_issued"], january["points_reversed"], january["revenue"]) == (150, 140, "800.00")
    assert (january["points_expired"], february["points_expired"]) == (0, 10)
    assert february["points_outstanding"] == 0 and february["liability"] == "0.00"


def test_tiers_multiply_what_an_order_earns_after_the_order_that_reached_them():
    ladder = {"metric": "amount_spent", "tiers": [
        {"id": "novice", "threshold": 0}, {"id": "gold", "threshold": 1000, "earn_multiplier": "2",
                                           "entry_bonus": 25}]}
    result = simulate.simulate(program({"kind": "percent", "percent": "10"}, tiers=ladder),
                               orders(("1", "a", "2025-01-01", "1000"), ("2", "a", "2025-01-02", "100")),
                               Scenario(redemption_rate=Decimal(0))).as_dict()
    # 100 for the first order (it reaches gold: +25), then 10 x 2 for the second
    assert result["totals"]["points_issued"] == 100 + 25 + 20
    rules = {(row["rule"], row["name"]): row["points"] for row in result["rules"]}
    assert rules == {("rate", ""): 110, ("tier_bonus", "gold"): 25, ("tier_multiplier", ""): 10}


def test_uplift_adds_its_share_of_repeat_orders_only():
    rows = orders(("1", "a", "2025-01-01", "1000"), ("2", "a", "2025-01-02", "1000"))
    base = simulate.simulate(program({"kind": "percent", "percent": "5"}), rows, Scenario()).as_dict()
    more = simulate.simulate(program({"kind": "percent", "percent": "5"}), rows,
                             Scenario(uplift=Decimal("0.2"))).as_dict()
    assert (base["totals"]["revenue"], more["totals"]["revenue"]) == ("2000.00", "2200.00")
    assert more["totals"]["uplift_revenue"] == "200.00"
    assert (base["totals"]["points_issued"], more["totals"]["points_issued"]) == (100, 110)
    difference = simulate.compare(base, more)
    assert difference["totals"]["revenue"] == "200.00" and difference["totals"]["points_issued"] == 10
    assert difference["months"][0]["month"] == "2025-01"


AMOUNTS = st.decimals(min_value=Decimal("-500"), max_value=Decimal("9000"), places=2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 200), AMOUNTS), min_size=1, max_size=30),
       st.integers(0, 100), st.integers(0, 6))
def test_every_point_is_outstanding_redeemed_expired_or_taken_back(rows, rate, months):
    lines = [history.PastLine(f"o{n // 2}", who, datetime(2025, 1, 1) + timedelta(days=day), amount)
             for n, (who, day, amount) in enumerate(rows) if amount != 0]
    result = simulate.simulate(program(expiry={"kind": "days", "days": 60}, cap={"percent": 20}),
                               history.orders_of(lines),
                               Scenario(redemption_rate=Decimal(rate) / 100,
                                        months_to_redeem=months)).as_dict()
    outstanding = 0
    for month in result["months"]:
        outstanding += (month["points_issued"] - month["points_reversed"] - month["points_redeemed"]
                        - month["points_expired"])
        assert month["points_outstanding"] == outstanding >= 0
        assert Decimal(month["deferred_revenue"]) >= 0
    totals = result["totals"]
    assert totals["points_redeemed"] <= totals["points_issued"] * rate / 100 + len(lines)
    assert totals["points_issued"] == sum(m["points_issued"] for m in result["months"])


def test_a_welcome_bonus_of_its_own_point_type_burns_on_its_own_schedule():
    doc = {"point_types": {"regular": {"expiry": {"kind": "never"}},
                           "welcome": {"expiry": {"kind": "days", "days": 30}}},
           "earning": {"rate": {"kind": "percent", "percent": "10"}, "pending_days": 14},
           "signup": {"points": 300, "point_type": "welcome"}, "redemption": {"point_value": "1"}}
    result = simulate.simulate(load(doc), orders(("1", "a", "2025-01-10", "1000")),
                               Scenario(redemption_rate=Decimal(0)), end=date(2025, 2, 28)).as_dict()
    january, february = result["months"]
    assert january["points_issued"] == 400
    assert (january["points_expired"], february["points_expired"]) == (0, 300)
    assert february["points_outstanding"] == 100


def test_a_margin_per_category_names_the_programs_category_or_the_stores_own():
    doc = program({"kind": "percent", "percent": "10"}, categories={"shoes": {"sku_prefixes": ["SH-"]}})
    rows = history.orders_of([
        history.PastLine("1", "a", datetime(2025, 1, 1), Decimal(1000), "SH-1"),  # the program's shoes
        history.PastLine("1", "a", datetime(2025, 1, 1), Decimal(500), "B-1", "Сумки"),  # the store's bags
        history.PastLine("1", "a", datetime(2025, 1, 1), Decimal(100), "X-1")])  # neither: the one figure
    result = simulate.simulate(doc, rows, Scenario(margin=Decimal("0.1"), margins={
        "shoes": Decimal("0.5"), "Сумки": Decimal("0.2")})).as_dict()
    assert result["totals"]["gross_margin"] == "610.00"  # 500 + 100 + 10


def test_earning_limits_cap_a_customers_day_as_the_worker_does():
    doc = load({
        "point_types": {"regular": {"expiry": {"kind": "never"}}}, "redemption": {"point_value": "1"},
        "earning": {"rate": {"kind": "percent", "percent": "10"}, "limits": {"per_day": 50}}})
    rows = orders(("1", "a", "2025-01-01T10:00", "400"), ("2", "a", "2025-01-01T12:00", "400"),
                  ("3", "a", "2025-01-02T10:00", "400"), ("4", "b", "2025-01-01T10:00", "400"))
    result = simulate.simulate(doc, rows, Scenario(redemption_rate=Decimal(0))).as_dict()
    assert result["totals"]["points_issued"] == 40 + 10 + 40 + 40
