"""The refusals of a scanned load, before anything is staged: an event date outside the
fiscal years the warehouse accepts, a record of an incremental load outside its fiscal years,
a NUL byte in a text column of a Parquet file or a workbook. Each names the file, the first
such record's line (a CSV) or row (Parquet, a workbook), its column and value."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.fiscal import fiscal_year_range, fiscal_year_sql
from orchestration.ingest.cases.fields import event_date_sql, nul_sql
from orchestration.ingest.cases.layouts import LAYOUTS_BY_NAME
from orchestration.ingest.errors import InputFileError
from orchestration.ingest.raw_tables import scalar
from orchestration.ingest.sql_text import ident

PAST_TENSE = {"removal": "departed", "arrest": "arrested", "book-in": "booked in"}


def years(fiscal_years: list[int]) -> str:
    return ", ".join(str(y) for y in sorted(fiscal_years))


def _where(file: str, kind: str, row: int) -> dict:
    """Where a record is, for InputFileError: the line of a CSV (data row n is line n + 1
    under the header), the data row of a Parquet file or a workbook."""
    return {"line": row + 1} if kind in (".csv", ".csv.gz") else {"row": row}


def refuse_out_of_range(
    con: duckdb.DuckDBPyConnection, selects: dict[str, str], kinds: dict[str, str]
) -> None:
    """Every event date of a load falls in the fiscal years the warehouse accepts
    (dbt_project.yml vars: FY2003, ICE's first year, to the last case partition), the same
    rule for every release: a record outside them has no partition to live in and cannot be
    a real ICE event. The counts say whether any is outside (cheap); only then is the first
    such row looked up."""
    first, last = fiscal_year_range()
    outside = con.execute(f"""
        select _source_file, any_value(_layout), sum(n) from raw.cases_load
        where fiscal_year not between {first} and {last}
        group by 1 order by 1""").fetchall()
    if outside:
        file, layout_name, rows = outside[0]
        date = LAYOUTS_BY_NAME[layout_name].date
        row, value = first_row_where(
            con,
            selects[file],
            f"{fiscal_year_sql(event_date_sql(date))} not between {first} and {last}",
            date,
        )
        more = sum(r[2] for r in outside[1:])
        raise InputFileError(
            Path(file),
            f"date {value!r} is outside the fiscal years the warehouse accepts (FY{first} to "
            f"FY{last}, dbt_project.yml vars), so no ICE event's ({rows:,} such record(s) in "
            f"this file{f', {more:,} in other files' if more else ''})",
            column=date,
            **_where(file, kinds[file], row),
        )


def refuse_nul_values(
    con: duckdb.DuckDBPyConnection, select: str, file: str, columns: tuple[str, ...]
) -> None:
    """Refuse the first record of ``file`` (a Parquet file or a workbook: the scan found one)
    whose text ``columns`` hold a NUL byte, counted or not: binary data where text belongs,
    which no reader of the raw view or of an export should meet. (A CSV's every byte is
    checked by the read that hashes it.)"""
    found = con.execute(
        f"select _source_row, {', '.join(ident(c) for c in columns)} from ({select}) "
        f"where {nul_sql(columns)} order by _source_row limit 1"
    ).fetchone()
    if found is None:
        raise LookupError(f"{file}: the scan found a NUL byte the records do not show")
    index = next(i for i, v in enumerate(found[1:]) if v is not None and "\x00" in v)
    raise InputFileError(
        Path(file),
        f"value {found[1 + index]!r} contains a NUL byte: binary data, not text",
        column=columns[index],
        row=int(found[0]),
    )


def first_row_where(
    con: duckdb.DuckDBPyConnection, select: str, condition: str, column: str
) -> tuple[int, str]:
    """The first record (its row number and ``column``'s value) of a file's records view
    ``select`` meeting ``condition``."""
    found = con.execute(
        f"select _source_row, {ident(column)} from ({select}) where {condition} "
        "order by _source_row limit 1"
    ).fetchone()
    if found is None:
        raise LookupError(f"no record where {condition}")
    return int(found[0]), found[1]


def refuse_outside(
    con: duckdb.DuckDBPyConnection, fiscal_years: list[int], selects: dict[str, str]
) -> None:
    """An incremental load may only hold records of its fiscal years (or undated ones)."""
    wanted = ", ".join(str(int(y)) for y in fiscal_years)
    outside = con.execute(f"""
        select _source_file, fiscal_year, sum(n) from raw.cases_load
        where fiscal_year is not null and fiscal_year not in ({wanted})
        group by all order by 1, 2""").fetchall()
    if not outside:
        return
    file, year, rows = outside[0]
    layout = LAYOUTS_BY_NAME[
        scalar(con, "select any_value(_layout) from raw.cases_load where _source_file = ?", [file])
    ]
    date_column = layout.date
    first = con.execute(f"""
        select _source_row, {ident(date_column)} from ({selects[file]})
        where {fiscal_year_sql(event_date_sql(date_column))} = {int(year)}
        order by _source_row limit 1""").fetchone()
    line = first[0] + 1 if first else None  # data row n is line n + 1 under the header
    more = sum(r[2] for r in outside) - rows
    raise InputFileError(
        Path(file),
        f"{rows:,} record(s) {PAST_TENSE.get(layout.event_kind, 'dated')} in fiscal year {year} "
        f"(first: {first[1] if first else None!r})"
        f"{f' and {more:,} more in other years' if more else ''}, outside this incremental "
        f"load's fiscal year(s) {years(fiscal_years)}: load them with --fiscal-year "
        f"{year} as well, or run without --fiscal-year for a full load",
        line=line,
        column=date_column,
    )
