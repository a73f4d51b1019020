"""Server-side SVG charts for the dashboard: stacked share bars and line charts.

Plain SVG with <title> tooltips (counts on hover) and no JavaScript, so the dashboard works with
no network and every text that comes from data is escaped here (markupsafe) before it reaches
the page.

Sizes: SVG text scales with the viewBox, so the charts are drawn in a narrow box (WIDTH user
units wide) with text of FONT units, and the stylesheet keeps a chart between about 350 px
(a 390 px phone) and 560 px wide: text renders at 16 × 350 / 480 ≈ 11.7 px on the phone and
16 × 560 / 480 ≈ 18.7 px at most (tests/test_browser.py measures it at 390 and 1400 px).
Every chart carries the publication's data status drawn inside it (status_stamp), a text
alternative (aria-label and <desc>), and marks years whose denominator is small.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from orchestration import fiscal
from orchestration.serve.published import LEVEL_LABELS, LEVELS, SMALL_COUNT

WIDTH = 480
FONT = 16  # user units: the smallest text of any chart (see the module docstring)
CHAR_W = 0.56 * FONT  # a generous average glyph width, to lay text out without a browser

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


def short_label(label: str) -> str:
    """A bar's label: the first word, at most 8 characters ("Suffolk", "MA")."""
    words = label.split()
    return (words[0] if words else "")[:8]


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _text_width(text: str) -> float:
    return len(text) * CHAR_W


def _fit(text: str, width: float) -> str:
    """``text`` cut (with …) to fit ``width`` user units."""
    most = max(int(width / CHAR_W), 4)
    return text if len(text) <= most else text[: most - 1] + "…"


def status_stamp(width: int, height: int, label: str) -> str:
    """The data status drawn on the chart itself (bottom right), so a screenshot keeps it."""
    if not label:
        return ""
    return (
        f'<text x="{width - 4}" y="{height - 6}" class="data-status" text-anchor="end">'
        f"{escape(_fit(label, width - 8))}</text>"
    )


def _open(title: str, width: int, height: int, description: str) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<desc>{escape(description)}</desc>",
    ]


def _year_labels(
    years: list[int], x_of: Callable[[int], float], y: float, step_w: float
) -> list[str]:
    """FY labels ("FY12"), every k-th when they would collide."""
    every = max(1, math.ceil(_text_width("FY00") * 1.25 / max(step_w, 1)))
    return [
        f'<text x="{x_of(fy):.1f}" y="{y:.1f}" class="axis" text-anchor="middle">'
        f"FY{fy % 100:02d}</text>"
        for i, fy in enumerate(years)
        if (len(years) - 1 - i) % every == 0  # counted from the last year: it is always labelled
    ]


def _legend_row(items: list[tuple[str, str]], x: float, y: float, max_x: float) -> list[str]:
    """Swatches and labels on one row, as many as fit."""
    out, lx = [], x
    for color, label in items:
        width = 18 + _text_width(label) + 12
        if lx + width > max_x and lx > x:
            break
        out.append(
            f'<rect x="{lx:.1f}" y="{y - 12}" width="13" height="13" fill="{color}" '
            f'stroke="#333" stroke-width="0.5"/><text x="{lx + 18:.1f}" y="{y}" class="legend">'
            f"{escape(label)}</text>"
        )
        lx += width
    return out


