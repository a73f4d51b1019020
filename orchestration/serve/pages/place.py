"""The place page: one jurisdiction (a county, a city, a state agency) beside its state and the
nation — its facts by fiscal year (months active, rates, 287(g)), the shares by offense level
and the minor share as charts, the rate chart and the case records' chart, and the citations
under each. Shown by the explorer when a search finds exactly one place (`/?q=FIPS`)."""

from __future__ import annotations

from typing import Any

import duckdb

from orchestration.fiscal import fiscal_year_range
from orchestration.serve.charts.place import Bar, Point, Series, line_chart, stacked_shares
from orchestration.serve.pages.record import figures_context
from orchestration.serve.params import View
from orchestration.serve.published import (
    LEVELS,
    MEASURES,
    Jurisdiction,
    citation,
    table_rows,
    wilson,
    year_rows,
)


def jurisdiction_panel(
    con: duckdb.DuckDBPyConnection,
    j: Jurisdiction,
    view: View,
    status: str = "",
    publication: dict | None = None,
) -> dict[str, Any]:
    """The place page's context: its rows, the state's and the nation's in the period, the
    charts, the facts, the 287(g) and case records' tables, and the citations."""
    jur_rows = year_rows(
        con,
        "mart_jurisdiction_year",
        "jurisdiction_id",
        j.jurisdiction_id,
        view.fy_from,
        view.fy_to,
    )
    state_rows = year_rows(con, "mart_state_year", "state", j.state, view.fy_from, view.fy_to)
    nation_rows = year_rows(con, "mart_national_year", None, None, view.fy_from, view.fy_to)
    status = status or "Data status unknown: no publication record"
    share_charts, minor_charts, state_notes = _level_charts(
        j, view, (jur_rows, state_rows, nation_rows), status, citation(publication, "interop")
    )
    # 287(g) (FY2006-2013) and the case records (from FY2003) have years of their own: their
    # tables show every year they have; the charts keep to the period chosen
    first, last = fiscal_year_range()
    programs = table_rows(con, "mart_programs_county_year", j.jurisdiction_id, first, last)
    g287 = table_rows(con, "mart_287g_jurisdiction_year", j.jurisdiction_id, first, last)
    rate_chart = _rate_chart(j, view, jur_rows, programs, status, publication)
    case_events = table_rows(
        con,
        "mart_case_events_county_year",
        j.jurisdiction_id,
        first,
        last,
        "fiscal_year, event_kind, events desc, method",
    )
    case_removals = table_rows(con, "mart_case_removals_year", j.jurisdiction_id, first, last)
    case_chart = _case_chart(j, view, case_events, status, publication)
    return {
        "jurisdiction": j,
        "case_removals": case_removals,
        "case_chart": case_chart,
        "rows": jur_rows,
        "state_rows": state_rows,
        "nation_rows": nation_rows,
        "share_charts": share_charts if j.in_interop_reports else [],
        "minor_charts": minor_charts if j.in_interop_reports else [],
        "state_notes": state_notes,
        "rate_chart": rate_chart,
        "programs": programs,
        "g287_rows": g287,
        "facts": _facts(jur_rows, programs),
        "case_events": case_events,
        **figures_context(con, j.jurisdiction_id, status, citation(publication, "place_figures")),
        "citations": {
            "interop": citation(publication, "interop"),
            "rates": citation(publication, "interop", "noncitizen", "g287"),
            "activations": citation(publication, "activations", "interop"),
            "g287": citation(publication, "g287", "noncitizen"),
            "cases": citation(publication, "cases"),
        },
    }


