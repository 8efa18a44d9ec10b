"""Server-side SVG charts for the analytics pages: no JavaScript, readable by screen readers.

Each chart is a self-contained <svg role="img"> with a <title> and <desc> saying what it shows;
every point or bar carries its own <title> ("2025-03-01: 120"), axis labels are text, and every
piece of text is escaped. Values may be ints or Decimals; floats are used only for geometry.

The layout is stacked, never overlaid: the title (wrapped to the width), then the legend in rows
of its own, then the plot, so the legend covers neither the title nor a line at any width (the
SVG only scales). A count axis (``integer=True``: orders, customers) has whole-number ticks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape

Number = int | Decimal
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")
LEFT, RIGHT, BOTTOM, EDGE = 64, 16, 30, 8
TICKS = 5
X_LABEL_ROOM = 84  # px between two date labels on the x axis
TITLE_SIZE, TITLE_LINE, TITLE_CHAR = 14, 18, 8.6  # px; a bold 14 px letter is at most ~8.6 px wide
LEGEND_ROW, LEGEND_CHAR, SWATCH, LEGEND_GAP = 16, 6.8, 10, 16
PLOT_GAP = 12  # between the legend (or title) and the plot's top, room for a bar's value


@dataclass(frozen=True)
class Frame:
    """Where the plot sits inside the chart."""
    width: int
    height: int
    top: float

    @property
    def bottom(self) -> float:
        return self.height - BOTTOM

    @property
    def plot_w(self) -> float:
        return self.width - LEFT - RIGHT

    @property
    def plot_h(self) -> float:
        return self.bottom - self.top


def scale(peak: float, *, integer: bool) -> tuple[float, float]:
    """(axis maximum, tick step) for values up to ``peak``; whole-number steps when ``integer``."""
    if not integer:
        top = _nice_top(peak)
        return top, top / TICKS
    step = _nice_step(max(peak, 0.0) / TICKS)
    return step * max(1, math.ceil(peak / step)), step


def _nice_step(raw: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... at or above ``raw``."""
    power = 1
    while True:
        for factor in (1, 2, 5):
            if factor * power >= raw:
                return factor * power
        power *= 10


def _nice_top(value: float) -> float:
    """A round axis maximum at or above ``value``: 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1.0
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _label(value: Number | float) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e6:
            return str(int(value))
        return f"{value:g}" if value < 1e6 else f"{value:.3g}"
    return str(value)


def _wrap(text: str, room: float, char: float) -> list[str]:
    """Words in lines of at most ``room`` px, a letter counted ``char`` px wide."""
    lines: list[str] = []
    for word in text.split():
        if lines and (len(lines[-1]) + 1 + len(word)) * char <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _legend_rows(names: list[str], width: int) -> list[list[tuple[float, str]]]:
    """The legend's items as rows of (x, name), each row within the chart's width."""
    rows: list[list[tuple[float, str]]] = [[]]
    x = EDGE
    for name in names:
        item = SWATCH + 4 + LEGEND_CHAR * len(name)
        if rows[-1] and x + item > width - EDGE:
            rows.append([])
            x = EDGE
        rows[-1].append((x, name))
        x += item + LEGEND_GAP
    return rows if names else []


def _open(title: str, desc: str, width: int, height: int, legend: list[str]) -> tuple[list[str], Frame]:
    """The SVG's head: title lines, then legend rows; returns the parts and where the plot goes."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'font-family="sans-serif" font-size="11">',
             f"<title>{escape(title)}</title>", f"<desc>{escape(desc)}</desc>",
             f'<text class="chart-title" x="{EDGE}" y="{EDGE + TITLE_SIZE}" font-size="{TITLE_SIZE}" '
             'font-weight="bold">']
    lines = _wrap(title, width - 2 * EDGE, TITLE_CHAR)
    parts += [f'<tspan x="{EDGE}" dy="{0 if n == 0 else TITLE_LINE}">{escape(line)}</tspan>'
              for n, line in enumerate(lines)]
    parts.append("</text>")
    y = EDGE + TITLE_LINE * len(lines) + 4
    rows = _legend_rows(legend, width)
    if rows:
        parts.append('<g class="legend">')
        n = 0
        for row in rows:
            for x, name in row:
                parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{SWATCH}" height="{SWATCH}" '
                             f'fill="{PALETTE[n % len(PALETTE)]}"/>'
                             f'<text x="{x + SWATCH + 4:.1f}" y="{y + 11}">{escape(name)}</text>')
                n += 1
            y += LEGEND_ROW
        parts.append("</g>")
    return parts, Frame(width, height, y + PLOT_GAP)


