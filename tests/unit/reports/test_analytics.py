"""Analytics: every figure of a small hand-built shop against arithmetic done by hand, rollups
(idempotent, equal to a live recomputation), isolation between shops, SVG charts and CSV."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from decimal import Decimal

from plugin.reports import charts

D0, D1, D2, D3 = (datetime(2026, 10, day, 12, 0) for day in (1, 2, 3, 4))
SVG = "{http://www.w3.org/2000/svg}"


def test_the_line_chart_is_well_formed_svg_with_a_point_per_day():
    days = [date(2026, 10, 1) + timedelta(days=n) for n in range(5)]
    svg = charts.line_chart({"issued": [(d, n * 10) for n, d in enumerate(days)],
                             "<redeemed> & co": [(d, Decimal("2.5")) for d in days]},
                            title="Points & <things>")
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Points & <things>"
    series = root.findall(f".//{SVG}g[@class='series']")
    assert [g.get("data-series") for g in series] == ["issued", "<redeemed> & co"]
    assert [len(g.findall(f"{SVG}circle")) for g in series] == [5, 5]
    labels = [t.text for t in root.findall(f".//{SVG}g[@class='x-axis']/{SVG}text")]
    assert labels[0] == "2026-10-01" and "40" in [t.text for t in root.iter(f"{SVG}text")]


def test_the_bar_chart_has_one_bar_per_value_and_an_empty_chart_says_so():
    root = ET.fromstring(charts.bar_chart([("Gold", 3), ("Silver", 10), ("<none>", 0)], title="Tiers"))
    bars = root.findall(f".//{SVG}rect[@class='bar']")
    assert [bar.find(f"{SVG}title").text for bar in bars] == ["Gold: 3", "Silver: 10", "<none>: 0"]
    empty = ET.fromstring(charts.line_chart({}, title="Nothing"))
    assert "no data" in [t.text for t in empty.iter(f"{SVG}text")]


