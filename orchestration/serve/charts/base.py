"""The shared SVG chart base: the svg root with its text alternative, the y grid and fiscal-year
axis, legend keys, lines that break at missing years, and the publication's data status drawn
inside the chart, so a screenshot keeps it.

Plain SVG with <title> tooltips and no JavaScript, so the dashboard works with no network; every
text that comes from data is escaped (markupsafe) before it reaches the page. Text is laid out
without a browser from a generous average glyph width (CHAR_W).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from typing import TypeVar

from markupsafe import Markup, escape

from orchestration import fiscal

T = TypeVar("T")

FONT = 16  # user units: the smallest text of the place charts (see place.py)
CHAR_W = 0.56 * FONT  # a generous average glyph width, to lay text out without a browser
SVG_NS = "http://www.w3.org/2000/svg"


def text_width(text: str) -> float:
    return len(text) * CHAR_W


def fit(text: str, width: float) -> str:
    """``text`` cut (with …) to fit ``width`` user units."""
    most = max(int(width / CHAR_W), 4)
    return text if len(text) <= most else text[: most - 1] + "…"


def svg_root(
    width: int, height: int, title: str, desc: str, chart_id: str | None = None, css: str = "chart"
) -> list[str]:
    """The opening of a chart: an <svg> with role img and its text alternative. A chart with an
    id is labelled by its own <title> and <desc> (aria-labelledby); one without by aria-label
    and a <desc>."""
    if chart_id is None:
        return [
            f'<svg class="{css}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}" xmlns="{SVG_NS}">',
            f"<desc>{escape(desc)}</desc>",
        ]
    return [
        f'<svg class="{css}" id="{chart_id}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="{SVG_NS}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def status_stamp(width: int, height: int, label: str) -> str:
    """The data status drawn on the chart itself (bottom right), so a screenshot keeps it."""
    if not label:
        return ""
    return (
        f'<text x="{width - 4}" y="{height - 6}" class="data-status" text-anchor="end">'
        f"{escape(fit(label, width - 8))}</text>"
    )


def finish(out: list[str], width: int, height: int, status: str) -> Markup:
    """The chart's closing: its data status stamp, then </svg>; the whole as markup."""
    out.append(status_stamp(width, height, status))
    out.append("</svg>")
    return Markup("".join(out))


def y_grid(
    ticks: Iterable[tuple[float, str]],
    left: int,
    right: int,
    *,
    gap: int = 4,
    rise: int = 5,
    css: str = "axis",
) -> list[str]:
    """A grid line from x=left to x=right at each tick (y, label), the label ``gap`` units left
    of the plot and ``rise`` units below the line."""
    return [
        f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        f'<text x="{left - gap}" y="{y + rise:.1f}" class="{css}" text-anchor="end">{label}</text>'
        for y, label in ticks
    ]


def year_labels(
    years: list[int], x_of: Callable[[int], float], y: float, step_w: float
) -> list[str]:
    """FY labels ("FY12"), every k-th when they would collide."""
    every = max(1, math.ceil(text_width("FY00") * 1.25 / max(step_w, 1)))
    return [
        f'<text x="{x_of(fy):.1f}" y="{y:.1f}" class="axis" text-anchor="middle">'
        f"FY{fy % 100:02d}</text>"
        for i, fy in enumerate(years)
        if (len(years) - 1 - i) % every == 0  # counted from the last year: it is always labelled
    ]


def dash_attr(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def line_key(
    x: int,
    y: int,
    colour: str,
    dash: str,
    label: str,
    *,
    length: int,
    gap: int,
    rise: int,
    css: str,
) -> str:
    """A legend entry for a line: a short stroke in the line's colour and dash, then its label
    (escaped here) with its baseline at ``y``."""
    return (
        f'<line x1="{x}" x2="{x + length}" y1="{y - rise}" y2="{y - rise}" stroke="{colour}" '
        f'stroke-width="3"{dash_attr(dash)}/>'
        f'<text x="{x + length + gap}" y="{y}" class="{css}">{escape(label)}</text>'
    )


def swatch_row(items: list[tuple[str, str]], x: float, y: float, max_x: float) -> list[str]:
    """Legend swatches (colour, label) on one row, as many as fit."""
    out, lx = [], x
    for color, label in items:
        width = 18 + text_width(label) + 12
        if lx + width > max_x and lx > x:
            break
        out.append(
            f'<rect x="{lx:.1f}" y="{y - 12}" width="13" height="13" fill="{color}" '
            f'stroke="#333" stroke-width="0.5"/><text x="{lx + 18:.1f}" y="{y}" class="legend">'
            f"{escape(label)}</text>"
        )
        lx += width
    return out


def polyline(points: str, colour: str, dash: str, attrs: str = "") -> str:
    """A data line through ``points`` ("x,y x,y ..."), with extra attributes ``attrs``."""
    return (
        f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"'
        f"{dash_attr(dash)}{attrs}/>"
    )


def runs(items: Iterable[T], year: Callable[[T], int]) -> list[list[T]]:
    """``items`` (in fiscal-year order) cut into runs of consecutive fiscal years: a line never
    crosses a missing year."""
    out: list[list[T]] = []
    for item in items:
        if out and year(out[-1][-1]) == year(item) - 1:
            out[-1].append(item)
        else:
            out.append([item])
    return out


def fy_position(date: dt.date) -> float:
    """Fractional fiscal year: FY N spans [N - 1, N) on the axis, starting 1 October."""
    year = fiscal.fiscal_year(date)
    start, end = fiscal.fiscal_year_start(year), fiscal.fiscal_year_start(year + 1)
    return year - 1 + (date - start).days / (end - start).days


def nice_max(value: float) -> float:
    """The top of an axis: ``value`` rounded up to 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def compact(value: float) -> str:
    """An axis number in at most 5 characters: 950, 2.5k, 10k, 1.2M."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"
