"""The dashboard: a small Starlette app that renders pages from the published marts.

Why this shape: it must work with no network (no CDN), escape everything that comes from data,
read only the published file, and start with one command. Server-rendered HTML (Jinja2 with
autoescaping) plus inline SVG charts does all four with libraries already in the lock
(starlette, uvicorn, jinja2 come with dagster-webserver and dbt): no JavaScript bundle to ship or
audit, nothing for a browser to fetch but the page and one stylesheet.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from orchestration.fiscal import current_fiscal_year
from orchestration.serve import charts
from orchestration.serve.published import (
    LEVEL_LABELS,
    LEVELS,
    MEASURES,
    SINGULAR,
    SMALL_COUNT,
    Jurisdiction,
    PublishedFileMissing,
    QueryTimedOut,
    csv_safe,
    find_jurisdictions,
    fiscal_years,
    jurisdictions,
    publication_info,
    published,
    published_tables,
    ranking,
    rows,
    states,
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
        )
        for r in rows
    ]


def jurisdiction_panel(con, j: Jurisdiction, view: View, status: str = "") -> dict[str, Any]:
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
    share_charts = []
    for measure in MEASURES:
        groups = [
            (
                fy,
                _bars(
                    measure,
                    by_year["j"].get(fy),
                    by_year["s"].get(fy),
                    by_year["n"].get(fy),
                    labels,
                ),
            )
            for fy in years
        ]
        share_charts.append(
            charts.stacked_shares(
                f"{measure.capitalize()} by offense level — {j.label} vs {j.state} vs nation",
                measure,
                groups,
                status,
            )
        )
    minor_charts = [
        charts.minor_share_lines(
            f"Minor share of {measure} ((L3 + NC) / total) — {j.label}",
            [
                (j.label, _points(jur_rows, measure, True)),
                (f"{j.state} (state)", _points(state_rows, measure, False)),
                ("United States", _points(nation_rows, measure, False)),
            ],
            view.fy_from,
            view.fy_to,
            j.activation_date,
            status,
        )
        for measure in MEASURES
    ]
    return {
        "jurisdiction": j,
        "rows": jur_rows,
        "state_rows": state_rows,
        "nation_rows": nation_rows,
        "share_charts": share_charts,
        "minor_charts": minor_charts,
    }


def _context(con, request: Request) -> dict[str, Any]:
    # no fiscal year at all when the statistics are not loaded: the page still renders, empty
    years = fiscal_years(con) or [current_fiscal_year()]
    known_states = states(con)
    view = View.parse(request, years, known_states)
    candidates = jurisdictions(con)
    matches = find_jurisdictions(candidates, view.q, view.state)
    context: dict[str, Any] = {
        "view": view,
        "years": years,
        "states": known_states,
        "all_jurisdictions": candidates,
        "matches": matches,
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
        context.update(jurisdiction_panel(con, matches[0], view, status))
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
    ranked, flagged = ranking(con, view.fy_to, view.measure, view.state)
    context.update(ranked=ranked, flagged=flagged)
    return context


def make_app(serving_db: Path) -> Starlette:
    def index(request: Request) -> Response:
        try:
            with published(serving_db) as con:  # the same limits as scomm sql (QueryLimits)
                context = _context(con, request)
        except (PublishedFileMissing, QueryTimedOut) as exc:
            return PlainTextResponse(str(exc), status_code=503)
        html = TEMPLATES.get_template("dashboard.html").render(**context)
        return HTMLResponse(html)

    def download(request: Request) -> Response:
        """The data behind the current view as CSV: the jurisdiction, its state and the nation
        by fiscal year (view=jurisdiction) or the ranking table (view=ranking)."""
        try:
            with published(serving_db) as con:
                context = _context(con, request)
        except (PublishedFileMissing, QueryTimedOut) as exc:
            return PlainTextResponse(str(exc), status_code=503)
        kind = request.query_params.get("view", "jurisdiction")
        out = io.StringIO()
        if kind == "ranking":
            records = [{"ranked": True, **r} for r in context["ranked"]] + [
                {"ranked": False, "rank": None, **r} for r in context["flagged"]
            ]
            filename = f"ranking_{context['view'].measure}_FY{context['view'].fy_to}.csv"
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
        records = [{**r, "data_status": status} for r in records]
        columns: list[str] = []
        for record in records:
            columns += [c for c in record if c not in columns]
        writer = csv.DictWriter(out, fieldnames=columns)  # \r\n: a CR in a value is quoted
        writer.writeheader()
        # formula-safe: a name such as =HYPERLINK(…) is text in a spreadsheet, never a formula
        writer.writerows({k: csv_safe(v) for k, v in r.items()} for r in records)
        return Response(
            out.getvalue(),
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
            Route("/download.csv", download),
            Route("/healthz", healthz),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
    )


def serve(serving_db: Path, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(make_app(serving_db), host=host, port=port, log_level="warning")
