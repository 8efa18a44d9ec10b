"""The charts' layout: title, legend and plot stacked apart at any width, whatever the names; count
axes tick in whole numbers. (The browser test measures the same on the real pages.)"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from plugin.reports import charts

SVG = "{http://www.w3.org/2000/svg}"
DAYS = [date(2026, 10, 1) + timedelta(days=n) for n in range(10)]
words = st.text(st.sampled_from("abcxyz АБВгдё"), min_size=1, max_size=14).map(str.strip).filter(bool)


def ticks(root: ET.Element) -> list[str]:
    return [t.text for t in root.findall(f".//{SVG}g[@class='y-axis']/{SVG}text")]


@given(peak=st.integers(0, 10**7))
def test_a_count_axis_steps_in_whole_numbers_up_to_at_least_the_peak(peak):
    top, step = charts.scale(peak, integer=True)
    assert step == int(step) >= 1 and top >= peak and top % step == 0
    assert top / step <= 2 * charts.TICKS


@given(values=st.lists(st.integers(0, 5000), min_size=1, max_size=10))
def test_a_count_chart_labels_its_ticks_with_whole_numbers(values):
    root = ET.fromstring(charts.line_chart({"orders": list(zip(DAYS, values, strict=False))}, title="Orders",
                                           integer=True))
    assert ticks(root) and all(label.isdigit() for label in ticks(root))


def test_one_order_does_not_make_fractional_ticks():
    one = {"orders": [(DAYS[0], 1), (DAYS[1], 0)]}
    root = ET.fromstring(charts.line_chart(one, title="Orders", integer=True))
    assert ticks(root) == ["0", "1"]
    bars = ET.fromstring(charts.bar_chart([("Gold", 1), ("Silver", 0)], title="Tiers"))
    assert ticks(bars) == ["0", "1"]


@given(title=st.lists(words, min_size=1, max_size=12).map(" ".join),
       names=st.lists(words, min_size=1, max_size=6, unique=True), width=st.integers(300, 900))
def test_the_legend_sits_between_the_title_and_the_plot_and_within_the_width(title, names, width):
    root = ET.fromstring(charts.line_chart({name: [(DAYS[0], 3), (DAYS[1], 7)] for name in names},
                                           title=title, width=width, height=320))
    lines = root.findall(f".//{SVG}text[@class='chart-title']/{SVG}tspan")
    title_bottom = charts.EDGE + charts.TITLE_LINE * len(lines)
    assert all(len(line.text) * charts.TITLE_CHAR <= width - 2 * charts.EDGE or " " not in line.text
               for line in lines)
    swatches = root.findall(f".//{SVG}g[@class='legend']/{SVG}rect")
    labels = root.findall(f".//{SVG}g[@class='legend']/{SVG}text")
    assert [label.text for label in labels] == names
    plot_top = float(root.find(f".//{SVG}rect[@class='plot-area']").get("y"))
    for swatch, label in zip(swatches, labels, strict=True):
        top = float(swatch.get("y"))
        assert title_bottom <= top and top + charts.LEGEND_ROW <= plot_top
        right = float(label.get("x")) + charts.LEGEND_CHAR * len(label.text)
        assert right <= width - charts.EDGE or float(swatch.get("x")) == charts.EDGE  # a lone long name


def test_a_date_label_at_the_right_edge_ends_at_its_point_instead_of_running_past_it():
    svg = charts.line_chart({"a": [(date(2026, 11, 1), 1), (date(2026, 12, 1), 2)]}, title="t", width=480)
    first, last = re.findall(r'<text x="([0-9.]+)" y="[0-9.]+"([^>]*)>2026-1[12]-01', svg)
    assert first[1] == "" and last[1] == ' text-anchor="end"' and float(last[0]) <= 480
