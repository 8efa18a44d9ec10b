"""Server-side SVG charts for the analytics pages: no JavaScript, readable by screen readers.

Each chart is a self-contained <svg role="img"> with a <title> and <desc> saying what it shows;
every point or bar carries its own <title> ("2025-03-01: 120"), axis labels are text, and every
piece of text is escaped. Values may be ints or Decimals; floats are used only for geometry.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

Number = int | Decimal
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 52, 56
TICKS = 5
MAX_X_LABELS = 7


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
        return f"{value:g}" if value < 1e6 else f"{value:.3g}"
    return str(value)


def _open(title: str, desc: str, width: int, height: int) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
            f'font-family="sans-serif" font-size="11">',
            f"<title>{escape(title)}</title>", f"<desc>{escape(desc)}</desc>",
            f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>']


def _y_axis(top: float, width: int, height: int) -> list[str]:
    """Horizontal grid lines with their values, and the axis itself."""
    parts = ['<g class="y-axis" fill="#555" text-anchor="end">']
    plot_h = height - TOP - BOTTOM
    for n in range(TICKS + 1):
        y = height - BOTTOM - plot_h * n / TICKS
        parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}">{escape(_label(top * n / TICKS))}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{height - BOTTOM}" stroke="#555"/>')
    parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{height - BOTTOM}" y2="{height - BOTTOM}" '
                 'stroke="#555"/></g>')
    return parts


def _legend(names: list[str]) -> list[str]:
    """A row under the title, left to right: a long title (Russian) never runs into it."""
    parts, x = ['<g class="legend">'], LEFT
    for n, name in enumerate(names):
        parts.append(f'<rect x="{x}" y="29" width="10" height="10" fill="{PALETTE[n % len(PALETTE)]}"/>'
                     f'<text x="{x + 14}" y="38">{escape(name)}</text>')
        x += 30 + 7 * len(name)
    return parts + ["</g>"]


def _empty(parts: list[str], width: int, height: int) -> str:
    parts.append(f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" fill="#555">'
                 "no data</text></svg>")
    return "".join(parts)


def line_chart(series: dict[str, list[tuple[date, Number]]], *, title: str, width: int = 640,
               height: int = 280) -> str:
    """One line per series over dates; each point is a circle with its date and value as title."""
    days = sorted({day for points in series.values() for day, _ in points})
    values = [float(v) for points in series.values() for _, v in points]
    desc = (f"{', '.join(series)} per day from {days[0].isoformat()} to {days[-1].isoformat()}"
            if days else "no data")
    parts = _open(title, desc, width, height)
    if not days:
        return _empty(parts, width, height)
    top = _nice_top(max(values))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    span = max((days[-1] - days[0]).days, 1)

    def x(day: date) -> float:
        return LEFT + plot_w * ((day - days[0]).days / span if len(days) > 1 else 0.5)

    def y(value: Number) -> float:
        return height - BOTTOM - plot_h * max(float(value), 0.0) / top

    parts += _y_axis(top, width, height)
    step = max(1, -(-len(days) // MAX_X_LABELS))
    parts.append('<g class="x-axis" fill="#555" text-anchor="middle">')
    parts += [f'<text x="{x(day):.1f}" y="{height - BOTTOM + 16}">{day.isoformat()}</text>'
              for day in days[::step]]
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
    parts += _legend(list(series))
    return "".join(parts) + "</svg>"


def bar_chart(bars: list[tuple[str, Number]], *, title: str, width: int = 640, height: int = 280) -> str:
    """One vertical bar per (label, value), the value written above it and the label below."""
    desc = "; ".join(f"{label}: {_label(value)}" for label, value in bars) or "no data"
    parts = _open(title, desc, width, height)
    if not bars:
        return _empty(parts, width, height)
    top = _nice_top(max(float(v) for _, v in bars))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    slot = plot_w / len(bars)
    parts += _y_axis(top, width, height)
    parts.append('<g class="bars" text-anchor="middle">')
    for n, (label, value) in enumerate(bars):
        bar_h = plot_h * max(float(value), 0.0) / top
        left, bar_w = LEFT + slot * n + slot * 0.15, slot * 0.7
        middle, base = LEFT + slot * (n + 0.5), height - BOTTOM
        parts.append(f'<rect class="bar" x="{left:.1f}" y="{base - bar_h:.1f}" width="{bar_w:.1f}" '
                     f'height="{bar_h:.1f}" fill="{PALETTE[0]}"><title>{escape(label)}: '
                     f"{escape(_label(value))}</title></rect>"
                     f'<text x="{middle:.1f}" y="{base - bar_h - 4:.1f}">{escape(_label(value))}</text>'
                     f'<text x="{middle:.1f}" y="{base + 16}" fill="#555">{escape(label)}</text>')
    parts.append("</g>")
    return "".join(parts) + "</svg>"
