"""Server-side SVG charts for the dashboard: stacked share bars and the minor-share line.

Plain SVG with <title> tooltips (counts on hover) and no JavaScript, so the dashboard works with
no network and every text that comes from data is escaped here (markupsafe) before it reaches
the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup, escape

from orchestration import fiscal
from orchestration.serve.published import LEVEL_LABELS, LEVELS

# Ordered from Level 1 (most serious, darkest) to non-criminal (lightest): a sequential scale
# that stays readable in grey and for the common colour-vision deficiencies.
LEVEL_COLORS = {"l1": "#7f0000", "l2": "#d7301f", "l3": "#fc8d59", "nc": "#fdd49e"}
SERIES_COLORS = ("#08519c", "#6baed6", "#636363")  # jurisdiction, state, nation


@dataclass(frozen=True)
class Bar:
    label: str  # e.g. "Suffolk County" / "MA" / "US"
    counts: dict[str, int | None]
    total: int | None


@dataclass(frozen=True)
class Point:
    fiscal_year: int
    share: float | None
    low: float | None = None
    high: float | None = None


def short_label(label: str) -> str:
    """A bar's label under the bar: the first word, at most 8 characters ("Suffolk", "MA")."""
    words = label.split()
    return (words[0] if words else "")[:8]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def legend(x: float, y: float) -> str:
    parts = []
    for i, level in enumerate(LEVELS):
        lx = x + i * 110
        parts.append(
            f'<rect x="{lx}" y="{y - 10}" width="12" height="12" '
            f'fill="{LEVEL_COLORS[level]}" stroke="#333" stroke-width="0.5"/>'
            f'<text x="{lx + 16}" y="{y}" class="legend">{LEVEL_LABELS[level]}</text>'
        )
    return "".join(parts)


def status_stamp(width: int, height: int, label: str) -> str:
    """The data status drawn on the chart itself (bottom right), so a screenshot keeps it."""
    if not label:
        return ""
    return (
        f'<text x="{width - 8}" y="{height - 3}" class="data-status" text-anchor="end">'
        f"{escape(label)}</text>"
    )


def stacked_shares(
    title: str, measure: str, groups: list[tuple[int, list[Bar]]], status: str = ""
) -> Markup:
    """One group of bars per fiscal year (jurisdiction, state, nation), each stacked L1..NC as
    shares of its total; hovering a segment shows its count and total."""
    width, height, left, top, bottom = 760, 310, 48, 50, 56
    plot_h = height - top - bottom
    group_w = (width - left - 10) / max(len(groups), 1)
    bar_w = min(28.0, group_w / 4)
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>',
        status_stamp(width, height, status),
        legend(left, 36),
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        out.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="grid"/><text x="{left - 6}" y="{y + 4:.1f}" class="axis" '
            f'text-anchor="end">{int(tick * 100)}%</text>'
        )
    for gi, (fiscal_year, bars) in enumerate(groups):
        gx = left + gi * group_w + (group_w - len(bars) * (bar_w + 4)) / 2
        out.append(
            f'<text x="{left + gi * group_w + group_w / 2:.1f}" y="{height - 22}" '
            f'class="axis" text-anchor="middle">FY{fiscal_year}</text>'
        )
        for bi, bar in enumerate(bars):
            x = gx + bi * (bar_w + 4)
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 38}" class="bar-label" '
                f'text-anchor="middle">{escape(short_label(bar.label))}</text>'
            )
            total = bar.total or 0
            if not total or any(bar.counts.get(lv) is None for lv in LEVELS):
                out.append(
                    f'<rect x="{x:.1f}" y="{top}" width="{bar_w:.1f}" height="{plot_h}" '
                    f'class="missing"><title>{escape(bar.label)} FY{fiscal_year}: '
                    f"{measure} by level not available</title></rect>"
                )
                continue
            y = top
            for level in LEVELS:
                n = bar.counts[level] or 0
                h = plot_h * n / total
                tip = (
                    f"{bar.label}, FY{fiscal_year}, {measure}: {LEVEL_LABELS[level]} "
                    f"{n:,} of {total:,} ({_pct(n / total)})"
                )
                out.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{LEVEL_COLORS[level]}" data-level="{level}">'
                    f"<title>{escape(tip)}</title></rect>"
                )
                y += h
    out.append("</svg>")
    return Markup("".join(out))


