"""The dashboard: a small Starlette app that renders pages from the published marts.

Why this shape: it must work with no network (no CDN), escape everything that comes from data,
read only the published file, and start with one command. Server-rendered HTML (Jinja2 with
autoescaping) plus inline SVG charts does all four with libraries already in the lock
(starlette, uvicorn, jinja2 come with dagster-webserver and dbt): no JavaScript bundle to ship or
audit, nothing for a browser to fetch but the page and one stylesheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from orchestration.fiscal import current_fiscal_year, fiscal_year_range
from orchestration.serve import charts, home, search
from orchestration.serve.published import (
    LEVEL_LABELS,
    LEVELS,
    MEASURES,
    SINGULAR,
    SMALL_COUNT,
    Jurisdiction,
    PublishedFileMissing,
    QueryTimedOut,
    citation,
    fiscal_years,
    jurisdictions,
    other_fiscal_years,
    publication_info,
    published,
    published_tables,
    ranking,
    records_csv,
    rows,
    states,
    table_rows,
    wilson,
    year_rows,
)

HERE = Path(__file__).parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html", "xml"])
)


@dataclass(frozen=True)
class View:
    """The current view, from the query string (bad values fall back to defaults)."""

    q: str
    state: str | None
    fy_from: int
    fy_to: int
    measure: str

    @classmethod
    def parse(cls, request: Request, years: list[int], known_states: list[str]) -> View:
        params = request.query_params

        def year(name: str, default: int) -> int:
            try:
                value = int(params.get(name, default))
            except ValueError:
                return default
            return min(max(value, years[0]), years[-1])

        state = params.get("state") or None
        fy_from, fy_to = year("fy_from", years[0]), year("fy_to", years[-1])
        if fy_from > fy_to:
            fy_from, fy_to = fy_to, fy_from
        measure = params.get("measure", "removals")
        return cls(
            q=params.get("q", "").strip(),
            state=state if state in known_states else None,
            fy_from=fy_from,
            fy_to=fy_to,
            measure=measure if measure in MEASURES else "removals",
        )


def _bars(
    measure: str,
    jur: dict | None,
    state: dict | None,
    nation: dict | None,
    labels: tuple[str, str, str],
) -> list[charts.Bar]:
    bars = []
    for row, label in zip((jur, state, nation), labels, strict=True):
        if row is None:
            continue
        bars.append(
            charts.Bar(
                label, {lv: row[f"{measure}_{lv}"] for lv in LEVELS}, row[f"{measure}_total"]
            )
        )
    return bars


def _points(rows: list[dict], measure: str, interval: bool) -> list[charts.Point]:
    return [
        charts.Point(
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


def jurisdiction_panel(
    con, j: Jurisdiction, view: View, status: str = "", publication: dict | None = None
) -> dict[str, Any]:
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
    by_year = {
        "j": {r["fiscal_year"]: r for r in jur_rows},
        "s": {r["fiscal_year"]: r for r in state_rows},
        "n": {r["fiscal_year"]: r for r in nation_rows},
    }
    years = list(range(view.fy_from, view.fy_to + 1))
    labels = (j.name, j.state, "US")
    status = status or "Data status unknown: no publication record"
    cite = citation(publication, "interop")
    share_charts, minor_charts, state_notes = [], [], {}
    for measure in MEASURES:
        alone = _state_alone(measure, by_year["j"], by_year["s"])
        state_notes[measure] = _state_note(measure, state_rows, alone)
        groups = [
            (
                fy,
                _bars(
                    measure,
                    by_year["j"].get(fy),
                    None if fy in alone else by_year["s"].get(fy),
                    by_year["n"].get(fy),
                    labels,
                ),
            )
            for fy in years
        ]
        title = (
            f"{measure.capitalize()} by offense level, {j.label} beside {j.state} "
            f"({state_notes[measure]}) and the nation, FY{view.fy_from}–FY{view.fy_to}"
        )
        share_charts.append(
            _figure(title, charts.stacked_shares(title, measure, groups, status), cite)
        )
        state_points = [
            p for p in _points(state_rows, measure, False) if p.fiscal_year not in alone
        ]
        title = (
            f"Minor share of {measure} ((L3 + NC) / total), {j.label}, "
            f"FY{view.fy_from}–FY{view.fy_to}, with its 95% interval"
        )
        svg = charts.line_chart(
            title,
            [
                charts.Series(j.label, _points(jur_rows, measure, True), True, "", True),
                charts.Series(
                    f"{j.state} (state)",
                    state_points,
                    note=state_notes[measure].split(";")[0],
                    style=1,
                ),
                charts.Series("United States", _points(nation_rows, measure, False), style=2),
            ],
            view.fy_from,
            view.fy_to,
            j.activation_date,
            status,
        )
        minor_charts.append(_figure(title, svg, cite))
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
        "citations": {
            "interop": citation(publication, "interop"),
            "rates": citation(publication, "interop", "noncitizen", "g287"),
            "activations": citation(publication, "activations", "interop"),
            "g287": citation(publication, "g287", "noncitizen"),
            "cases": citation(publication, "cases"),
        },
    }


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
                points.append(charts.Point(fy, minor / total, low, high, total))
        series.append(
            charts.Series(f"{kind}s (all methods)", points, band=True, mark_small=True, style=i)
        )
    title = (
        f"Minor share of arrests and book-ins (minor conviction or none), {j.label}, "
        f"FY{first}–FY{last}"
    )
    svg = charts.line_chart(title, series, first, last, j.activation_date, status)
    return _figure(title, svg, citation(publication, "cases"))


def _figure(title: str, svg: Any, cite: str) -> dict[str, Any]:
    """A chart as the page shows it: its title, the SVG, and the citation line under it."""
    return {"title": title, "svg": svg, "cite": cite}


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

    def series(rows_: list[dict], column: str) -> list[charts.Point]:
        return [
            charts.Point(r["fiscal_year"], r.get(column))
            for r in rows_
            if view.fy_from <= r["fiscal_year"] <= view.fy_to
        ]

    lines = [
        charts.Series("SC removals", series(jur_rows, "removals_per_100k_noncitizens")),
        charts.Series("SC referrals", series(jur_rows, "referrals_per_100k_noncitizens"), style=1),
        charts.Series(
            "287(g) removals", series(programs, "g287_removed_per_100k_noncitizens"), style=3
        ),
    ]
    lines = [s for s in lines if any(p.share is not None for p in s.points)]
    if not lines:
        return None
    title = f"Per 100,000 non-citizen residents, {j.label}, FY{view.fy_from}–FY{view.fy_to}"
    svg = charts.line_chart(
        title, lines, view.fy_from, view.fy_to, j.activation_date, status, percent=False
    )
    g287 = ["g287"] if any("287" in s.label for s in lines) else []
    sources = ["interop", "noncitizen", *g287]
    return _figure(title, svg, citation(publication, *sources))


def _context(con, request: Request) -> dict[str, Any]:
    # no fiscal year at all when the statistics are not loaded: the page still renders, empty
    years = fiscal_years(con) or other_fiscal_years(con) or [current_fiscal_year()]
    known_states = states(con)
    view = View.parse(request, years, known_states)
    candidates = jurisdictions(con)
    found = search.find(candidates, search.city_rows(con), view.q, view.state)
    matches = found.matches
    context: dict[str, Any] = {
        "view": view,
        "years": years,
        "states": known_states,
        "all_jurisdictions": candidates,
        "matches": matches,
        "found": found,
        "levels": LEVELS,
        "level_labels": LEVEL_LABELS,
        "level_colors": charts.LEVEL_COLORS,
        "measures": MEASURES,
        "singular": SINGULAR,
        "small_count": SMALL_COUNT,
        "query": request.query_params,
    }
    publication = publication_info(con)
    context["publication"] = publication
    status = publication["status_label"] if publication else ""
    if len(matches) == 1:
        context.update(jurisdiction_panel(con, matches[0], view, status, publication))
    context["published_figures"] = (
        rows(
            con,
            "select program, period_start, period_end, metric, value, is_approximate, "
            "source_url, source_class from mart_published_figures "
            "where geography = 'national' order by program desc, period_end, metric",
        )
        if "mart_published_figures" in published_tables(con)
        else []
    )
    ranked, flagged = ranking(con, view.fy_from, view.fy_to, view.measure, view.state)
    context.update(
        ranked=ranked,
        flagged=flagged,
        ranking_citation=citation(publication, "interop"),
        figures_citation=citation(publication, "figures"),
    )
    return context


def about_context(con) -> dict[str, Any]:
    """The About page: the publication's record in full (files, sha256, run), per source."""
    publication = publication_info(con)
    sources = (
        rows(con, "select * from _publication_sources order by source")
        if "_publication_sources" in published_tables(con)
        else []
    )
    return {
        "publication": publication,
        "sources": sources,
        "small_count": SMALL_COUNT,
        "level_labels": LEVEL_LABELS,
        "tables": published_tables(con),
    }


