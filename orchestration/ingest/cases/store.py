"""The staged load and the warehouse's case records: a scanned load is staged beside the records
(raw.cases_load_files, raw.cases_load_records, raw.cases_load_scope, raw.cases_load_counts), and
once the blocking checks on it passed, merge_cases_load moves it into raw.cases_grouped,
raw.cases_files and the raw.cases view."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.fiscal import fiscal_year_range
from orchestration.ingest.raw_tables import has_table, scalar, transaction


def stage(
    con: duckdb.DuckDBPyConnection, files: list[tuple], fiscal_years: list[int] | None, load_id: str
) -> None:
    """Record this load beside the warehouse's case records, not yet in them: its files, the
    fiscal years it replaces and its counts per fiscal year (kept across loads: the
    completeness gate compares against them). merge_cases_load moves it in once the checks on
    it passed."""
    con.execute(
        "create or replace table raw.cases_load_files (file varchar, sha256 varchar, "
        "format varchar, load_id varchar, view_sql varchar, layout varchar)"
    )
    con.executemany("insert into raw.cases_load_files values (?, ?, ?, ?, ?, ?)", files)
    _replace_view(con, "raw.cases_load_records", [f[4] for f in files])
    # the fiscal years this load replaces (every partition for a full load)
    first, last = fiscal_year_range()
    scope = (
        f"select unnest(range({first}, {last + 1})) as fiscal_year"
        if fiscal_years is None
        else f"select unnest([{', '.join(str(int(y)) for y in fiscal_years)}]) as fiscal_year"
    )
    con.execute(f"create or replace table raw.cases_load_scope as {scope}")
    con.execute("""create table if not exists raw.cases_load_counts (
                       load_id varchar, loaded_at timestamp, fiscal_year integer,
                       rows bigint, published boolean)""")
    con.execute("delete from raw.cases_load_counts where load_id = ?", [load_id])
    con.execute(
        """insert into raw.cases_load_counts
                   select ?, current_timestamp, fiscal_year, sum(n), false
                   from raw.cases_load where fiscal_year is not null group by fiscal_year""",
        [load_id],
    )


def _replace_view(con: duckdb.DuckDBPyConnection, name: str, selects: list[str]) -> None:
    schema, table = name.split(".")
    old = con.execute(
        "select table_type from information_schema.tables "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    if old:  # raw.cases was a table in warehouses built before it became a view
        con.execute(f"drop {'view' if old[0] == 'VIEW' else 'table'} {name}")
    if selects:
        con.execute(f"create view {name} as " + " union all by name ".join(selects))


def merge_cases_load(con: duckdb.DuckDBPyConnection, full: bool) -> int:
    """Move the staged load (raw.cases_load) into the warehouse's case records: a ``full`` load
    replaces raw.cases_grouped; an incremental one replaces its fiscal years (and the undated
    records of its files). Updates raw.cases_files and the raw.cases view over the files the
    records came from. One transaction; returns the records now held."""
    with transaction(con):
        _add_new_columns(con)
        if full or not has_table(con, "raw", "cases_grouped"):
            con.execute("create or replace table raw.cases_grouped as select * from raw.cases_load")
            con.execute(
                "create or replace table raw.cases_files as select * from raw.cases_load_files"
            )
        else:
            con.execute("""
                delete from raw.cases_grouped
                where fiscal_year in (select fiscal_year from raw.cases_load_scope)
                   or (fiscal_year is null
                       and _source_file in (select file from raw.cases_load_files))""")
            con.execute("insert into raw.cases_grouped by name select * from raw.cases_load")
            con.execute(
                "delete from raw.cases_files where file in (select file from raw.cases_load_files)"
            )
            con.execute("insert into raw.cases_files by name select * from raw.cases_load_files")
            # files whose records were all replaced no longer belong to the raw layer
            con.execute(
                "delete from raw.cases_files where file not in "
                "(select distinct _source_file from raw.cases_grouped)"
            )
        # raw.cases: a view over the files the records came from (a file moved away since an
        # earlier load is left out of the view; its counts stay in raw.cases_grouped)
        _replace_view(
            con,
            "raw.cases",
            [
                sql
                for file, sql in con.execute(
                    "select file, view_sql from raw.cases_files order by file"
                ).fetchall()
                if sql is not None and Path(file).exists()
            ],
        )
    return scalar(con, "select coalesce(sum(n), 0) from raw.cases_grouped")


def _add_new_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses loaded before case layouts lack the layout columns: add them (NULL = the
    removals layout, the only one then)."""
    added = {
        "cases_grouped": ("_layout", "event_kind", "place", "method", "most_serious_conviction"),
        "cases_files": ("layout",),
    }
    for table, columns in added.items():
        if has_table(con, "raw", table):
            for column in columns:
                con.execute(f"alter table raw.{table} add column if not exists {column} varchar")
