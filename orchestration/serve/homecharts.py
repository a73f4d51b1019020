"""The home page's two charts, server-drawn SVG like charts.py: the national minor share by
fiscal year (with its 95% intervals and the shares ICE's own published figures give), and the
rollout of Secure Communities over time.

Drawn narrow (WIDTH user units, about a phone's width) so that text keeps its size on a phone:
a chart is never wider than its column, so a 12.5-unit label stays at least 11 px on a 390 px
screen. Every mark has a <title> (hover), every chart a <title>/<desc>, and the page puts the
same numbers in a table below each chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from orchestration import fiscal
from orchestration.serve.charts import fy_position, pct, status_stamp

WIDTH, HEIGHT = 380, 282
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 62, 58
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM  # the plot area inside the margins
# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), plus a line
# style per series so the lines differ without colour too.
BLUE, VERMILLION, GREEN, BLACK = "#0072B2", "#D55E00", "#009E73", "#222222"


@dataclass(frozen=True)
class Published:
    """A minor share computed from published figures for one fiscal year."""

    fiscal_year: int
    share: float
    what: str


def _open(chart_id: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="hchart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _y_axis(out: list[str], y_of: Any) -> None:
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(tick)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 5}" y="{y + 4:.1f}" class="hc-axis" text-anchor="end">'
            f"{int(tick * 100)}%</text>"
        )


def _legend(out: list[str], entries: Sequence[tuple[str, str, str]]) -> None:
    """Legend entries (colour, dash pattern or "diamond", label), two to a row."""
    for i, (colour, style, label) in enumerate(entries):
        x, y = LEFT + (i % 2) * 160, 16 + (i // 2) * 20
        if style == "diamond":
            out.append(
                f'<path d="M{x + 9} {y - 10}l6 6-6 6-6-6z" fill="#fff" stroke="{colour}" '
                f'stroke-width="2"/>'
            )
        else:
            out.append(
                f'<line x1="{x}" x2="{x + 18}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
                f'stroke-width="3" stroke-dasharray="{style}"/>'
            )
        out.append(f'<text x="{x + 23}" y="{y}" class="hc-legend">{escape(label)}</text>')


def national_series(
    national: list[dict[str, Any]],
    published: list[Published],
    loaded: bool,
    status: str,
    span: Sequence[int] = (),
) -> Markup:
    """Minor share of referrals and of removals by fiscal year, each with its 95% Wilson
    interval, and diamonds for the minor shares ICE's own published figures give. The axis
    runs over every fiscal year between the first and the last of those and of ``span`` (the
    program's years), so a year without a value is a gap, not a missing tick."""
    known = {r["fiscal_year"] for r in national} | {p.fiscal_year for p in published} | set(span)
    years = list(range(min(known), max(known) + 1)) if known else []
    title = "Minor share of referrals and removals, United States, by fiscal year"
    desc = (
        "Share of Level 3 and non-criminal people among Secure Communities referrals and "
        "removals each fiscal year, with 95% intervals; diamonds: the same share computed "
        "from figures ICE published. The numbers are in the table below."
    )
    out = _open("national-chart", title, desc)
    band = PLOT_W / max(len(years), 1)

    def x_of(year: int) -> float:
        return LEFT + band * (years.index(year) + 0.5)

    def y_of(share: float) -> float:
        return TOP + PLOT_H * (1 - share)

    _y_axis(out, y_of)
    for year in years:
        out.append(
            f'<text x="{x_of(year):.1f}" y="{HEIGHT - BOTTOM + 16}" class="hc-axis" '
            f'text-anchor="middle">{year}</text>'
        )
    out.append(
        f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{HEIGHT - BOTTOM + 31}" class="hc-axis" '
        'text-anchor="middle">fiscal year (Oct–Sep)</text>'
    )
    entries = [(BLUE, "none", "Referrals"), (VERMILLION, "6 3", "Removals")]
    if published:
        entries.append((BLACK, "diamond", "All ICE removals, as ICE published"))
    _legend(out, entries)
    by_year = {r["fiscal_year"]: r for r in national}
    for offset, (flow, colour, dash) in zip(
        (-4, 4), (("referrals", BLUE, "none"), ("removals", VERMILLION, "6 3")), strict=True
    ):
        valued = [
            y for y in years if y in by_year and by_year[y][f"minor_share_{flow}"] is not None
        ]
        # a line joins consecutive fiscal years only: it breaks where a year has no value
        segment: list[int] = []
        segments = []
        for year in valued:
            if segment and years.index(year) != years.index(segment[-1]) + 1:
                segments.append(segment)
                segment = []
            segment.append(year)
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                points = " ".join(
                    f"{x_of(y) + offset:.1f},{y_of(by_year[y][f'minor_share_{flow}']):.1f}"
                    for y in seg
                )
                out.append(
                    f'<polyline points="{points}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" stroke-dasharray="{dash}"/>'
                )
        for year in valued:
            r = by_year[year]
            share, low, high = (
                r[f"minor_share_{flow}"],
                r[f"minor_share_{flow}_low"],
                r[f"minor_share_{flow}_high"],
            )
            x = x_of(year) + offset
            tip = (
                f"{flow.capitalize()}, FY{year}: minor share {pct(share)} "
                f"({r[f'{flow}_minor']:,} of {r[f'{flow}_total']:,}"
                + (f"; 95% interval {100 * low:.1f}–{pct(high)}" if low is not None else "")
                + ")"
            )
            bar = ""
            if low is not None and high is not None:
                bar = (
                    f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y_of(high):.1f}" y2="{y_of(low):.1f}" '
                    f'stroke="{colour}" stroke-width="1.5"/>'
                    f'<line x1="{x - 3:.1f}" x2="{x + 3:.1f}" y1="{y_of(high):.1f}" '
                    f'y2="{y_of(high):.1f}" stroke="{colour}"/>'
                    f'<line x1="{x - 3:.1f}" x2="{x + 3:.1f}" y1="{y_of(low):.1f}" '
                    f'y2="{y_of(low):.1f}" stroke="{colour}"/>'
                )
            out.append(
                f'<g class="point" data-series="{flow}" data-fy="{year}">{bar}'
                f'<circle cx="{x:.1f}" cy="{y_of(share):.1f}" r="3.5" fill="{colour}"/>'
                f"<title>{escape(tip)}</title></g>"
            )
    for p in published:
        x, y = x_of(p.fiscal_year), y_of(p.share)
        out.append(
            f'<g class="published" data-fy="{p.fiscal_year}"><path d="M{x:.1f} {y - 7:.1f}'
            f'l7 7-7 7-7-7z" fill="#fff" stroke="{BLACK}" stroke-width="2"/>'
            f"<title>{escape(f'FY{p.fiscal_year}, as published: {pct(p.share)} — {p.what}')}"
            "</title></g>"
        )
    if not loaded:
        out.append(
            f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{TOP + PLOT_H / 2 - 8:.1f}" '
            'class="hc-note" text-anchor="middle">Not loaded: the interoperability</text>'
            f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{TOP + PLOT_H / 2 + 10:.1f}" '
            'class="hc-note" text-anchor="middle">statistics are not in this publication</text>'
        )
    out.append(status_stamp(WIDTH, HEIGHT, status))
    out.append("</svg>")
    return Markup("".join(out))