def make_app(serving_db: Path) -> Starlette:
    def index(request: Request) -> Response:
        try:
            with published(serving_db) as con:  # the same limits as scomm sql (QueryLimits)
                if home.is_home(request.query_params):
                    context = home.context(con, request.query_params)
                    template = "home.html"
                else:
                    context = _context(con, request)
                    template = "dashboard.html"
        except (PublishedFileMissing, QueryTimedOut) as exc:
            return PlainTextResponse(str(exc), status_code=503)
        return HTMLResponse(TEMPLATES.get_template(template).render(**context))

    def home_csv(request: Request) -> Response:
        """The data behind a home-page view (national, figures, rollout, map) as CSV."""
        try:
            with published(serving_db) as con:
                filename, records = home.csv_rows(con, request.query_params)
                publication = publication_info(con)
        except PublishedFileMissing as exc:
            return PlainTextResponse(str(exc), status_code=503)
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        status = publication["data_status"] if publication else "unknown"
        return Response(
            records_csv(records, status),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    def about(_: Request) -> Response:
        try:
            with published(serving_db) as con:
                context = about_context(con)
        except PublishedFileMissing as exc:
            return PlainTextResponse(str(exc), status_code=503)
        return HTMLResponse(TEMPLATES.get_template("about.html").render(**context))

    def download(request: Request) -> Response:
        """The data behind the current view as CSV: the jurisdiction, its state and the nation
        by fiscal year (view=jurisdiction) or the ranking table (view=ranking)."""
        try:
            with published(serving_db) as con:
                context = _context(con, request)
        except (PublishedFileMissing, QueryTimedOut) as exc:
            return PlainTextResponse(str(exc), status_code=503)
        kind = request.query_params.get("view", "jurisdiction")
        if kind == "ranking":
            records = [{"ranked": True, **r} for r in context["ranked"]] + [
                {"ranked": False, "rank": None, **r} for r in context["flagged"]
            ]
            view = context["view"]
            filename = f"ranking_{view.measure}_FY{view.fy_from}-FY{view.fy_to}.csv"
        elif "rows" in context:
            j = context["jurisdiction"]
            records = (
                [{"level": "jurisdiction", **r} for r in context["rows"]]
                + [{"level": "state", **r} for r in context["state_rows"]]
                + [{"level": "nation", **r} for r in context["nation_rows"]]
            )
            view = context["view"]
            filename = f"{j.jurisdiction_id}_FY{view.fy_from}-{view.fy_to}.csv"
        else:
            return PlainTextResponse("choose one jurisdiction first", status_code=400)
        # every row says whether its numbers are real (the publication's data status)
        publication = context["publication"]
        status = publication["data_status"] if publication else "unknown"
        body = records_csv(records, status)  # formula-safe, data_status on every row
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    def healthz(_: Request) -> Response:
        return PlainTextResponse(
            "ok" if serving_db.exists() else "no published file",
            status_code=200 if serving_db.exists() else 503,
        )

    return Starlette(
        routes=[
            Route("/", index),
            Route("/about", about),
            Route("/download.csv", download),
            Route("/home.csv", home_csv),
            Route("/healthz", healthz),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
    )


def serve(serving_db: Path, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(make_app(serving_db), host=host, port=port, log_level="warning")
