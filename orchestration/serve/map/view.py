"""A map view from the request's parameters (measure, fiscal year) and the publication: its
cells on the map and off it, classified; and the same view as CSV records, one per county."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from orchestration.serve.map import geometry
from orchestration.serve.map.cells import (
    activation_cells,
    g287_cells,
    rate_cells,
    reported_cells,
    share_cells,
)
from orchestration.serve.map.classes import classify
from orchestration.serve.map.measures import MEASURES, Cell, MapView
from orchestration.serve.published import Source, source_named


def _years(con: duckdb.DuckDBPyConnection, table: str, tables: set[str]) -> list[int]:
    assert table in ("mart_jurisdiction_year", "mart_287g_jurisdiction_year")
    if table not in tables:
        return []
    return [
        r[0] for r in con.execute(f"select distinct fiscal_year from {table} order by 1").fetchall()
    ]


def map_view(
    con: duckdb.DuckDBPyConnection,
    params: Mapping[str, str],
    all_sources: dict[str, Source],
    tables: set[str],
) -> MapView:
    interop_loaded = source_named(all_sources, "interop").loaded
    default = "minor_removals" if interop_loaded else "activation"
    key = params.get("map", default)
    measure = MEASURES.get(key, MEASURES[default])
    source = source_named(all_sources, measure.source)
    table = "mart_287g_jurisdiction_year" if measure.source == "g287" else "mart_jurisdiction_year"
    years = _years(con, table, tables) if measure.by_year and source.loaded else []
    fiscal_year: int | None = None
    if years:
        try:
            fiscal_year = int(params.get("fy", years[-1]))
        except ValueError:
            fiscal_year = years[-1]
        if fiscal_year not in years:
            fiscal_year = years[-1]
    cells: list[Cell] = []
    if source.loaded:
        if measure.key in ("minor_removals", "minor_referrals") and fiscal_year is not None:
            cells = share_cells(con, measure.key.removeprefix("minor_"), fiscal_year)
        elif measure.key == "removals_per_100k" and fiscal_year is not None:
            cells = rate_cells(con, fiscal_year)
        elif measure.key == "activation":
            cells = activation_cells(con)
        elif measure.key == "reported_no_conviction" and "mart_place_figure_shares" in tables:
            cells = reported_cells(con)
        elif measure.key.startswith("g287") and fiscal_year is not None:
            cells = g287_cells(con, fiscal_year, measure.key == "g287_presence")
    on_map = {c.fips for c in geometry.atlas().counties}
    view = MapView(
        measure,
        fiscal_year,
        years,
        source,
        cells={c.jurisdiction_id: c for c in cells if c.jurisdiction_id in on_map},
        off_map=sorted(
            (c for c in cells if c.jurisdiction_id not in on_map),
            key=lambda c: (c.state, c.name),
        ),
    )
    classify(view)
    return view


def csv_records(view: MapView, names: dict[str, tuple[str, str, str]]) -> list[dict[str, Any]]:
    """The view as records: every county of the map (those without a row say why), then the
    jurisdictions off the map."""
    labels = {css: text for css, _, text in view.classes}
    records = []
    for county in geometry.atlas().counties:
        cell = view.cells.get(county.fips)
        name, state, _ = names.get(county.fips, (county.name, "", ""))
        records.append(_cell_record(view, labels, county.fips, name, state, cell, on_map=True))
    for cell in view.off_map:
        records.append(
            _cell_record(
                view, labels, cell.jurisdiction_id, cell.name, cell.state, cell, on_map=False
            )
        )
    return records


def _cell_record(
    view: MapView,
    label: dict[str, str],
    fips: str,
    name: str,
    state: str,
    cell: Cell | None,
    on_map: bool,
) -> dict[str, Any]:
    return {
        "jurisdiction_id": fips,
        "name": name,
        "state": state,
        "on_map": on_map,
        "measure": view.measure.key,
        "fiscal_year": view.fiscal_year,
        "value": None if cell is None else cell.value,
        "shown_as": view.absent[1] if cell is None else cell.text,
        "counts": "" if cell is None else cell.count,
        "interval": "" if cell is None else cell.interval,
        "small_denominator": False if cell is None else cell.muted,
        "class": ""
        if cell is None or cell.value is None or cell.muted
        else label.get(cell.css, ""),
    }