def _level_charts(
    j: Jurisdiction,
    view: View,
    rows: tuple[list[dict], list[dict], list[dict]],
    status: str,
    cite: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """Per measure: the shares by offense level (place, state, nation) and the minor share by
    fiscal year with its interval; and how many jurisdictions the state figure sums."""
    jur_rows, state_rows, nation_rows = rows
    by_year = [{r["fiscal_year"]: r for r in rows_} for rows_ in rows]
    years = list(range(view.fy_from, view.fy_to + 1))
    labels = (j.name, j.state, "US")
    share_charts, minor_charts, state_notes = [], [], {}
    for measure in MEASURES:
        alone = _state_alone(measure, by_year[0], by_year[1])
        state_notes[measure] = _state_note(measure, state_rows, alone)
        groups = [
            (
                fy,
                _bars(
                    measure,
                    by_year[0].get(fy),
                    None if fy in alone else by_year[1].get(fy),
                    by_year[2].get(fy),
                    labels,
                ),
            )
            for fy in years
        ]
        title = (
            f"{measure.capitalize()} by offense level, {j.label} beside {j.state} "
            f"({state_notes[measure]}) and the nation, FY{view.fy_from}–FY{view.fy_to}"
        )
        share_charts.append(_figure(title, stacked_shares(title, measure, groups, status), cite))
        state_points = [
            p for p in _points(state_rows, measure, False) if p.fiscal_year not in alone
        ]
        title = (
            f"Minor share of {measure} ((L3 + NC) / total), {j.label}, "
            f"FY{view.fy_from}–FY{view.fy_to}, with its 95% interval"
        )
        lines = [
            Series(j.label, _points(jur_rows, measure, True), True, "", True),
            Series(
                f"{j.state} (state)",
                state_points,
                note=state_notes[measure].split(";")[0],
                style=1,
            ),
            Series("United States", _points(nation_rows, measure, False), style=2),
        ]
        svg = line_chart(title, lines, view.fy_from, view.fy_to, j.activation_date, status)
        minor_charts.append(_figure(title, svg, cite))
    return share_charts, minor_charts, state_notes


def _bars(
    measure: str,
    jur: dict | None,
    state: dict | None,
    nation: dict | None,
    labels: tuple[str, str, str],
) -> list[Bar]:
    bars = []
    for row, label in zip((jur, state, nation), labels, strict=True):
        if row is None:
            continue
        bars.append(
            Bar(label, {lv: row[f"{measure}_{lv}"] for lv in LEVELS}, row[f"{measure}_total"])
        )
    return bars


def _points(rows: list[dict], measure: str, interval: bool) -> list[Point]:
    return [
        Point(
            r["fiscal_year"],
            r[f"minor_share_{measure}"],
            r[f"minor_share_{measure}_low"] if interval else None,
            r[f"minor_share_{measure}_high"] if interval else None,
            r[f"{measure}_total"],
        )
        for r in rows
    ]


def _state_alone(measure: str, jur_by_year: dict, state_by_year: dict) -> set[int]:
    """Fiscal years in which the state figure sums this jurisdiction alone: the state line or
    bar would only repeat the jurisdiction's, so it is not drawn."""
    return {
        fy
        for fy, s in state_by_year.items()
        if (s.get(f"{measure}_jurisdictions") or 0) <= 1
        and fy in jur_by_year
        and jur_by_year[fy].get(f"{measure}_total") is not None
    }


def _state_note(measure: str, state_rows: list[dict], alone: set[int]) -> str:
    """How many jurisdictions the state figure sums, e.g. "sums 3–5 jurisdictions"."""
    counts = sorted(
        {
            r[f"{measure}_jurisdictions"]
            for r in state_rows
            if r["fiscal_year"] not in alone and r.get(f"{measure}_jurisdictions")
        }
    )
    if not counts:
        return "this jurisdiction only: not drawn" if alone else "no state figure"
    span = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    note = f"sums {span} jurisdictions"
    if alone:
        years = ", ".join(f"FY{fy % 100:02d}" for fy in sorted(alone))
        note += f"; not drawn in {years} (this jurisdiction only)"
    return note


def _facts(jur_rows: list[dict], programs: list[dict]) -> list[dict[str, Any]]:
    """Per fiscal year: months active, non-citizens, the rates, and 287(g) beside Secure
    Communities (mart_jurisdiction_year, else mart_programs_county_year)."""
    sc = {r["fiscal_year"]: r for r in jur_rows}
    both = {r["fiscal_year"]: r for r in programs}
    out = []
    for fy in sorted(set(sc) | set(both)):
        r, p = sc.get(fy, {}), both.get(fy, {})
        out.append(
            {
                "fiscal_year": fy,
                "months_active": r.get("months_active", p.get("sc_months_active")),
                "noncitizen_population": r.get(
                    "noncitizen_population", p.get("noncitizen_population")
                ),
                "referrals_per_100k": r.get("referrals_per_100k_noncitizens"),
                "removals_per_100k": r.get(
                    "removals_per_100k_noncitizens", p.get("sc_removals_per_100k_noncitizens")
                ),
                "g287_agencies": p.get("g287_agencies"),
                "g287_identified": p.get("g287_identified"),
                "g287_removed": p.get("g287_removed"),
                "g287_removed_per_100k": p.get("g287_removed_per_100k_noncitizens"),
            }
        )
    return out


def _rate_chart(
    j: Jurisdiction,
    view: View,
    jur_rows: list[dict],
    programs: list[dict],
    status: str,
    publication: dict | None,
) -> dict[str, Any] | None:
    """Removals (and referrals) per 100,000 non-citizen residents; 287(g) removals beside
    Secure Communities' where the county had both. None when no rate is known."""

    def series(rows_: list[dict], column: str) -> list[Point]:
        return [
            Point(r["fiscal_year"], r.get(column))
            for r in rows_
            if view.fy_from <= r["fiscal_year"] <= view.fy_to
        ]

    lines = [
        Series("SC removals", series(jur_rows, "removals_per_100k_noncitizens")),
        Series("SC referrals", series(jur_rows, "referrals_per_100k_noncitizens"), style=1),
        Series("287(g) removals", series(programs, "g287_removed_per_100k_noncitizens"), style=3),
    ]
    lines = [s for s in lines if any(p.share is not None for p in s.points)]
    if not lines:
        return None
    title = f"Per 100,000 non-citizen residents, {j.label}, FY{view.fy_from}–FY{view.fy_to}"
    svg = line_chart(
        title, lines, view.fy_from, view.fy_to, j.activation_date, status, percent=False
    )
    g287 = ["g287"] if any("287" in s.label for s in lines) else []
    sources = ["interop", "noncitizen", *g287]
    return _figure(title, svg, citation(publication, *sources))


def _case_chart(
    j: Jurisdiction,
    view: View,
    case_events: list[dict],
    status: str,
    publication: dict | None,
) -> dict[str, Any] | None:
    """Minor share of the arrests and of the book-ins at the county's jails (all methods summed,
    then divided), with the 95% interval and small denominators marked; every fiscal year of
    the records."""
    if not case_events:
        return None
    sums: dict[tuple[str, int], list[int]] = {}
    for r in case_events:
        if r["events_with_conviction_coverage"] and r["events_minor"] is not None:
            s = sums.setdefault((r["event_kind"], r["fiscal_year"]), [0, 0])
            s[0] += r["events_minor"] + (r["no_conviction_recorded"] or 0)
            s[1] += r["events_with_conviction_coverage"]
    kinds = sorted({kind for kind, _ in sums})
    if not kinds:
        return None
    first = min(fy for _, fy in sums)
    last = max(fy for _, fy in sums)
    series = []
    for i, kind in enumerate(kinds):
        points = []
        for (k, fy), (minor, total) in sorted(sums.items()):
            if k == kind:
                low, high = wilson(minor, total)
                points.append(Point(fy, minor / total, low, high, total))
        series.append(Series(f"{kind}s (all methods)", points, band=True, mark_small=True, style=i))
    title = (
        f"Minor share of arrests and book-ins (minor conviction or none), {j.label}, "
        f"FY{first}–FY{last}"
    )
    svg = line_chart(title, series, first, last, j.activation_date, status)
    return _figure(title, svg, citation(publication, "cases"))


def _figure(title: str, svg: Any, cite: str) -> dict[str, Any]:
    """A chart as the page shows it: its title, the SVG, and the citation line under it."""
    return {"title": title, "svg": svg, "cite": cite}