def rollout(rollout_rows: list[dict[str, Any]], loaded: bool, status: str) -> Markup:
    """Share of counties, of states (with at least one activated county) and of the
    population covered, at each activation date: step lines."""
    title = "Secure Communities rollout: share of counties, states and population covered"
    desc = (
        "Cumulative share of US counties activated, of states with at least one activated "
        "county, and of the 2010 population living in an activated county, by date. The "
        "numbers at the end of each fiscal year are in the table below."
    )
    out = _open("rollout-chart", title, desc)
    if rollout_rows:
        first = fiscal.fiscal_year(rollout_rows[0]["activation_date"])
        last = fiscal.fiscal_year(rollout_rows[-1]["activation_date"])
    else:
        first = last = fiscal.current_fiscal_year()
    span = last - first + 1

    def x_of(position: float) -> float:
        return LEFT + PLOT_W * position / span

    def y_of(share: float) -> float:
        return TOP + PLOT_H * (1 - share)

    _y_axis(out, y_of)
    for i, year in enumerate(range(first, last + 1)):
        out.append(
            f'<line x1="{x_of(i):.1f}" x2="{x_of(i):.1f}" y1="{TOP + PLOT_H}" '
            f'y2="{TOP + PLOT_H + 5}" class="tick"/>'
            f'<text x="{x_of(i + 0.5):.1f}" y="{HEIGHT - BOTTOM + 16}" class="hc-axis" '
            f'text-anchor="middle">{year}</text>'
        )
    out.append(
        f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{HEIGHT - BOTTOM + 31}" class="hc-axis" '
        'text-anchor="middle">fiscal year (Oct–Sep)</text>'
    )
    series = (
        ("population", BLUE, "none", "Population covered"),
        ("counties", VERMILLION, "6 3", "Counties"),
        ("states", GREEN, "2 3", "States (≥ 1 county)"),
    )
    _legend(out, [(colour, dash, label) for _, colour, dash, label in series])

    def share(r: dict[str, Any], key: str) -> float:
        if key == "population":
            return float(r["population_share_covered"] or 0)
        if key == "counties":
            return r["counties_activated"] / r["counties_total"] if r["counties_total"] else 0
        return r["states_with_activation"] / r["states_total"] if r["states_total"] else 0

    for key, colour, dash, _ in series:
        points: list[str] = []
        previous = 0.0
        for r in rollout_rows:
            x = x_of(fy_position(r["activation_date"]) - (first - 1))
            points.append(f"{x:.1f},{y_of(previous):.1f} {x:.1f},{y_of(share(r, key)):.1f}")
            previous = share(r, key)
        if points:
            points.append(f"{x_of(span):.1f},{y_of(previous):.1f}")
            out.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                f'stroke-width="2.5" stroke-dasharray="{dash}" data-series="{key}"/>'
            )
    for r in rollout_rows:
        date = r["activation_date"]
        tip = (
            f"{date.isoformat()}: {r['counties_activated']:,} of {r['counties_total']:,} "
            f"counties, {r['states_with_activation']} of {r['states_total']} states with an "
            f"activated county ({r['states_fully_activated']} fully), "
            f"{pct(r['population_share_covered'] or 0)} of the population"
        )
        out.append(
            f'<circle cx="{x_of(fy_position(date) - (first - 1)):.1f}" '
            f'cy="{y_of(share(r, "population")):.1f}" r="3" class="hover-point">'
            f"<title>{escape(tip)}</title></circle>"
        )
    if not loaded or not rollout_rows:
        out.append(
            f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{TOP + PLOT_H / 2:.1f}" class="hc-note" '
            'text-anchor="middle">Not loaded: no activation dates in this publication</text>'
        )
    out.append(status_stamp(WIDTH, HEIGHT, status))
    out.append("</svg>")
    return Markup("".join(out))
