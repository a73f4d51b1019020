"""The row accounting of a run (every raw row it read is loaded into the facts or
quarantined) and what its publication holds (rows per table, data status per source)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# raw tables derived from the loads (matches, case partitions), not read from a source file
MATCHES = {"raw.jurisdiction_matches", "raw.g287_agency_matches"}
REFERENCE_TABLES = ("census_population", "acs_noncitizen", "sc_activation_panel")


def row_accounting(warehouse: Path, run_id: str) -> list[str]:
    """Every raw row this run read is either loaded into the facts or quarantined: say how many
    of each (tables this run did not reload are not reported)."""
    import duckdb

    from orchestration.ingest.raw_tables import scalar

    build = warehouse / "build.duckdb"
    if not build.exists():
        return []
    lines: list[str] = []
    try:
        with duckdb.connect(str(build), read_only=True) as con:
            tables = {
                r[0]
                for r in con.execute(
                    "select table_schema || '.' || table_name from information_schema.tables"
                ).fetchall()
            }
            cases = {t for t in tables if t.startswith("raw.cases")}
            reloaded = _reloaded_by(con, run_id, tables - cases - MATCHES)
            tables = reloaded | (MATCHES & tables)
            if {"raw.interop_reports", "raw.jurisdiction_matches"} <= tables:
                lines.append(_interop_line(con))
            if "raw.cases_load" in cases and scalar(
                con, "select count(*) from raw.cases_load_files where load_id = ?", [run_id]
            ):
                lines += _case_lines(con, run_id, cases)
            if {"raw.g287_agency_years", "raw.g287_agency_matches"} <= tables:
                lines.append(_g287_line(con))
            figure_tables = {"marts.mart_place_figures", "marts.qa_place_figures_quarantined"}
            if "raw.place_figures" in tables and figure_tables <= set(_all(con)):
                lines.append(_place_figures_line(con))
            for table in REFERENCE_TABLES:
                if f"raw.{table}" in tables:
                    n = scalar(con, f"select count(*) from raw.{table}")
                    lines.append(f"{table} rows: {n:,} read, all loaded")
    except duckdb.Error:
        return []
    return lines


def _reloaded_by(con: Any, run_id: str, candidates: set[str]) -> set[str]:
    """The raw tables among ``candidates`` that this run loaded rows into (the tables rows are
    loaded into carry the load id; raw._source_loads does not)."""
    from orchestration.ingest.raw_tables import scalar

    with_load_id = {
        r[0]
        for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.columns "
            "where column_name = '_load_id'"
        ).fetchall()
    }
    return {
        t
        for t in candidates
        if t.startswith("raw.")
        and t in with_load_id
        and scalar(con, f"select count(*) filter (where _load_id = ?) > 0 from {t}", [run_id])
    }


def _interop_line(con: Any) -> str:
    from orchestration.ingest.raw_tables import first_row

    raw, loaded, quarantined = first_row(
        con,
        """
        select count(*), count(m.jurisdiction_id),
               count(*) - count(m.jurisdiction_id)
        from raw.interop_reports r
        left join raw.jurisdiction_matches m
          on r.state is not distinct from m.published_state
         and r.jurisdiction is not distinct from m.published_name""",
    )
    return f"interop rows: {raw:,} read = {loaded:,} loaded + {quarantined:,} quarantined"


def _case_lines(con: Any, run_id: str, cases: set[str]) -> list[str]:
    """The case load of this run: rows read, and, once merged, where the held rows went."""
    from orchestration.ingest.raw_tables import first_row, scalar

    read = scalar(con, "select sum(n) from raw.cases_load")
    merged = (
        scalar(con, "select count(*) from raw.cases_grouped where _load_id = ?", [run_id])
        if "raw.cases_grouped" in cases
        else 0
    )
    lines = [
        f"case rows: {read:,} read in this load"
        + ("" if merged else " (not merged: a check refused it)")
    ]
    if merged and "raw.cases_jurisdiction_matches" in cases:
        total, quarantined = first_row(
            con,
            """
            select coalesce(sum(rows), 0), coalesce(sum(rows) filter (
                where jurisdiction_id is null), 0)
            from raw.cases_jurisdiction_matches""",
        )
        if total:
            lines.append(
                f"case removals held: {total:,} = {total - quarantined:,} placed + "
                f"{quarantined:,} quarantined (qa_cases_quarantined)"
            )
    if merged and "raw.cases_place_matches" in cases:
        total, at_county = first_row(
            con,
            """
            select coalesce(sum(rows), 0), coalesce(sum(rows) filter (
                where jurisdiction_id is not null), 0)
            from raw.cases_place_matches""",
        )
        if total:
            lines.append(
                f"case events (arrests, book-ins) held: {total:,} = {at_county:,} "
                f"at a county jail + {total - at_county:,} at state level "
                "(qa_case_places)"
            )
    return lines


def _all(con: Any) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    ]


def _place_figures_line(con: Any) -> str:
    """Compiled place figures: every row read is published or quarantined with its reason."""
    from orchestration.ingest.raw_tables import first_row

    read, published, quarantined = first_row(
        con,
        """
        select (select count(*) from raw.place_figures),
               (select count(*) from marts.mart_place_figures),
               (select count(*) from marts.qa_place_figures_quarantined)""",
    )
    return (
        f"place figure rows: {read:,} read = {published:,} published + {quarantined:,} "
        "quarantined (qa_place_figures_quarantined)"
    )


def _g287_line(con: Any) -> str:
    from orchestration.ingest.raw_tables import first_row

    read, placed = first_row(
        con,
        """
        select count(*), count(m.jurisdiction_id)
        from raw.g287_agency_years r
        left join raw.g287_agency_matches m
          on r.state is not distinct from m.published_state
         and r.agency is not distinct from m.published_agency""",
    )
    return (
        f"287(g) agency-year rows: {read:,} read = {placed:,} placed + "
        f"{read - placed:,} quarantined (qa_287g_quarantined_agencies)"
    )


def published_counts(serving: Path) -> list[tuple[str, int]]:
    from orchestration.ingest.raw_tables import scalar
    from orchestration.serve.published import published, published_tables

    with published(serving) as con:
        return [(t, scalar(con, f'select count(*) from "{t}"')) for t in published_tables(con)]


def data_status(serving: Path) -> tuple[str, list[tuple[str, str, int]]]:
    """The published file's overall data status and (source, status, rows) per source."""
    from orchestration.ingest.raw_tables import scalar
    from orchestration.serve.published import published

    with published(serving) as con:
        overall = scalar(con, "select data_status from _publication")
        rows = con.execute(
            "select source, data_status, rows from _publication_sources order by source"
        ).fetchall()
    return overall, rows
