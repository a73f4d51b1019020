"""The place page's charts: share of each offense level as stacked bars (the place beside its
state and the nation), and values by fiscal year as lines (minor shares with their 95% interval,
rates per 100,000, the case records' shares), on the shared chart base (base.py).

Sizes: SVG text scales with the viewBox, so the charts are drawn in a narrow box (WIDTH user
units wide) with text of FONT units, and the stylesheet keeps a chart between about 350 px
(a 390 px phone) and 560 px wide: text renders at 16 × 350 / 480 ≈ 11.7 px on the phone and
16 × 560 / 480 ≈ 18.7 px at most (tests/test_browser.py measures it at 390 and 1400 px).
Every chart carries the publication's data status drawn inside it (base.status_stamp), a text
alternative (aria-label and <desc>), and marks years whose denominator is small.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup, escape

from orchestration.serve.charts.base import (
    FONT,
    compact,
    finish,
    fit,
    fy_position,
    line_key,
    nice_max,
    polyline,
    runs,
    svg_root,
    swatch_row,
    text_width,
    y_grid,
    year_labels,
)
from orchestration.serve.formats import pct
from orchestration.serve.published import LEVEL_LABELS, LEVELS, SMALL_COUNT

WIDTH = 480

# Ordered from Level 1 (most serious, darkest) to non-criminal (lightest): a sequential scale
# that stays readable in grey and for the common colour-vision deficiencies.
LEVEL_COLORS = {"l1": "#7f0000", "l2": "#d7301f", "l3": "#fc8d59", "nc": "#fdd49e"}
# jurisdiction, state, nation, and a fourth series: told apart by lightness and by dash pattern,
# not by hue alone (deuteranopia and protanopia keep blue/orange and lightness)
SERIES_COLORS = ("#08519c", "#e6550d", "#252525", "#31a354")
SERIES_DASHES = ("", "8 5", "2 4", "12 4 2 4")


@dataclass(frozen=True)
class Bar:
    label: str  # e.g. "Suffolk County" / "MA" / "US"
    counts: dict[str, int | None]
    total: int | None


@dataclass(frozen=True)
class Point:
    fiscal_year: int
    share: float | None  # the value drawn (a share, or a rate for rate charts)
    low: float | None = None
    high: float | None = None
    n: int | None = None  # the denominator, when the value is a share (small ones are marked)


@dataclass(frozen=True)
class Series:
    label: str
    points: list[Point]
    band: bool = False  # draw the 95% interval as a band
    note: str = ""  # shown in the legend after the label, e.g. "sums 4 jurisdictions"
    mark_small: bool = False  # mark points whose denominator is under SMALL_COUNT
    style: int | None = None  # colour/dash index; the series' position by default


# ---------------------------------------------------------------------------------------------
# Stacked shares by offense level

BARS_HEIGHT, BARS_LEFT, BARS_RIGHT, BARS_TOP, BARS_BOTTOM = 306, 50, 6, 58, 64


def stacked_shares(
    title: str, measure: str, groups: list[tuple[int, list[Bar]]], status: str = ""
) -> Markup:
    """One group of bars per fiscal year (jurisdiction, state, nation, left to right), each
    stacked L1..NC as shares of its total; hovering a segment shows its count and total. A
    year whose first bar (the jurisdiction) has a total under SMALL_COUNT is marked "n=…"."""
    width, height, left, right, top = WIDTH, BARS_HEIGHT, BARS_LEFT, BARS_RIGHT, BARS_TOP
    plot_h = height - top - BARS_BOTTOM
    plot_w = width - left - right
    group_w = plot_w / max(len(groups), 1)
    bars_per_group = max((len(b) for _, b in groups), default=1)
    bar_w = min(26.0, (group_w - 6) / max(bars_per_group, 1) - 2)
    labels = max((b for _, b in groups), key=len, default=[])
    order = " · ".join(bar.label for bar in labels)
    out = svg_root(
        width,
        height,
        title,
        f"{title}. Bars each fiscal year, left to right: {order}. "
        "Each bar is split into Level 1, Level 2, Level 3 and non-criminal shares; "
        "the table below the charts has every count.",
    )
    out += swatch_row([(LEVEL_COLORS[lv], LEVEL_LABELS[lv]) for lv in LEVELS], 4, 18, width - right)
    out.append(
        f'<text x="4" y="40" class="legend">{escape(fit("bars: " + order, width - 8))}</text>'
    )
    ticks = (0, 0.5, 1.0)
    out += y_grid(
        ((top + plot_h * (1 - t), f"{int(t * 100)}%") for t in ticks), left, width - right
    )
    years = [fy for fy, _ in groups]
    index = {fy: i for i, fy in enumerate(years)}
    out += year_labels(
        years, lambda fy: left + index[fy] * group_w + group_w / 2, height - 28, group_w
    )
    for gi, (fiscal_year, bars) in enumerate(groups):
        group_x = left + gi * group_w
        out += _small_group_mark(measure, fiscal_year, bars, group_x + group_w / 2, top + plot_h)
        gx = group_x + (group_w - len(bars) * (bar_w + 2)) / 2
        for bi, bar in enumerate(bars):
            out += _bar(measure, fiscal_year, bar, gx + bi * (bar_w + 2), bar_w, plot_h, bi == 0)
    return finish(out, width, height, status)


def _small_group_mark(
    measure: str, fiscal_year: int, bars: list[Bar], x: float, plot_bottom: float
) -> list[str]:
    """ "n=…" under a year whose first bar's total is under SMALL_COUNT."""
    first = bars[0] if bars else None
    if first is None or first.total is None or not 0 < first.total < SMALL_COUNT:
        return []
    return [
        f'<text x="{x:.1f}" y="{plot_bottom + 18:.1f}" '
        f'class="small-n" text-anchor="middle">n={first.total}'
        f"<title>{escape(first.label)} FY{fiscal_year}: only {first.total} "
        f"{measure}, fewer than {SMALL_COUNT}: the shares are uncertain</title></text>"
    ]


