"""The explorer (`/?q=...`): find a place by name, city or FIPS, rank the jurisdictions by minor
share over a period, the national figures the agencies published; when the search finds one
place, its page (place.py). Its CSV: the ranking, or the place beside its state and the nation."""

from __future__ import annotations

from typing import Any

import duckdb
from starlette.requests import Request

from orchestration.fiscal import current_fiscal_year
from orchestration.serve import search
from orchestration.serve.charts.place import LEVEL_COLORS
from orchestration.serve.pages.place import jurisdiction_panel
from orchestration.serve.params import View
from orchestration.serve.published import (
    LEVEL_LABELS,
    LEVELS,
    MEASURES,
    SINGULAR,
    SMALL_COUNT,
    citation,
    fiscal_years,
    jurisdictions,
    other_fiscal_years,
    publication_info,
    published_tables,
    ranking,
    rows,
    states,
)


def context(con: duckdb.DuckDBPyConnection, request: Request) -> dict[str, Any]:
    """The explorer's page: the search and its matches, the place page when there is one
    match, the ranking and the published figures."""
    # no fiscal year at all when the statistics are not loaded: the page still renders, empty
    years = fiscal_years(con) or other_fiscal_years(con) or [current_fiscal_year()]
    known_states = states(con)
    view = View.parse(request, years, known_states)
    candidates = jurisdictions(con)
    found = search.find(candidates, search.city_rows(con), view.q, view.state)
    matches = found.matches
    page: dict[str, Any] = {
        "view": view,
        "years": years,
        "states": known_states,
        "all_jurisdictions": candidates,
        "matches": matches,
        "found": found,
        "levels": LEVELS,
        "level_labels": LEVEL_LABELS,
        "level_colors": LEVEL_COLORS,
        "measures": MEASURES,
        "singular": SINGULAR,
        "small_count": SMALL_COUNT,
        "query": request.query_params,
    }
    publication = publication_info(con)
    page["publication"] = publication
    status = publication["status_label"] if publication else ""
    if len(matches) == 1:
        page.update(jurisdiction_panel(con, matches[0], view, status, publication))
    page["published_figures"] = (
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
    page.update(
        ranked=ranked,
        flagged=flagged,
        ranking_citation=citation(publication, "interop"),
        figures_citation=citation(publication, "figures"),
    )
    return page


def download(page: dict[str, Any], kind: str) -> tuple[str, list[dict[str, Any]]] | None:
    """(filename, records) of the data behind the view: the ranking table (kind "ranking") or
    the place, its state and the nation by fiscal year; None when no single place is chosen."""
    view = page["view"]
    if kind == "ranking":
        records = [{"ranked": True, **r} for r in page["ranked"]] + [
            {"ranked": False, "rank": None, **r} for r in page["flagged"]
        ]
        return f"ranking_{view.measure}_FY{view.fy_from}-FY{view.fy_to}.csv", records
    if kind == "place_figures" and page.get("record") is not None:
        record = page["record"]
        return f"{record.jurisdiction_id}_place_figures.csv", list(record.figures)
    if "rows" in page:
        j = page["jurisdiction"]
        records = (
            [{"level": "jurisdiction", **r} for r in page["rows"]]
            + [{"level": "state", **r} for r in page["state_rows"]]
            + [{"level": "nation", **r} for r in page["nation_rows"]]
        )
        return f"{j.jurisdiction_id}_FY{view.fy_from}-{view.fy_to}.csv", records
    return None
