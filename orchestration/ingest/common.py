"""What every reader shares: the input error that names file, line and column, text sniffing
(binary, encodings), sha256, reading a CSV layout as text, and writing a raw table with its load
metadata (file, sha256, line, load id and time).

Readers refuse outright only what cannot be read as the layout at all: a file that is not text,
a missing required column, a row with the wrong number of fields. Typing and value checks happen
afterwards, in the Great Expectations suites and in dbt staging.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

META_COLUMNS: tuple[str, ...] = (
    "_source_file",
    "_source_sha256",
    "_source_line",
    "_extra_columns",
    "_load_id",
    "_loaded_at",
)


class InputFileError(ValueError):
    """A source file that cannot be read as its layout. The message names file, line and column."""

    def __init__(
        self, path: Path | str, message: str, line: int | None = None, column: str | None = None
    ) -> None:
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.column = str(path), line, column


@dataclass(frozen=True)
class ParsedFile:
    rows: pd.DataFrame  # canonical columns as text + _source_line + _extra_columns
    sha256: str
    extra_columns: tuple[str, ...]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _normalize_header(name: str) -> str:
    return name.strip().lower()


def read_layout_csv(
    path: Path,
    required: tuple[str, ...],
    *,
    keep_extra: bool = True,
    encodings: tuple[str, ...] = ("utf-8-sig",),
) -> ParsedFile:
    """Parse a CSV into text columns (header names folded to lower case), keeping each row's
    line number. The first of ``encodings`` that decodes the whole file is used.

    Raises InputFileError for anything that is not the layout: undecodable bytes, a missing
    required column, a duplicated column, a row with more or fewer fields than the header.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "file not found")
    sniff_text_file(path)
    sha = sha256_of(path)
    last_error: InputFileError | None = None
    for encoding in encodings:
        try:
            return _read_csv(path, required, keep_extra, encoding, sha)
        except _Undecodable as exc:
            last_error = exc.error
    assert last_error is not None
    raise last_error


SNIFF_BYTES = 64 * 1024


def sniff_text_file(path: Path) -> None:
    """Refuse, from the first 64 KiB only (fast, bounded memory whatever the size), files that
    cannot be CSV text: compressed archives under a .csv name and binary data."""
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(b"\x1f\x8b"):
        raise InputFileError(
            path,
            "is gzip-compressed (it starts with the gzip magic bytes 1f "
            "8b) although it is not named .gz; decompress it first",
            line=1,
        )
    if head.startswith(b"PK\x03\x04"):
        raise InputFileError(
            path,
            "is a ZIP archive (an .xlsx workbook?), not CSV text; export the sheet as CSV",
            line=1,
        )
    if b"\x00" in head:
        line = head[: head.index(b"\x00")].count(b"\n") + 1
        raise InputFileError(
            path, "contains NUL bytes: this is binary data, not CSV text", line=line
        )


def _delimiter_hint(header_line: str) -> str:
    for delimiter, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
        if header_line.count(delimiter) >= 2 and "," not in header_line:
            return f" (the header looks {name}-delimited; the layout is comma-separated)"
    return ""


class _Undecodable(Exception):
    def __init__(self, error: InputFileError) -> None:
        self.error = error