def _bar(
    measure: str, fiscal_year: int, bar: Bar, x: float, bar_w: float, plot_h: int, first: bool
) -> list[str]:
    """One bar stacked L1..NC, or a 'missing' box when its counts by level are not known."""
    top = BARS_TOP
    total = bar.total or 0
    if not total or any(bar.counts.get(lv) is None for lv in LEVELS):
        return [
            f'<rect x="{x:.1f}" y="{top}" width="{bar_w:.1f}" height="{plot_h}" '
            f'class="missing"><title>{escape(bar.label)} FY{fiscal_year}: '
            f"{measure} by level not available</title></rect>"
        ]
    small = first and total < SMALL_COUNT
    small_class = ' class="small"' if small else ""
    out = []
    y: float = top
    for level in LEVELS:
        n = bar.counts[level] or 0
        h = plot_h * n / total
        tip = (
            f"{bar.label}, FY{fiscal_year}, {measure}: {LEVEL_LABELS[level]} "
            f"{n:,} of {total:,} ({pct(n / total)})"
        )
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{LEVEL_COLORS[level]}" data-level="{level}"{small_class}>'
            f"<title>{escape(tip)}</title></rect>"
        )
        y += h
    return out


# ---------------------------------------------------------------------------------------------
# Values by fiscal year as lines


@dataclass(frozen=True)
class _Frame:
    """A line chart's plot area and scales: x in fiscal-year units (FY N centred at N - .5),
    y from 0 to y_max."""

    fy_from: int
    fy_to: int
    top: int
    height: int
    y_max: float
    percent: bool
    unit: str
    left: int = 54
    right: int = 10
    bottom: int = 56

    @property
    def span(self) -> int:
        return max(self.fy_to - self.fy_from + 1, 1)

    @property
    def plot_w(self) -> int:
        return WIDTH - self.left - self.right

    @property
    def plot_h(self) -> int:
        return self.height - self.top - self.bottom

    def x_of(self, position: float) -> float:
        return self.left + self.plot_w * (position - (self.fy_from - 1)) / self.span

    def y_of(self, value: float) -> float:
        return self.top + self.plot_h * (1 - value / self.y_max)

    def fmt(self, v: float) -> str:
        return pct(v) if self.percent else f"{v:,.1f}{self.unit}"


def line_chart(
    title: str,
    series: list[Series],
    fy_from: int,
    fy_to: int,
    activation: dt.date | None,
    status: str = "",
    *,
    percent: bool = True,
    unit: str = "",
) -> Markup:
    """Values by fiscal year, one line per series: lines break at years without a value, the
    first series may carry its 95% interval as a band, points with a small denominator are
    drawn hollow and labelled "n=…", a dashed line marks the activation date."""
    top = 12 + 22 * len(series) + 10
    values = [
        v
        for s in series
        for p in s.points
        for v in (p.share, p.high if s.band else None)
        if v is not None
    ]
    y_max = 1.0 if percent else nice_max(max(values, default=0.0) * 1.05)
    frame = _Frame(fy_from, fy_to, top, top + 190 + 56, y_max, percent, unit)
    described = []
    for s in series:
        known = [f"FY{p.fiscal_year} {frame.fmt(p.share)}" for p in s.points if p.share is not None]
        described.append(
            f"{s.label}{' (' + s.note + ')' if s.note else ''}: "
            + (", ".join(known) if known else "no values")
        )
    out = svg_root(WIDTH, frame.height, title, f"{title}. " + "; ".join(described) + ".")
    ticks = [
        (frame.y_of(t * y_max), f"{int(t * 100)}%" if percent else compact(t * y_max))
        for t in (0, 0.5, 1.0)
    ]
    out += y_grid(ticks, frame.left, WIDTH - frame.right)
    years = list(range(fy_from, fy_to + 1))
    out += year_labels(
        years, lambda fy: frame.x_of(fy - 0.5), frame.height - 28, frame.plot_w / frame.span
    )
    out += _activation_line(frame, activation)
    for si, s in enumerate(series):
        out += _series(frame, si, s)
    return finish(out, WIDTH, frame.height, status)