def _fy_position(date: dt.date) -> float:
    """Fractional fiscal year: FY N spans [N - 1, N) on the axis, starting 1 October."""
    year = fiscal.fiscal_year(date)
    start, end = fiscal.fiscal_year_start(year), fiscal.fiscal_year_start(year + 1)
    return year - 1 + (date - start).days / (end - start).days


def minor_share_lines(
    title: str,
    series: list[tuple[str, list[Point]]],
    fy_from: int,
    fy_to: int,
    activation: dt.date | None,
    status: str = "",
) -> Markup:
    """Minor share by fiscal year for the jurisdiction (with its 95% interval band), its state
    and the nation; a dashed line marks the activation date."""
    width, height, left, top, bottom = 760, 290, 48, 50, 40
    plot_w, plot_h = width - left - 20, height - top - bottom
    span = max(fy_to - fy_from + 1, 1)

    def x_of(position: float) -> float:  # position in fiscal-year units, FY N centred at N - .5
        return left + plot_w * (position - (fy_from - 1)) / span

    def y_of(share: float) -> float:
        return top + plot_h * (1 - share)

    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>',
        status_stamp(width, height, status),
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<line x1="{left}" x2="{width - 20}" y1="{y_of(tick):.1f}" '
            f'y2="{y_of(tick):.1f}" class="grid"/><text x="{left - 6}" '
            f'y="{y_of(tick) + 4:.1f}" class="axis" text-anchor="end">'
            f"{int(tick * 100)}%</text>"
        )
    for fiscal_year in range(fy_from, fy_to + 1):
        out.append(
            f'<text x="{x_of(fiscal_year - 0.5):.1f}" y="{height - 16}" class="axis" '
            f'text-anchor="middle">FY{fiscal_year}</text>'
        )
    if activation is not None and fy_from - 1 <= _fy_position(activation) <= fy_to:
        ax = x_of(_fy_position(activation))
        out.append(
            f'<line x1="{ax:.1f}" x2="{ax:.1f}" y1="{top}" y2="{top + plot_h}" '
            f'class="activation"/><text x="{ax + 4:.1f}" y="{top + 12}" '
            f'class="activation-label">activated {activation.isoformat()}</text>'
        )
    for si, (label, points) in enumerate(series):
        color = SERIES_COLORS[si % len(SERIES_COLORS)]
        known = [(p, p.share) for p in points if p.share is not None]
        if si == 0:
            band = [
                (p, p.low, p.high) for p, _ in known if p.low is not None and p.high is not None
            ]
            if len(band) > 1:
                upper = " ".join(
                    f"{x_of(p.fiscal_year - 0.5):.1f},{y_of(high):.1f}" for p, _, high in band
                )
                lower = " ".join(
                    f"{x_of(p.fiscal_year - 0.5):.1f},{y_of(low):.1f}"
                    for p, low, _ in reversed(band)
                )
                out.append(f'<polygon points="{upper} {lower}" fill="{color}" opacity="0.15"/>')
        if len(known) > 1:
            path = " ".join(
                f"{x_of(p.fiscal_year - 0.5):.1f},{y_of(share):.1f}" for p, share in known
            )
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>'
            )
        for p, share in known:
            interval = (
                f" (95% interval {_pct(p.low)} – {_pct(p.high)})"
                if p.low is not None and p.high is not None
                else ""
            )
            out.append(
                f'<circle cx="{x_of(p.fiscal_year - 0.5):.1f}" cy="{y_of(share):.1f}" '
                f'r="4" fill="{color}"><title>{escape(label)}, FY{p.fiscal_year}: '
                f"{_pct(share)}{escape(interval)}</title></circle>"
            )
        out.append(
            f'<rect x="{left + si * 220}" y="26" width="12" height="12" '
            f'fill="{color}"/><text x="{left + 16 + si * 220}" y="36" class="legend">'
            f"{escape(label[:30])}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))