def stacked_shares(
    title: str, measure: str, groups: list[tuple[int, list[Bar]]], status: str = ""
) -> Markup:
    """One group of bars per fiscal year (jurisdiction, state, nation, left to right), each
    stacked L1..NC as shares of its total; hovering a segment shows its count and total. A
    year whose first bar (the jurisdiction) has a total under SMALL_COUNT is marked "n=…"."""
    width, height, left, right, top, bottom = WIDTH, 306, 50, 6, 58, 64
    plot_h = height - top - bottom
    plot_w = width - left - right
    group_w = plot_w / max(len(groups), 1)
    bars_per_group = max((len(b) for _, b in groups), default=1)
    bar_w = min(26.0, (group_w - 6) / max(bars_per_group, 1) - 2)
    labels = max((b for _, b in groups), key=len, default=[])
    order = " · ".join(bar.label for bar in labels)
    out = _open(
        title,
        width,
        height,
        f"{title}. Bars each fiscal year, left to right: {order}. "
        "Each bar is split into Level 1, Level 2, Level 3 and non-criminal shares; "
        "the table below the charts has every count.",
    )
    out += _legend_row(
        [(LEVEL_COLORS[lv], LEVEL_LABELS[lv]) for lv in LEVELS], 4, 18, width - right
    )
    out.append(
        f'<text x="4" y="40" class="legend">{escape(_fit("bars: " + order, width - 8))}</text>'
    )
    for tick in (0, 0.5, 1.0):
        y = top + plot_h * (1 - tick)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="grid"/><text x="{left - 4}" y="{y + 5:.1f}" class="axis" '
            f'text-anchor="end">{int(tick * 100)}%</text>'
        )
    years = [fy for fy, _ in groups]
    index = {fy: i for i, fy in enumerate(years)}
    out += _year_labels(
        years, lambda fy: left + index[fy] * group_w + group_w / 2, height - 28, group_w
    )
    for gi, (fiscal_year, bars) in enumerate(groups):
        gx = left + gi * group_w + (group_w - len(bars) * (bar_w + 2)) / 2
        first = bars[0] if bars else None
        if first is not None and first.total is not None and 0 < first.total < SMALL_COUNT:
            out.append(
                f'<text x="{left + gi * group_w + group_w / 2:.1f}" y="{top + plot_h + 18:.1f}" '
                f'class="small-n" text-anchor="middle">n={first.total}'
                f"<title>{escape(first.label)} FY{fiscal_year}: only {first.total} "
                f"{measure}, fewer than {SMALL_COUNT}: the shares are uncertain</title></text>"
            )
        for bi, bar in enumerate(bars):
            x = gx + bi * (bar_w + 2)
            total = bar.total or 0
            if not total or any(bar.counts.get(lv) is None for lv in LEVELS):
                out.append(
                    f'<rect x="{x:.1f}" y="{top}" width="{bar_w:.1f}" height="{plot_h}" '
                    f'class="missing"><title>{escape(bar.label)} FY{fiscal_year}: '
                    f"{measure} by level not available</title></rect>"
                )
                continue
            small = bi == 0 and total < SMALL_COUNT
            small_class = ' class="small"' if small else ""
            y = top
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
    out.append(status_stamp(width, height, status))
    out.append("</svg>")
    return Markup("".join(out))