def _activation_line(frame: _Frame, activation: dt.date | None) -> list[str]:
    """A dashed line at the activation date, labelled on whichever side has room."""
    if activation is None or not frame.fy_from - 1 <= fy_position(activation) <= frame.fy_to:
        return []
    ax = frame.x_of(fy_position(activation))
    text = f"activated {activation.isoformat()}"
    right_side = ax + 4 + text_width(text) <= WIDTH - frame.right
    return [
        f'<line x1="{ax:.1f}" x2="{ax:.1f}" y1="{frame.top}" y2="{frame.top + frame.plot_h}" '
        f'class="activation"/><text x="{ax + 4 if right_side else ax - 4:.1f}" '
        f'y="{frame.top + 16}" class="activation-label" '
        f'text-anchor="{"start" if right_side else "end"}">{text}</text>'
    ]


def _series(frame: _Frame, si: int, s: Series) -> list[str]:
    """One series: its interval band, its line (broken at missing years), its points and its
    legend entry."""
    style = si if s.style is None else s.style
    color = SERIES_COLORS[style % len(SERIES_COLORS)]
    dash = SERIES_DASHES[style % len(SERIES_DASHES)]
    valued = sorted((p for p in s.points if p.share is not None), key=lambda p: p.fiscal_year)
    segments = runs(valued, lambda p: p.fiscal_year)
    out = []
    if s.band:
        for run in segments:
            out += _band(frame, run, color)
    for run in segments:
        if len(run) > 1:
            path = " ".join(
                f"{frame.x_of(p.fiscal_year - 0.5):.1f},{frame.y_of(p.share):.1f}"  # type: ignore[arg-type]
                for p in run
            )
            out.append(polyline(path, color, dash, f' class="series-line" data-series="{si}"'))
    for run in segments:
        for p in run:
            out += _point(frame, s, p, color)
    ly = 12 + 22 * si + 12
    label = s.label + (f" — {s.note}" if s.note else "")
    out.append(
        line_key(4, ly, color, dash, fit(label, WIDTH - 44), length=30, gap=6, rise=5, css="legend")
    )
    return out


def _band(frame: _Frame, run: list[Point], color: str) -> list[str]:
    """The 95% interval of a run of years as a translucent band."""
    band = [p for p in run if p.low is not None and p.high is not None]
    if len(band) <= 1:
        return []
    upper = " ".join(
        f"{frame.x_of(p.fiscal_year - 0.5):.1f},{frame.y_of(p.high):.1f}"  # type: ignore[arg-type]
        for p in band
    )
    lower = " ".join(
        f"{frame.x_of(p.fiscal_year - 0.5):.1f},{frame.y_of(p.low):.1f}"  # type: ignore[arg-type]
        for p in reversed(band)
    )
    return [f'<polygon points="{upper} {lower}" fill="{color}" opacity="0.15"/>']


def _point(frame: _Frame, s: Series, p: Point, color: str) -> list[str]:
    """A point with its tooltip (value, interval, denominator); hollow and labelled "n=…" when
    its denominator is under SMALL_COUNT and the series marks small ones."""
    share = p.share
    assert share is not None
    fmt = frame.fmt
    small = s.mark_small and p.n is not None and p.n < SMALL_COUNT
    interval = (
        f" (95% interval {fmt(p.low)} – {fmt(p.high)})"
        if p.low is not None and p.high is not None
        else ""
    )
    count = f", {p.n:,} in the denominator" if p.n is not None else ""
    warn = f": fewer than {SMALL_COUNT}, uncertain" if small else ""
    cx, cy = frame.x_of(p.fiscal_year - 0.5), frame.y_of(share)
    fill = "#fff" if small else color
    small_class = ' class="small"' if small else ""
    out = [
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{5 if small else 4}" '
        f'fill="{fill}" stroke="{color}" stroke-width="2"{small_class}>'
        f"<title>{escape(s.label)}, "
        f"FY{p.fiscal_year}: {fmt(share)}{escape(interval)}{count}{warn}"
        "</title></circle>"
    ]
    if small:
        ty = cy - 10 if cy - 10 > frame.top + FONT else cy + 22
        out.append(
            f'<text x="{cx:.1f}" y="{ty:.1f}" class="small-n" text-anchor="middle">n={p.n}</text>'
        )
    return out
