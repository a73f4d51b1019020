"""An .xlsx workbook (every sheet) converted once to one Parquet file, which DuckDB then reads
like any other: the header row is found among the first rows (real releases open with preamble
rows), and a sheet without a header continues the previous sheet's rows. The conversion runs in
chunks, so memory stays bounded by a chunk, not by the workbook."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.ingest.errors import InputFileError
from orchestration.ingest.sql_text import literal

HEADER_SEARCH_ROWS = 20
CHUNK_ROWS = 100_000


def xlsx_frames(
    path: Path, is_header: Callable[[list[str]], bool], header_described: str
) -> Iterator[pd.DataFrame]:
    """Every sheet's rows as text frames under one header (the first row among a sheet's
    first rows that ``is_header``; ``header_described`` says what that is, for the error)."""
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
                f"sheet {sheet_name!r}: no header row of {header_described} in its first "
                f"{HEADER_SEARCH_ROWS} rows",
                line=1,
            )
        body = [["" if c is None else str(c) for c in r[: len(header)]] for r in rows[start:]]
        body = [r for r in body if any(v.strip() for v in r)]
        for first in range(0, len(body), CHUNK_ROWS):
            yield pd.DataFrame(body[first : first + CHUNK_ROWS], columns=header, dtype=object)


def xlsx_to_parquet(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sha: str,
    copies: Path,
    is_header: Callable[[list[str]], bool],
    header_described: str,
) -> Path:
    """Every sheet of the workbook as one Parquet file under ``copies`` (made once per workbook
    content: its name carries the workbook's sha256)."""
    copies.mkdir(parents=True, exist_ok=True)
    target = copies / f"cases-{sha[:16]}.parquet"
    if target.exists():
        return target
    table = f"xlsx_{sha[:12]}"
    first = True
    for frame in xlsx_frames(path, is_header, header_described):
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
    con.execute(f"copy {table} to {literal(str(tmp))} (format parquet)")
    con.execute(f"drop table {table}")
    tmp.replace(target)
    return target
