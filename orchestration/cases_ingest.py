"""Case-level removal records (FOIA releases, one row per removal), at scale, in one pass.

Accepted: `.csv`, `.csv.gz`, `.parquet` and `.xlsx` (every sheet; the header row is found among
the first rows, so the six preamble rows of real releases are skipped, and sheets that continue
the previous one without a header are read as its continuation), several files per load.

Millions of rows are read exactly once. The load writes:

* `raw.cases` — a view over the release files themselves (every column as published, with the
  file, its sha256 and the row number): the files are the raw layer, recorded with their sha256
  in `raw.cases_files`, and nothing is copied. An .xlsx workbook is converted once to Parquet
  under the warehouse (a columnar copy pays for itself: it is read faster than the workbook).
* `raw.cases_grouped` — the single scan: rows counted by file, apprehension state and county,
  fiscal year of the Departed Date (NULL when unreadable), threat level and criminality as
  published, with the first row number of each group for error messages. Everything downstream
  (normalization, checks, dbt) reads this small table, never the millions of rows again.

DuckDB streams the files (never pandas), so memory stays bounded whatever the size.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.ingest import InputFileError, sha256_of, sniff_text_file

REQUIRED = ("Departed Date", "Apprehension State", "Apprehension County", "Case Threat Level",
            "Case Criminality")
HEADER_SEARCH_ROWS = 20
CHUNK_ROWS = 100_000


def _kind(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".csv.gz", ".csv", ".parquet", ".xlsx"):
        if name.endswith(suffix):
            return suffix
    raise InputFileError(path, "unsupported file type: expected .csv, .csv.gz, .parquet or "
                               ".xlsx")


def _check_columns(path: Path, columns: list[str], line: int | None = 1) -> None:
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InputFileError(path, f"missing required column(s) {missing}; found {columns[:12]}",
                             line=line, column=missing[0])


def _relation_sql(path: Path, kind: str) -> str:
    literal = _literal(str(path))
    if kind == ".parquet":
        return f"read_parquet({literal})"
    return (f"read_csv({literal}, header = true, all_varchar = true, "
            f"compression = '{'gzip' if kind == '.csv.gz' else 'none'}')")


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
            if "Departed Date" in cells and "Apprehension County" in cells:
                header, start = cells, i + 1
                break
        if header is None:
            raise InputFileError(path, f"sheet {sheet_name!r}: no header row with 'Departed "
                                       f"Date' in its first {HEADER_SEARCH_ROWS} rows", line=1)
        body = [["" if c is None else str(c) for c in r[: len(header)]] for r in rows[start:]]
        body = [r for r in body if any(v.strip() for v in r)]
        for first in range(0, len(body), CHUNK_ROWS):
            yield pd.DataFrame(body[first:first + CHUNK_ROWS], columns=header, dtype=object)


DATE_FORMATS = "['%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%m/%d/%Y %H:%M']"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load_raw_cases(con: duckdb.DuckDBPyConnection, paths: list[Path], load_id: str,
                   copies: Path | None = None) -> int:
    """Point raw.cases at ``paths`` and count them into raw.cases_grouped in one pass; returns
    the number of records. ``copies`` is where .xlsx workbooks are converted to Parquet."""
    if not paths:
        raise ValueError("no case files given")
    con.execute("create schema if not exists raw")
    for old in ("view raw.cases", "table raw.cases"):
        try:
            con.execute(f"drop {old}")
        except duckdb.CatalogException:
            pass
    columns: list[str] = []
    staged: list[tuple[str, Path, object, str]] = []  # (relation sql, path, sha, kind)
    # hashing a gigabyte takes seconds: it runs beside DuckDB's scan (which releases the GIL)
    hashing = ThreadPoolExecutor(max_workers=1)
    for n, path in enumerate(paths):
        path = Path(path)
        if not path.is_file():
            raise InputFileError(path, "file not found")
        kind = _kind(path)
        if kind == ".csv":
            sniff_text_file(path)
        sha = hashing.submit(sha256_of, path)
        if kind == ".xlsx":
            sha = sha.result()
            path = _xlsx_to_parquet(con, path, sha, copies or Path(path).parent)
            kind = ".parquet"
        source_sql = _relation_sql(path, kind)
        try:
            file_columns = [d[0] for d in con.execute(
                f"select * from {source_sql} limit 0").description]
        except duckdb.Error as exc:
            raise InputFileError(path, f"not readable as {kind}: {exc}") from exc
        _check_columns(path, file_columns)
        columns += [c for c in file_columns if c not in columns]
        staged.append((source_sql, Path(paths[n]), sha, kind))
    # The single pass reads the files without row numbers (a window over millions of rows costs
    # more than the scan); raw.cases numbers them for anyone who looks a row up.
    plain_selects = [f"select *, {_literal(str(original.resolve()))} as _source_file "
                     f"from {source_sql}" for source_sql, original, _, _ in staged]
    try:
        con.execute(f"""
            create or replace table raw.cases_grouped as
            with parsed as (
                select
                    _source_file,
                    "Apprehension State", "Apprehension County",
                    "Case Threat Level", "Case Criminality",
                    -- the releases' usual MM/DD/YYYY first (cheap), other formats only if not
                    cast(coalesce(try_strptime("Departed Date", '%m/%d/%Y'),
                                  try_strptime(trim("Departed Date"), {DATE_FORMATS})) as date)
                        as d
                from ({" union all by name ".join(plain_selects)})
            )
            select
                _source_file,
                "Apprehension State" as apprehension_state,
                "Apprehension County" as apprehension_county,
                year(d) + case when month(d) >= 10 then 1 else 0 end as fiscal_year,
                "Case Threat Level" as case_threat_level,
                "Case Criminality" as case_criminality,
                count(*) as n
            from parsed
            group by all""")
    except duckdb.Error as exc:
        raise InputFileError(paths[0], f"could not read the case files: {exc}") from exc
    shas = [sha.result() if isinstance(sha, Future) else sha for _, _, sha, _ in staged]
    hashing.shutdown()
    selects = [
        f"""select *, {_literal(str(original.resolve()))} as _source_file,
                   {_literal(sha)} as _source_sha256,
                   row_number() over () as _source_row, {_literal(load_id)} as _load_id
            from {source_sql}"""
        for (source_sql, original, _, _), sha in zip(staged, shas, strict=True)]
    con.execute("create view raw.cases as " + " union all by name ".join(selects))
    con.execute("create or replace table raw.cases_files (file varchar, sha256 varchar, "
                "format varchar, load_id varchar)")
    con.executemany("insert into raw.cases_files values (?, ?, ?, ?)",
                    [(str(p.resolve()), sha, kind, load_id)
                     for (_, p, _, kind), sha in zip(staged, shas, strict=True)])
    return con.execute("select coalesce(sum(n), 0) from raw.cases_grouped").fetchone()[0]


def _xlsx_to_parquet(con: duckdb.DuckDBPyConnection, path: Path, sha: str,
                     copies: Path) -> Path:
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