def fy_position(date: dt.date) -> float:
    """Fractional fiscal year: FY N spans [N - 1, N) on the axis, starting 1 October."""
    year = fiscal.fiscal_year(date)
    start, end = fiscal.fiscal_year_start(year), fiscal.fiscal_year_start(year + 1)
    return year - 1 + (date - start).days / (end - start).days


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _compact(value: float) -> str:
    """An axis number in at most 5 characters: 950, 2.5k, 10k, 1.2M."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def _segments(points: list[Point]) -> list[list[Point]]:
    """Runs of consecutive fiscal years with a value: a line never crosses a missing year."""
    runs: list[list[Point]] = []
    for p in sorted(points, key=lambda p: p.fiscal_year):
        if p.share is None:
            continue
        if runs and runs[-1][-1].fiscal_year == p.fiscal_year - 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


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
    legend_rows = len(series)
    width, left, right, top, bottom = WIDTH, 54, 10, 12 + 22 * legend_rows + 10, 56
    height = top + 190 + bottom
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max(fy_to - fy_from + 1, 1)
    values = [
        v
        for s in series
        for p in s.points
        for v in (p.share, p.high if s.band else None)
        if v is not None
    ]
    y_max = 1.0 if percent else _nice_max(max(values, default=0.0) * 1.05)

    def fmt(v: float) -> str:
        return pct(v) if percent else f"{v:,.1f}{unit}"

    def x_of(position: float) -> float:  # position in fiscal-year units, FY N centred at N - .5
        return left + plot_w * (position - (fy_from - 1)) / span

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / y_max)

    described = []
    for s in series:
        known = [f"FY{p.fiscal_year} {fmt(p.share)}" for p in s.points if p.share is not None]
        described.append(
            f"{s.label}{' (' + s.note + ')' if s.note else ''}: "
            + (", ".join(known) if known else "no values")
        )
    out = _open(title, width, height, f"{title}. " + "; ".join(described) + ".")
    for tick in (0, 0.5, 1.0):
        value = tick * y_max
        label = f"{int(tick * 100)}%" if percent else _compact(value)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y_of(value):.1f}" '
            f'y2="{y_of(value):.1f}" class="grid"/><text x="{left - 4}" '
            f'y="{y_of(value) + 5:.1f}" class="axis" text-anchor="end">{label}</text>'
        )
    years = list(range(fy_from, fy_to + 1))
    out += _year_labels(years, lambda fy: x_of(fy - 0.5), height - 28, plot_w / span)
    if activation is not None and fy_from - 1 <= fy_position(activation) <= fy_to:
        ax = x_of(fy_position(activation))
        text = f"activated {activation.isoformat()}"
        right_side = ax + 4 + _text_width(text) <= width - right
        out.append(
            f'<line x1="{ax:.1f}" x2="{ax:.1f}" y1="{top}" y2="{top + plot_h}" '
            f'class="activation"/><text x="{ax + 4 if right_side else ax - 4:.1f}" '
            f'y="{top + 16}" class="activation-label" '
            f'text-anchor="{"start" if right_side else "end"}">{text}</text>'
        )
    for si, s in enumerate(series):
        style = si if s.style is None else s.style
        color = SERIES_COLORS[style % len(SERIES_COLORS)]
        dash = SERIES_DASHES[style % len(SERIES_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        runs = _segments(s.points)
        if s.band:
            for run in runs:
                band = [p for p in run if p.low is not None and p.high is not None]
                if len(band) > 1:
                    upper = " ".join(
                        f"{x_of(p.fiscal_year - 0.5):.1f},{y_of(p.high):.1f}"  # type: ignore[arg-type]
                        for p in band
                    )
                    lower = " ".join(
                        f"{x_of(p.fiscal_year - 0.5):.1f},{y_of(p.low):.1f}"  # type: ignore[arg-type]
                        for p in reversed(band)
                    )
                    out.append(f'<polygon points="{upper} {lower}" fill="{color}" opacity="0.15"/>')
        for run in runs:
            if len(run) > 1:
                path = " ".join(
                    f"{x_of(p.fiscal_year - 0.5):.1f},{y_of(p.share):.1f}"  # type: ignore[arg-type]
                    for p in run
                )
                out.append(
                    f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"'
                    f"{dash_attr} "
                    f'class="series-line" data-series="{si}"/>'
                )
        for run in runs:
            for p in run:
                share = p.share
                assert share is not None
                small = s.mark_small and p.n is not None and p.n < SMALL_COUNT
                interval = (
                    f" (95% interval {fmt(p.low)} – {fmt(p.high)})"
                    if p.low is not None and p.high is not None
                    else ""
                )
                count = f", {p.n:,} in the denominator" if p.n is not None else ""
                warn = f": fewer than {SMALL_COUNT}, uncertain" if small else ""
                cx, cy = x_of(p.fiscal_year - 0.5), y_of(share)
                fill = "#fff" if small else color
                small_class = ' class="small"' if small else ""
                out.append(
                    f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{5 if small else 4}" '
                    f'fill="{fill}" stroke="{color}" stroke-width="2"{small_class}>'
                    f"<title>{escape(s.label)}, "
                    f"FY{p.fiscal_year}: {fmt(share)}{escape(interval)}{count}{warn}"
                    "</title></circle>"
                )
                if small:
                    ty = cy - 10 if cy - 10 > top + FONT else cy + 22
                    out.append(
                        f'<text x="{cx:.1f}" y="{ty:.1f}" class="small-n" '
                        f'text-anchor="middle">n={p.n}</text>'
                    )
        ly = 12 + 22 * si + 12
        label = s.label + (f" — {s.note}" if s.note else "")
        out.append(
            f'<line x1="4" x2="34" y1="{ly - 5}" y2="{ly - 5}" stroke="{color}" '
            f'stroke-width="3"{dash_attr}/>'
            f'<text x="40" y="{ly}" class="legend">{escape(_fit(label, width - 44))}</text>'
        )
    out.append(status_stamp(width, height, status))
    out.append("</svg>")
    return Markup("".join(out))


def minor_share_lines(
    title: str,
    series: list[tuple[str, list[Point]]],
    fy_from: int,
    fy_to: int,
    activation: dt.date | None,
    status: str = "",
) -> Markup:
    """Minor share by fiscal year: the first series with its 95% interval band and its small
    denominators marked, then the others (state, nation)."""
    return line_chart(
        title,
        [
            Series(label, points, band=i == 0, mark_small=i == 0)
            for i, (label, points) in enumerate(series)
        ],
        fy_from,
        fy_to,
        activation,
        status,
    )
