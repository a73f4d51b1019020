"""The home page's two charts on the shared chart base (base.py): the national minor share by
fiscal year (with its 95% intervals and the shares ICE's own published figures give), and the
rollout of Secure Communities over time.

Drawn narrow (WIDTH user units, about a phone's width) so that text keeps its size on a phone:
a chart is never wider than its column, so a 12.5-unit label stays at least 11 px on a 390 px
screen. Every mark has a <title> (hover), every chart a <title>/<desc>, and the page puts the
same numbers in a table below each chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from orchestration import fiscal
from orchestration.serve.charts.base import (
    finish,
    fy_position,
    line_key,
    polyline,
    runs,
    svg_root,
    y_grid,
)
from orchestration.serve.formats import pct

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
    return svg_root(WIDTH, HEIGHT, title, desc, chart_id=chart_id, css="hchart")


def _y_axis(y_of: Callable[[float], float]) -> list[str]:
    ticks = (0, 0.25, 0.5, 0.75, 1.0)
    return y_grid(
        ((y_of(t), f"{int(t * 100)}%") for t in ticks),
        LEFT,
        WIDTH - RIGHT,
        gap=5,
        rise=4,
        css="hc-axis",
    )


def _x_title() -> str:
    return (
        f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{HEIGHT - BOTTOM + 31}" class="hc-axis" '
        'text-anchor="middle">fiscal year (Oct–Sep)</text>'
    )


def _legend(entries: Sequence[tuple[str, str, str]]) -> list[str]:
    """Legend entries (colour, dash pattern or "diamond", label), two to a row."""
    out = []
    for i, (colour, style, label) in enumerate(entries):
        x, y = LEFT + (i % 2) * 160, 16 + (i // 2) * 20
        if style == "diamond":
            out.append(
                f'<path d="M{x + 9} {y - 10}l6 6-6 6-6-6z" fill="#fff" stroke="{colour}" '
                f'stroke-width="2"/>'
                f'<text x="{x + 23}" y="{y}" class="hc-legend">{escape(label)}</text>'
            )
        else:
            out.append(
                line_key(x, y, colour, style, label, length=18, gap=5, rise=4, css="hc-legend")
            )
    return out


def _note(lines: Sequence[str], y: float) -> str:
    """A note in the middle of the plot (e.g. "Not loaded: …"), one <text> per line, 18 apart."""
    return "".join(
        f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{y + 18 * i:.1f}" '
        f'class="hc-note" text-anchor="middle">{line}</text>'
        for i, line in enumerate(lines)
    )


# ---------------------------------------------------------------------------------------------
# The national series

FLOWS = (("referrals", BLUE, "none", -4), ("removals", VERMILLION, "6 3", 4))


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

    out += _y_axis(y_of)
    for year in years:
        out.append(
            f'<text x="{x_of(year):.1f}" y="{HEIGHT - BOTTOM + 16}" class="hc-axis" '
            f'text-anchor="middle">{year}</text>'
        )
    out.append(_x_title())
    entries = [(BLUE, "none", "Referrals"), (VERMILLION, "6 3", "Removals")]
    if published:
        entries.append((BLACK, "diamond", "All ICE removals, as ICE published"))
    out += _legend(entries)
    by_year = {r["fiscal_year"]: r for r in national}
    for flow, colour, dash, offset in FLOWS:
        valued = [
            y for y in years if y in by_year and by_year[y][f"minor_share_{flow}"] is not None
        ]
        # a line joins consecutive fiscal years only: it breaks where a year has no value
        for seg in runs(valued, lambda y: y):
            if len(seg) > 1:
                points = " ".join(
                    f"{x_of(y) + offset:.1f},{y_of(by_year[y][f'minor_share_{flow}']):.1f}"
                    for y in seg
                )
                out.append(polyline(points, colour, dash))
        for year in valued:
            out.append(
                _national_point(flow, colour, year, by_year[year], x_of(year) + offset, y_of)
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
        lines = ("Not loaded: the interoperability", "statistics are not in this publication")
        out.append(_note(lines, TOP + PLOT_H / 2 - 8))
    return finish(out, WIDTH, HEIGHT, status)


def _national_point(
    flow: str,
    colour: str,
    year: int,
    r: dict[str, Any],
    x: float,
    y_of: Callable[[float], float],
) -> str:
    """One fiscal year's minor share: a dot with its 95% interval as a whisker, and a tooltip
    with the counts."""
    share, low, high = (
        r[f"minor_share_{flow}"],
        r[f"minor_share_{flow}_low"],
        r[f"minor_share_{flow}_high"],
    )
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
    return (
        f'<g class="point" data-series="{flow}" data-fy="{year}">{bar}'
        f'<circle cx="{x:.1f}" cy="{y_of(share):.1f}" r="3.5" fill="{colour}"/>'
        f"<title>{escape(tip)}</title></g>"
    )


# ---------------------------------------------------------------------------------------------
# The rollout

ROLLOUT_SERIES = (
    ("population", BLUE, "none", "Population covered"),
    ("counties", VERMILLION, "6 3", "Counties"),
    ("states", GREEN, "2 3", "States (≥ 1 county)"),
)


def _covered(r: dict[str, Any], key: str) -> float:
    """The share of the population, of the counties or of the states covered at a date."""
    if key == "population":
        return float(r["population_share_covered"] or 0)
    if key == "counties":
        return r["counties_activated"] / r["counties_total"] if r["counties_total"] else 0
    return r["states_with_activation"] / r["states_total"] if r["states_total"] else 0


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

    out += _y_axis(y_of)
    for i, year in enumerate(range(first, last + 1)):
        out.append(
            f'<line x1="{x_of(i):.1f}" x2="{x_of(i):.1f}" y1="{TOP + PLOT_H}" '
            f'y2="{TOP + PLOT_H + 5}" class="tick"/>'
            f'<text x="{x_of(i + 0.5):.1f}" y="{HEIGHT - BOTTOM + 16}" class="hc-axis" '
            f'text-anchor="middle">{year}</text>'
        )
    out.append(_x_title())
    out += _legend([(colour, dash, label) for _, colour, dash, label in ROLLOUT_SERIES])
    for key, colour, dash, _ in ROLLOUT_SERIES:
        points: list[str] = []
        previous = 0.0
        for r in rollout_rows:
            x = x_of(fy_position(r["activation_date"]) - (first - 1))
            points.append(f"{x:.1f},{y_of(previous):.1f} {x:.1f},{y_of(_covered(r, key)):.1f}")
            previous = _covered(r, key)
        if points:
            points.append(f"{x_of(span):.1f},{y_of(previous):.1f}")
            out.append(polyline(" ".join(points), colour, dash, f' data-series="{key}"'))
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
            f'cy="{y_of(_covered(r, "population")):.1f}" r="3" class="hover-point">'
            f"<title>{escape(tip)}</title></circle>"
        )
    if not loaded or not rollout_rows:
        out.append(_note(["Not loaded: no activation dates in this publication"], TOP + PLOT_H / 2))
    return finish(out, WIDTH, HEIGHT, status)