def _read_csv(
    path: Path, required: tuple[str, ...], keep_extra: bool, encoding: str, sha: str
) -> ParsedFile:
    records: list[dict[str, object]] = []
    with path.open("r", encoding=encoding, newline="") as f:
        reader = csv.reader(f, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise InputFileError(
                    path,
                    "empty file: expected a header row with columns " + ", ".join(required),
                    line=1,
                )
            names = [_normalize_header(h) for h in header]
            duplicated = sorted({n for n in names if n and names.count(n) > 1})
            if duplicated:
                raise InputFileError(
                    path, f"duplicated column(s) {duplicated} in the header", line=1
                )
            missing = [c for c in required if c not in names]
            if missing:
                raise InputFileError(
                    path,
                    f"missing required column(s) {missing}; the header has "
                    f"{names[:20]}{' …' if len(names) > 20 else ''}"
                    + _delimiter_hint(",".join(header)),
                    line=1,
                    column=missing[0],
                )
            extra = tuple(n for n in names if n not in required and n) if keep_extra else ()
            index = {n: i for i, n in enumerate(names)}
            line = reader.line_num
            for fields in reader:
                start_line = line + 1
                line = reader.line_num
                if not fields or all(not v.strip() for v in fields):
                    continue  # blank line
                if len(fields) != len(names):
                    raise InputFileError(
                        path,
                        f"expected {len(names)} fields as in the header, found {len(fields)}",
                        line=start_line,
                    )
                rec: dict[str, object] = {c: (fields[index[c]].strip() or None) for c in required}
                rec["_source_line"] = start_line
                rec["_extra_columns"] = (
                    json.dumps({c: fields[index[c]] for c in extra}, ensure_ascii=False)
                    if extra
                    else None
                )
                records.append(rec)
        except UnicodeDecodeError as exc:
            raise _Undecodable(
                InputFileError(
                    path,
                    f"not {encoding.removesuffix('-sig').upper()} text ({exc.reason} at byte "
                    f"{exc.start} of a read block); save the file as UTF-8",
                    line=reader.line_num + 1,
                )
            ) from exc
        except csv.Error as exc:
            raise InputFileError(path, f"not readable as CSV: {exc}", line=reader.line_num) from exc
    if not records:
        raise InputFileError(path, "no data rows below the header", line=2)
    names_out = [*required, "_source_line", "_extra_columns"]
    # Explicit object columns: pandas would otherwise turn None (not reported) into NaN.
    frame = pd.DataFrame({c: pd.Series([r[c] for r in records], dtype=object) for c in names_out})
    return ParsedFile(rows=frame, sha256=sha, extra_columns=extra)


LOAD_METADATA_TYPES = {
    "_source_file": "varchar",
    "_source_sha256": "varchar",
    "_source_line": "integer",
    "_load_id": "varchar",
    "_loaded_at": "timestamp",
}


def replace_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    types: dict[str, str],
    order_by: str | None = None,
) -> int:
    """Replace ``table`` (schema.name) with ``frame``'s columns cast to the declared types, so
    an all-NULL column still gets its real type. Table and column names are ours, not data."""
    schema = table.split(".")[0]
    columns = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in types.items())
    con.execute(f"create schema if not exists {schema}")
    con.register("incoming_rows", frame)
    try:
        con.execute(
            f"create or replace table {table} as select {columns} from incoming_rows"
            + (f" order by {order_by}" if order_by else "")
        )
    finally:
        con.unregister("incoming_rows")
    return len(frame)


def with_load_metadata(frame: pd.DataFrame, path: Path, sha256: str, load_id: str) -> pd.DataFrame:
    frame = frame.copy()
    frame["_source_file"] = str(Path(path).resolve())
    frame["_source_sha256"] = sha256
    frame["_load_id"] = load_id
    frame["_loaded_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return frame


def write_raw_text(
    con: duckdb.DuckDBPyConnection,
    table: str,
    parsed: ParsedFile,
    columns: tuple[str, ...],
    path: Path,
    load_id: str,
) -> int:
    """Replace raw.<table> with the parsed rows: text columns plus load metadata."""
    frame = with_load_metadata(parsed.rows, path, parsed.sha256, load_id)
    types = {c: "varchar" for c in columns} | {"_extra_columns": "varchar"} | LOAD_METADATA_TYPES
    return replace_table(con, f"raw.{table}", frame, types, order_by="_source_line")


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> Any:
    """The first column of the first row of ``sql`` (an aggregate: there is always a row)."""
    return first_row(con, sql, params)[0]


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> tuple:
    """The first row of ``sql`` (an aggregate: there is always one)."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise LookupError(f"query returned no row: {sql[:120]}")
    return row


def write_empty_raw_text(
    con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...], load_id: str
) -> None:
    """``table`` (schema.name) with the layout's text columns and the load metadata, and no row:
    a source that is not loaded this run."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame["_source_line"] = pd.Series(dtype="Int64")
    frame["_extra_columns"] = pd.Series(dtype=object)
    frame = with_load_metadata(frame, Path("."), "", load_id).iloc[0:0]
    types = {c: "varchar" for c in columns} | {"_extra_columns": "varchar"} | LOAD_METADATA_TYPES
    replace_table(con, table, frame, types)


@dataclass(frozen=True)
class SourceLoad:
    """What a run loaded for one source, and whether it is real: the publication says it."""

    source: str
    status: str  # real | synthetic | unverified | not loaded (sources.catalog.DataStatus)
    files: list[str]
    sha256: list[str]
    publisher: str
    license: str
    rows: int
    load_id: str


def record_source_load(con: duckdb.DuckDBPyConnection, load: SourceLoad) -> None:
    """Replace ``load.source``'s row of raw._source_loads (one row per source: its last load)."""
    con.execute("create schema if not exists raw")
    con.execute(
        "create table if not exists raw._source_loads (source varchar primary key, "
        "data_status varchar, files varchar[], sha256 varchar[], publisher varchar, "
        "license varchar, rows bigint, load_id varchar, loaded_at timestamp)"
    )
    con.execute("delete from raw._source_loads where source = ?", [load.source])
    con.execute(
        "insert into raw._source_loads values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load.source,
            load.status,
            load.files,
            load.sha256,
            load.publisher,
            load.license,
            load.rows,
            load.load_id,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
        ],
    )
