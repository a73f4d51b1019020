"""The home page: the national series beside the figures ICE published, the rollout, and a
county map of the United States for a chosen measure and fiscal year.

Read-only on the published file like the rest of the dashboard; every view is a link
(`/?map=MEASURE&fy=YEAR`) with a CSV of the data behind it (`/home.csv?view=...`). A source
that is not in the publication is said to be "not loaded" and never drawn as 0; a county
without a value is "no data"; a share or rate whose denominator is under SMALL_COUNT is drawn
muted (a pattern, not a colour) and its tooltip says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from orchestration import fiscal
from orchestration.serve.charts import home as charts
from orchestration.serve.map import cells, geometry
from orchestration.serve.map.classes import other_classes
from orchestration.serve.map.draw import draw_map
from orchestration.serve.map.measures import MEASURES
from orchestration.serve.map.view import csv_records, map_view
from orchestration.serve.pages.reported import reported_chart, reported_shares
from orchestration.serve.params import place_url
from orchestration.serve.published import (
    SMALL_COUNT,
    publication_info,
    published_tables,
    rows,
    source_named,
    sources,
)

# ---------------------------------------------------------------------------------------------
# The national series, the published figures and the rollout


def national_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return rows(con, "select * from mart_national_year order by fiscal_year")


def published_national(con: duckdb.DuckDBPyConnection, tables: set[str]) -> list[dict[str, Any]]:
    if "mart_published_figures" not in tables:
        return []
    return rows(
        con,
        """
        select program, scope, period_start, period_end, fiscal_year, metric, value,
               is_approximate, note, source_url, source_kind, source_class
        from mart_published_figures where geography = 'national'
        order by period_end, program desc, metric""",
    )


def published_minor_shares(figures: list[dict[str, Any]]) -> list[charts.Published]:
    """Minor shares of removals the published figures allow for a fiscal year: (Level 3 +
    non-criminal) / total, when all three were published for the same scope and year."""
    groups: dict[tuple[str, str, int], dict[str, dict[str, Any]]] = {}
    for f in figures:
        if f["fiscal_year"] is not None:
            groups.setdefault((f["program"], f["scope"], f["fiscal_year"]), {})[f["metric"]] = f
    out = []
    for (program, scope, year), metrics in sorted(groups.items(), key=lambda kv: kv[0][2]):
        total = metrics.get("removals_total") or metrics.get("removed_total")
        l3, nc = metrics.get("removed_level3"), metrics.get("removed_noncriminal")
        if total and l3 and nc and total["value"]:
            approximate = any(m["is_approximate"] for m in (total, l3, nc))
            out.append(
                charts.Published(
                    year,
                    (l3["value"] + nc["value"]) / total["value"],
                    f"{program} ({scope}): ({l3['value']:,} Level 3 + {nc['value']:,} "
                    f"non-criminal) / {total['value']:,} removals"
                    + (" — approximate" if approximate else ""),
                )
            )
    return out


def rollout_rows(con: duckdb.DuckDBPyConnection, tables: set[str]) -> list[dict[str, Any]]:
    if "mart_rollout" not in tables:
        return []
    return rows(con, "select * from mart_rollout order by activation_date")


def rollout_by_year(rollout: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rollout at the end of each fiscal year (the last activation date in it)."""
    last: dict[int, dict[str, Any]] = {}
    for r in rollout:
        last[fiscal.fiscal_year(r["activation_date"])] = r
    return [{"fiscal_year": y, **last[y]} for y in sorted(last)]


# ---------------------------------------------------------------------------------------------
# The page


def context(con: duckdb.DuckDBPyConnection, params: Mapping[str, str]) -> dict[str, Any]:
    publication = publication_info(con)
    status = publication["status_label"] if publication else ""
    published_at = publication["published_at"] if publication else None
    tables = set(published_tables(con))
    all_sources = sources(con, tables)
    national = national_rows(con)
    figures = published_national(con, tables)
    published_shares = published_minor_shares(figures)
    rollout = rollout_rows(con, tables)
    view = map_view(con, params, all_sources, tables)
    names = cells.names(con, f"{publication['run_id']}@{published_at}" if publication else None)
    interop = source_named(all_sources, "interop")
    reported = [] if interop.loaded else reported_shares(con, tables)
    figures_source = source_named(all_sources, "figures")
    activations = source_named(all_sources, "activations")
    return {
        "publication": publication,
        "status": status,
        "sources": all_sources,
        "national": national,
        "national_chart": charts.national_series(
            national,
            published_shares,
            interop.loaded,
            status,
            [fiscal.fiscal_year(r["activation_date"]) for r in rollout],
        ),
        "national_citation": interop.citation(published_at),
        "reported": reported,
        "reported_chart": reported_chart(reported, status) if reported else None,
        "reported_citation": source_named(all_sources, "figures").citation(published_at)
        + " "
        + source_named(all_sources, "place_figures").citation(published_at),
        "published_shares": published_shares,
        "figures": figures,
        "figures_source": figures_source,
        "figures_citation": figures_source.citation(published_at),
        "rollout": rollout,
        "rollout_years": rollout_by_year(rollout),
        "rollout_chart": charts.rollout(rollout, activations.loaded, status),
        "rollout_citation": activations.citation(published_at)
        + " Coverage of counties and population: "
        + source_named(all_sources, "population").citation(published_at).removeprefix("Source: "),
        "map": view,
        "map_svg": draw_map(view, names, status),
        "map_counts": view.css_counts,
        "map_other_classes": other_classes(view),
        "map_citation": view.source.citation(published_at)
        + (
            " Rates: "
            + source_named(all_sources, "noncitizen")
            .citation(published_at)
            .removeprefix("Source: ")
            if view.measure.key == "removals_per_100k"
            else ""
        )
        + " "
        + geometry.ATLAS_CITATION
        + ".",
        "measures": MEASURES,
        "small_count": SMALL_COUNT,
        "county_url": place_url,
    }


# ---------------------------------------------------------------------------------------------
# CSV of each view

CSV_VIEWS = ("national", "figures", "reported", "rollout", "map")


def csv_rows(
    con: duckdb.DuckDBPyConnection, params: Mapping[str, str]
) -> tuple[str, list[dict[str, Any]]]:
    """(filename, records) of a home-page view; ValueError for an unknown view."""
    kind = params.get("view", "")
    tables = set(published_tables(con))
    if kind == "national":
        return "national_by_fiscal_year.csv", national_rows(con)
    if kind == "figures":
        return "published_figures_national.csv", published_national(con, tables)
    if kind == "reported":
        return "published_no_conviction_shares.csv", reported_shares(con, tables)
    if kind == "rollout":
        return "rollout.csv", rollout_rows(con, tables)
    if kind == "map":
        view = map_view(con, params, sources(con, tables), tables)
        records = csv_records(view, cells.names(con, None))
        year = f"_FY{view.fiscal_year}" if view.fiscal_year else ""
        return f"map_{view.measure.key}{year}.csv", records
    raise ValueError(f"unknown view {kind!r}: one of {', '.join(CSV_VIEWS)}")
