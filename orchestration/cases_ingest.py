"""Case-level removal records (FOIA releases, one row per removal) into raw.cases, at scale.

Accepted: `.csv`, `.csv.gz`, `.parquet` and `.xlsx` (every sheet; the header row is found among
the first rows, so the six preamble rows of real releases are skipped, and sheets that continue
the previous one without a header are read as its continuation), several files per load.

CSV, gzip and Parquet are read by DuckDB itself, streaming, straight into the raw table (never
through pandas), so memory stays bounded whatever the size. Every column of the release is kept,
as text, with the file, its sha256 and the row number; the redaction token `b(6), b(7)c` stays in
raw (it becomes NULL in staging).
"""

from __future__ import annotations

from collections.abc import Iterator
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
    literal = "'" + str(path).replace("'", "''") + "'"
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


def load_raw_cases(con: duckdb.DuckDBPyConnection, paths: list[Path], load_id: str) -> int:
    """Replace raw.cases with every row of ``paths``; returns the row count."""
    if not paths:
        raise ValueError("no case files given")
    con.execute("create schema if not exists raw")
    con.execute("drop table if exists raw.cases")
    columns: list[str] = []
    staged: list[str] = []
    for n, path in enumerate(paths):
        path = Path(path)
        if not path.is_file():
            raise InputFileError(path, "file not found")
        kind = _kind(path)
        if kind == ".csv":
            sniff_text_file(path)
        sha = sha256_of(path)
        view = f"cases_file_{n}"
        if kind == ".xlsx":
            con.execute(f"create temp table {view}_x (dummy integer)")
            first = True
            for frame in _xlsx_frames(path):
                con.register("xlsx_chunk", frame)
                if first:
                    con.execute(f"create or replace temp table {view}_x as select * from "
                                "xlsx_chunk")
                    first = False
                else:
                    con.execute(f"insert into {view}_x by name select * from xlsx_chunk")
                con.unregister("xlsx_chunk")
            source_sql = f"{view}_x"
        else:
            source_sql = _relation_sql(path, kind)
        try:
            file_columns = [d[0] for d in con.execute(
                f"select * from {source_sql} limit 0").description]
        except duckdb.Error as exc:
            raise InputFileError(path, f"not readable as {kind}: {exc}") from exc
        _check_columns(path, file_columns)
        columns += [c for c in file_columns if c not in columns]
        file_literal = "'" + str(path.resolve()).replace("'", "''") + "'"
        con.execute(
            f"""create or replace temp view {view} as
                select *, {file_literal} as _source_file, '{sha}' as _source_sha256,
                       row_number() over () as _source_row, '{load_id}' as _load_id,
                       current_timestamp as _loaded_at
                from {source_sql}""")
        staged.append(view)
    quoted = ", ".join(f'cast("{c}" as varchar) as "{c}"' for c in columns)
    union = " union all by name ".join(f"select * from {v}" for v in staged)
    try:
        con.execute(f"""create table raw.cases as
                        select {quoted}, _source_file, _source_sha256,
                               cast(_source_row as bigint) as _source_row, _load_id,
                               cast(_loaded_at as timestamp) as _loaded_at
                        from ({union})""")
    except duckdb.Error as exc:
        raise InputFileError(paths[0], f"could not load the case files: {exc}") from exc
    return con.execute("select count(*) from raw.cases").fetchone()[0]