def _y_axis(frame: Frame, top: float, step: float) -> list[str]:
    """Horizontal grid lines with their values, the axes, and the plot's box (for layout checks)."""
    parts = [f'<rect class="plot-area" x="{LEFT}" y="{frame.top:.1f}" width="{frame.plot_w:.1f}" '
             f'height="{frame.plot_h:.1f}" fill="none"/>', '<g class="y-axis" fill="#555" text-anchor="end">']
    for n in range(round(top / step) + 1):
        y = frame.bottom - frame.plot_h * n * step / top
        tick = escape(_label(n * step))
        parts.append(f'<line x1="{LEFT}" x2="{frame.width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#e5e7eb"/><text x="{LEFT - 6}" y="{y + 4:.1f}">{tick}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{frame.top:.1f}" y2="{frame.bottom}" stroke="#555"/>')
    parts.append(f'<line x1="{LEFT}" x2="{frame.width - RIGHT}" y1="{frame.bottom}" y2="{frame.bottom}" '
                 'stroke="#555"/></g>')
    return parts


def _empty(parts: list[str], width: int, height: int) -> str:
    parts.append(f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" fill="#555">'
                 "no data</text></svg>")
    return "".join(parts)


def line_chart(series: dict[str, list[tuple[date, Number]]], *, title: str, width: int = 640,
               height: int = 280, integer: bool = False) -> str:
    """One line per series over dates; each point is a circle with its date and value as title.
    ``integer``: the values are counts, so the axis ticks are whole numbers."""
    days = sorted({day for points in series.values() for day, _ in points})
    values = [float(v) for points in series.values() for _, v in points]
    desc = (f"{', '.join(series)} per day from {days[0].isoformat()} to {days[-1].isoformat()}"
            if days else "no data")
    parts, frame = _open(title, desc, width, height, list(series) if days else [])
    if not days:
        return _empty(parts, width, height)
    top, step = scale(max(values), integer=integer)
    span = max((days[-1] - days[0]).days, 1)

    def x(day: date) -> float:
        return LEFT + frame.plot_w * ((day - days[0]).days / span if len(days) > 1 else 0.5)

    def y(value: Number) -> float:
        return frame.bottom - frame.plot_h * max(float(value), 0.0) / top

    parts += _y_axis(frame, top, step)
    every = max(1, math.ceil(len(days) / max(2, frame.plot_w // X_LABEL_ROOM)))
    parts.append('<g class="x-axis" fill="#555" text-anchor="middle">')
    half = len("2025-01-01") * LEGEND_CHAR / 2  # a date label's half width
    end = ' text-anchor="end"'  # a label that would run past the edge ends at its point instead
    parts += [f'<text x="{x(day):.1f}" y="{frame.bottom + 16}"{end if x(day) + half > width else ""}>'
              f"{day.isoformat()}</text>" for day in days[::every]]
    parts.append("</g>")
    for n, (name, points) in enumerate(series.items()):
        color = PALETTE[n % len(PALETTE)]
        points = sorted(points)
        path = " ".join(f"{x(day):.1f},{y(value):.1f}" for day, value in points)
        parts.append(f'<g class="series" data-series="{escape(name)}">'
                     f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{path}"/>')
        parts += [f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="2.5" fill="{color}">'
                  f"<title>{escape(name)} {day.isoformat()}: {escape(_label(value))}</title></circle>"
                  for day, value in points]
        parts.append("</g>")
    return "".join(parts) + "</svg>"


def bar_chart(bars: list[tuple[str, Number]], *, title: str, width: int = 640, height: int = 280,
              integer: bool = True) -> str:
    """One vertical bar per (label, value), the value written above it and the label below; the
    values are counts unless ``integer`` is False."""
    desc = "; ".join(f"{label}: {_label(value)}" for label, value in bars) or "no data"
    parts, frame = _open(title, desc, width, height, [])
    if not bars:
        return _empty(parts, width, height)
    top, step = scale(max(float(v) for _, v in bars), integer=integer)
    slot = frame.plot_w / len(bars)
    parts += _y_axis(frame, top, step)
    parts.append('<g class="bars" text-anchor="middle">')
    for n, (label, value) in enumerate(bars):
        bar_h = frame.plot_h * max(float(value), 0.0) / top
        left, bar_w = LEFT + slot * n + slot * 0.15, slot * 0.7
        middle, base = LEFT + slot * (n + 0.5), frame.bottom
        parts.append(f'<rect class="bar" x="{left:.1f}" y="{base - bar_h:.1f}" width="{bar_w:.1f}" '
                     f'height="{bar_h:.1f}" fill="{PALETTE[0]}"><title>{escape(label)}: '
                     f"{escape(_label(value))}</title></rect>"
                     f'<text x="{middle:.1f}" y="{base - bar_h - 3:.1f}">{escape(_label(value))}</text>'
                     f'<text x="{middle:.1f}" y="{base + 16}" fill="#555">{escape(label)}</text>')
    parts.append("</g>")
    return "".join(parts) + "</svg>"
