"""Case-level records (FOIA releases, one row per event: removal, arrest, book-in), at scale, in
one pass.

Every file's layout is recognised from its header (ingest/case_layouts.py declares the layouts
as data: which published column is the event date, state, county, place, method, threat level,
criminality, most serious conviction); the scan projects each file onto those fields, so the
files of one load may come in different layouts.

Accepted: `.csv`, `.csv.gz`, `.parquet` and `.xlsx` (every sheet; the header row is found among
the first rows, so the six preamble rows of real releases are skipped, and sheets that continue
the previous one without a header are read as its continuation), several files per load.

Millions of rows are read exactly once. A load is staged, checked, then merged:

* `raw.cases_load` — the single scan of this load's files: rows counted by file, layout, event
  kind, state and county, place, method, fiscal year of the event date (NULL when unreadable),
  threat level, criminality and most serious conviction as published.
  `raw.cases_load_records` is a view over the files themselves (every column as published,
  with file, sha256 and row number; nothing is copied), for the
  sample suite and for naming a row in an error. An .xlsx workbook is converted once to
  Parquet under the warehouse (a columnar copy pays for itself: it is read faster).
* `raw.cases_load_counts` — records per fiscal year of every load, kept across loads (the
  completeness gate), and `raw.cases_load_scope` — the fiscal years this load replaces.
* after the blocking checks passed, `merge_cases_load` moves the load into `raw.cases_grouped`
  (the warehouse's records, counted: every fiscal year for a full load, the load's fiscal
  years for an incremental one), `raw.cases_files` and the `raw.cases` view. Everything
  downstream (normalization, dbt) reads the small counted table, never the millions of rows.

DuckDB streams the files (never pandas), so memory stays bounded whatever the size.

Over 350 lines on purpose: a load's whole life (formats, the one scan, staging, the refusals of an
incremental load, the merge) is one state machine over the raw.cases_* tables, easier to check
in one file than spread over several that all touch the same tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.fiscal import fiscal_year_range, fiscal_year_sql
from orchestration.ingest.case_layouts import LAYOUTS_BY_NAME, CaseLayout, is_header, recognise
from orchestration.ingest.common import (
    InputFileError,
    scalar,
    sha256_of,
    sha256_of_text,
    sniff_text_file,
    transaction,
)

HEADER_SEARCH_ROWS = 20
PAST_TENSE = {"removal": "departed", "arrest": "arrested", "book-in": "booked in"}
# the case record's counted fields -> their column in raw.cases_load (the removals' names kept)
COUNTED = (
    ("state", "apprehension_state"),
    ("county", "apprehension_county"),
    ("place", "place"),
    ("method", "method"),
    ("threat_level", "case_threat_level"),
    ("criminality", "case_criminality"),
    ("conviction", "most_serious_conviction"),
)
CHUNK_ROWS = 100_000


def _kind(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".csv.gz", ".csv", ".parquet", ".xlsx"):
        if name.endswith(suffix):
            return suffix
    raise InputFileError(path, "unsupported file type: expected .csv, .csv.gz, .parquet or .xlsx")


def _ident(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _projection(layout: CaseLayout, file_columns: list[str]) -> str:
    """The select list mapping a file of ``layout`` onto the counted fields (text)."""

    def text(column: str | None) -> str:
        if column is None or column not in file_columns:
            return "cast(null as varchar)"
        return f"cast({_ident(column)} as varchar)"

    return ", ".join(
        [
            f"{_literal(layout.name)} as _layout",
            f"{_literal(layout.event_kind)} as event_kind",
            f"{text(layout.date)} as _event_date",
            *(f"{text(layout.column(field))} as {alias}" for field, alias in COUNTED),
        ]
    )


def _as_text(column: str, column_type: str) -> str:
    """A typed column (a Parquet release's DATE, TIMESTAMP, integer …) as the text a CSV of the
    same release would hold: a date or a timestamp as its day YYYY-MM-DD (which the event date
    parser reads), a whole float without its .0, anything else as DuckDB writes it."""
    col = _ident(column)
    kind = column_type.upper()
    if kind == "DATE" or kind.startswith("TIMESTAMP"):
        return f"cast(cast({col} as date) as varchar)"
    if kind in ("FLOAT", "DOUBLE", "REAL"):
        return (
            f"case when isfinite({col}) and {col} = round({col}) and abs({col}) < 1e18 "
            f"then cast(cast({col} as bigint) as varchar) else cast({col} as varchar) end"
        )
    return f"cast({col} as varchar)"


def _typed_as_text(relation: str, types: list[tuple[str, str]]) -> str:
    """``relation`` with every typed (non-text) column replaced by its text, so that every file
    of a load reads like a CSV (all text) whatever its format."""
    typed = [(c, t) for c, t in types if t.upper() != "VARCHAR"]
    if not typed:
        return relation
    replaced = ", ".join(f"{_as_text(c, t)} as {_ident(c)}" for c, t in typed)
    return f"(select * replace ({replaced}) from {relation})"


def _relation_sql(path: Path, kind: str) -> str:
    literal = _literal(str(path))
    if kind == ".parquet":
        return f"read_parquet({literal})"
    return (
        f"read_csv({literal}, header = true, all_varchar = true, "
        f"compression = '{'gzip' if kind == '.csv.gz' else 'none'}')"
    )


def _xlsx_frames(path: Path) -> Iterator[pd.DataFrame]:
    """Every sheet's rows as text frames under one header (found in the first rows)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types on non-workbooks
        raise InputFileError(path, f"not readable as an .xlsx workbook: {exc}") from exc
    header: list[str] | None = None
    for sheet_name in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        start = 0
        for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            cells = [str(c).strip() for c in row]
            if is_header(cells):
                header, start = cells, i + 1
                break
        if header is None:
            raise InputFileError(
                path,
                f"sheet {sheet_name!r}: no header row of a case layout (a date and a "
                f"state column) in its first {HEADER_SEARCH_ROWS} rows",
                line=1,
            )
        body = [["" if c is None else str(c) for c in r[: len(header)]] for r in rows[start:]]
        body = [r for r in body if any(v.strip() for v in r)]
        for first in range(0, len(body), CHUNK_ROWS):
            yield pd.DataFrame(body[first : first + CHUNK_ROWS], columns=header, dtype=object)


DATE_FORMATS = "['%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%m/%d/%Y %H:%M']"


def event_date_sql(column: str) -> str:
    """The event date of a text column: the releases' usual MM/DD/YYYY first (cheap), the other
    formats only when it does not parse; NULL when none does."""
    col = _ident(column)
    return (
        f"cast(coalesce(try_strptime({col}, '%m/%d/%Y'), "
        f"try_strptime(trim({col}), {DATE_FORMATS})) as date)"
    )


DEPARTED = event_date_sql("Departed Date")
FISCAL_YEAR_OF_DATE = fiscal_year_sql(DEPARTED)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load_raw_cases(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    load_id: str,
    copies: Path | None = None,
    fiscal_years: list[int] | None = None,
) -> int:
    """Scan ``paths`` once into the staged load raw.cases_load (counts by file, state, county,
    fiscal year and codes; its files in raw.cases_load_files and the view
    raw.cases_load_records); returns the number of records scanned. ``copies`` is where .xlsx
    workbooks are converted to Parquet. The checks run on the staged load; merge_cases_load
    then moves it into raw.cases_grouped.

    ``fiscal_years`` None is a full load: the files will replace every case record the
    warehouse held. A list is an incremental load of those fiscal years (Dagster partitions):
    their rows will be replaced by the files' rows and every other fiscal year kept as loaded
    before, so only the new files are read. A file of an incremental load holding a dated
    record outside its fiscal years is refused (InputFileError naming file, row and column),
    never half loaded; undated records travel with their file."""
    if not paths:
        raise ValueError("no case files given")
    con.execute("create schema if not exists raw")
    if fiscal_years is not None and not _has_table(con, "raw", "cases_grouped"):
        raise InputFileError(
            paths[0],
            "an incremental load (fiscal years "
            f"{_years(fiscal_years)}) needs a warehouse that already holds a "
            "full load of the case records: run without --fiscal-year first",
        )
    # (relation sql, path, sha, kind, layout, projection)
    staged: list[tuple[str, Path, Future[str] | str, str, CaseLayout, str]] = []
    # hashing a gigabyte takes seconds: it runs beside DuckDB's scan (which releases the GIL)
    hashing = ThreadPoolExecutor(max_workers=1)
    for n, path in enumerate(paths):
        path = Path(path)
        if not path.is_file():
            raise InputFileError(path, "file not found")
        kind = _kind(path)
        if kind == ".csv":
            sniff_text_file(path)
        # the one read that hashes a CSV also refuses a NUL byte anywhere in its text
        future = (
            hashing.submit(sha256_of_text, path, kind == ".csv.gz")
            if kind in (".csv", ".csv.gz")
            else hashing.submit(sha256_of, path)
        )
        sha: Future[str] | str = future
        if kind == ".xlsx":
            sha = future.result()
            path = _xlsx_to_parquet(con, path, sha, copies or Path(path).parent)
            kind = ".parquet"
        source_sql = _relation_sql(path, kind)
        try:
            types = [
                (r[0], r[1]) for r in con.execute(f"describe select * from {source_sql}").fetchall()
            ]
        except duckdb.Error as exc:
            _raise_hash_error(future)
            raise InputFileError(path, f"not readable as {kind}: {exc}") from exc
        file_columns = [c for c, _ in types]
        source_sql = _typed_as_text(source_sql, types)
        layout = recognise(Path(paths[n]), file_columns)
        staged.append(
            (source_sql, Path(paths[n]), sha, kind, layout, _projection(layout, file_columns))
        )
    # The single pass reads the files without row numbers (a window over millions of rows costs
    # more than the scan); raw.cases numbers them for anyone who looks a row up.
    plain_selects = [
        f"select {_literal(str(original.resolve()))} as _source_file, {projection} "
        f"from {source_sql}"
        for source_sql, original, _, _, _, projection in staged
    ]
    counted = ", ".join(alias for _, alias in COUNTED)
    try:
        con.execute(f"""
            create or replace table raw.cases_load as
            with parsed as (
                select
                    _source_file, _layout, event_kind, {counted},
                    {event_date_sql("_event_date")} as d
                from ({" union all by name ".join(plain_selects)})
            )
            select
                _source_file,
                apprehension_state,
                apprehension_county,
                {fiscal_year_sql("d")} as fiscal_year,
                case_threat_level,
                case_criminality,
                _layout,
                event_kind,
                place,
                method,
                most_serious_conviction,
                count(*) as n,
                {_literal(load_id)} as _load_id
            from parsed
            group by all""")
    except duckdb.Error as exc:
        for _, _, sha, _, _, _ in staged:  # a NUL byte found by the hashing read comes first
            _raise_hash_error(sha)
        raise InputFileError(paths[0], f"could not read the case files: {exc}") from exc
    shas = [sha.result() if isinstance(sha, Future) else sha for _, _, sha, _, _, _ in staged]
    hashing.shutdown()
    selects = {
        str(original.resolve()): f"""select *, {_literal(str(original.resolve()))} as _source_file,
                   {_literal(sha)} as _source_sha256,
                   row_number() over () as _source_row, {_literal(load_id)} as _load_id
            from {source_sql}"""
        for (source_sql, original, _, _, _, _), sha in zip(staged, shas, strict=True)
    }
    _refuse_out_of_range(con, selects, {str(p.resolve()): k for _, p, _, k, _, _ in staged})
    if fiscal_years is not None:
        _refuse_outside(con, fiscal_years, selects)
    files = [
        (str(p.resolve()), sha, kind, load_id, selects[str(p.resolve())], layout.name)
        for (_, p, _, kind, layout, _), sha in zip(staged, shas, strict=True)
    ]
    with transaction(con):
        _stage(con, files, fiscal_years, load_id)
    return scalar(con, "select coalesce(sum(n), 0) from raw.cases_load")


def _stage(
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


def _years(fiscal_years: list[int]) -> str:
    return ", ".join(str(y) for y in sorted(fiscal_years))


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        scalar(
            con,
            "select count(*) from information_schema.tables where table_schema = ? and "
            "table_name = ?",
            [schema, name],
        )
    )


def _raise_hash_error(sha: Future[str] | str) -> None:
    """Raise the InputFileError the hashing read found (a NUL byte), if any."""
    if isinstance(sha, Future):
        error = sha.exception()
        if isinstance(error, InputFileError):
            raise error


def _where(file: str, kind: str, row: int) -> dict:
    """Where a record is, for InputFileError: the line of a CSV (data row n is line n + 1
    under the header), the data row of a Parquet file or a workbook."""
    return {"line": row + 1} if kind in (".csv", ".csv.gz") else {"row": row}


def _refuse_out_of_range(
    con: duckdb.DuckDBPyConnection, selects: dict[str, str], kinds: dict[str, str]
) -> None:
    """Every event date of a load falls in the fiscal years the warehouse accepts
    (dbt_project.yml vars: FY2003, ICE's first year, to the last case partition), the same
    rule for every release: a record outside them has no partition to live in and cannot be
    a real ICE event. The counts say whether any is outside (cheap); only then is the first
    such row looked up. And no counted (published) field holds a NUL byte, whatever the
    format (a CSV's bytes are scanned whole by the hashing read)."""
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
    counted = [alias for _, alias in COUNTED]
    nul = con.execute(
        f"select _source_file, _layout, {', '.join(counted)} from raw.cases_load where "
        + " or ".join(f"contains({c}, chr(0))" for c in counted)
        + " order by 1 limit 1"
    ).fetchone()
    if nul:
        file, layout = nul[0], LAYOUTS_BY_NAME[nul[1]]
        index = next(i for i, c in enumerate(nul[2:]) if c is not None and "\x00" in c)
        column = layout.column(COUNTED[index][0]) or ""
        row, value = first_row_where(
            con, selects[file], f"contains({_ident(column)}, chr(0))", column
        )
        raise InputFileError(
            Path(file),
            f"value {value!r} contains a NUL byte: binary data, not text",
            column=column,
            **_where(file, kinds[file], row),
        )


def first_row_where(
    con: duckdb.DuckDBPyConnection, select: str, condition: str, column: str
) -> tuple[int, str]:
    """The first record (its row number and ``column``'s value) of a file's records view
    ``select`` meeting ``condition``."""
    found = con.execute(
        f"select _source_row, {_ident(column)} from ({select}) where {condition} "
        "order by _source_row limit 1"
    ).fetchone()
    if found is None:
        raise LookupError(f"no record where {condition}")
    return int(found[0]), found[1]


def _refuse_outside(
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
        select _source_row, {_ident(date_column)} from ({selects[file]})
        where {fiscal_year_sql(event_date_sql(date_column))} = {int(year)}
        order by _source_row limit 1""").fetchone()
    line = first[0] + 1 if first else None  # data row n is line n + 1 under the header
    more = sum(r[2] for r in outside) - rows
    raise InputFileError(
        Path(file),
        f"{rows:,} record(s) {PAST_TENSE.get(layout.event_kind, 'dated')} in fiscal year {year} "
        f"(first: {first[1] if first else None!r})"
        f"{f' and {more:,} more in other years' if more else ''}, outside this incremental "
        f"load's fiscal year(s) {_years(fiscal_years)}: load them with --fiscal-year "
        f"{year} as well, or run without --fiscal-year for a full load",
        line=line,
        column=date_column,
    )


def merge_cases_load(con: duckdb.DuckDBPyConnection, full: bool) -> int:
    """Move the staged load (raw.cases_load) into the warehouse's case records: a ``full`` load
    replaces raw.cases_grouped; an incremental one replaces its fiscal years (and the undated
    records of its files). Updates raw.cases_files and the raw.cases view over the files the
    records came from. One transaction; returns the records now held."""
    with transaction(con):
        _add_new_columns(con)
        if full or not _has_table(con, "raw", "cases_grouped"):
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
        if _has_table(con, "raw", table):
            for column in columns:
                con.execute(f"alter table raw.{table} add column if not exists {column} varchar")


def _xlsx_to_parquet(con: duckdb.DuckDBPyConnection, path: Path, sha: str, copies: Path) -> Path:
    """Every sheet of the workbook as one Parquet file (made once per workbook content)."""
    copies.mkdir(parents=True, exist_ok=True)
    target = copies / f"cases-{sha[:16]}.parquet"
    if target.exists():
        return target
    table = f"xlsx_{sha[:12]}"
    first = True
    for frame in _xlsx_frames(path):
        con.register("xlsx_chunk", frame)
        if first:
            con.execute(f"create or replace temp table {table} as select * from xlsx_chunk")
            first = False
        else:
            con.execute(f"insert into {table} by name select * from xlsx_chunk")
        con.unregister("xlsx_chunk")
    if first:
        raise InputFileError(path, "the workbook has no data rows")
    tmp = target.with_name(target.name + ".tmp")
    con.execute(f"copy {table} to {_literal(str(tmp))} (format parquet)")
    con.execute(f"drop table {table}")
    tmp.replace(target)
    return target
