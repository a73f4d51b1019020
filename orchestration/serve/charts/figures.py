"""The shares a place's published figures allow, drawn as points with their intervals: one row per
share (what was counted, whose share, as of when, from which page), x from 0 to 100 %. A share
derived from two published counts is a filled point with its Wilson 95% interval; a percentage
as the page printed it is a hollow point, with an interval only when the same page gives the
total. Every share is cumulative to its as-of date, not a fiscal-year flow: the chart says so."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup, escape

from orchestration.serve.charts.base import finish, fit, svg_root

WIDTH = 960
LABEL_W = 470
ROW_H = 30
TOP = 34
PLOT_L, PLOT_R = LABEL_W + 20, WIDTH - 30


@dataclass(frozen=True)
class SharePoint:
    label: str  # "removals with no criminal conviction, as of 31 July 2011"
    share: float
    low: float | None
    high: float | None
    derived: bool  # True: two published counts divided; False: a published percentage
    tooltip: str  # the quote and the page


def _x(share: float) -> float:
    return PLOT_L + share * (PLOT_R - PLOT_L)


def shares_chart(title: str, points: list[SharePoint], status: str) -> Markup | None:
    """The dot plot of ``points`` (None when there is none)."""
    if not points:
        return None
    height = TOP + ROW_H * len(points) + 90
    desc = (
        f"{len(points)} share(s) from published figures, each cumulative to its as-of date "
        "(not a fiscal-year flow): " + "; ".join(f"{p.label}: {p.share:.0%}" for p in points)
    )
    out = svg_root(WIDTH, height, title, desc, css="chart figures-chart")
    bottom = TOP + ROW_H * len(points)
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = _x(tick)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP - 8}" y2="{bottom}" class="grid"/>'
            f'<text x="{x:.1f}" y="{bottom + 18}" class="axis" text-anchor="middle">'
            f"{tick:.0%}</text>"
        )
    for i, point in enumerate(points):
        y = TOP + ROW_H * i + ROW_H / 2
        out.append(
            f'<text x="{LABEL_W}" y="{y + 5:.1f}" class="axis" text-anchor="end">'
            f"{escape(fit(point.label, LABEL_W - 8))}</text>"
        )
        out.append("<g>")
        out.append(f"<title>{escape(point.tooltip)}</title>")
        if point.low is not None and point.high is not None:
            out.append(
                f'<line x1="{_x(point.low):.1f}" x2="{_x(point.high):.1f}" y1="{y:.1f}" '
                f'y2="{y:.1f}" stroke="#1f4e79" stroke-width="3"/>'
            )
        fill = "#1f4e79" if point.derived else "#ffffff"
        out.append(
            f'<circle cx="{_x(point.share):.1f}" cy="{y:.1f}" r="6" fill="{fill}" '
            f'stroke="#1f4e79" stroke-width="2.5"/>'
        )
        out.append("</g>")
    key_y = bottom + 42
    derived = "derived from two published counts (line: 95% Wilson interval)"
    printed = "percentage as printed (line: only when the page gives the total)"
    out.append(
        f'<circle cx="30" cy="{key_y - 5}" r="6" fill="#1f4e79"/>'
        f'<text x="42" y="{key_y}" class="legend">{escape(derived)}</text>'
        f'<circle cx="30" cy="{key_y + 17}" r="6" fill="#fff" stroke="#1f4e79" '
        f'stroke-width="2.5"/>'
        f'<text x="42" y="{key_y + 22}" class="legend">{escape(printed)}</text>'
    )
    return finish(out, WIDTH, height, status)


def share_point(share: dict, label: str) -> SharePoint:
    """A row of mart_place_figure_shares (or one shaped like it) as a point labelled ``label``:
    filled when derived from two published counts, hollow for a percentage as printed."""
    return SharePoint(
        label=label,
        share=share["share"],
        low=share["share_low"],
        high=share["share_high"],
        derived=share["basis"] == "derived from published figures",
        tooltip=f"{share['quote']} — {share.get('source_name') or ''} {share['source_url']}",
    )


def as_of_label(date: dt.date, precision: str | None) -> str:
    if precision == "year":
        return str(date.year)
    if precision == "month":
        return date.strftime("%b %Y")
    return f"{date.day} {date.strftime('%b %Y')}"
