"""Writing the raw layer: a raw table replaced with its rows and load metadata (file, sha256,
line, load id and time), the record of what each source's last load was
(raw._source_loads), one transaction around a load's writes, and the small query helpers the
loads share."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from orchestration.ingest.readers.csv import ParsedFile
from orchestration.ingest.values import ValueRules, check_values

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
    rules: ValueRules | None = None,
) -> int:
    """Replace raw.<table> with the parsed rows: text columns plus load metadata, once no value
    breaks ``rules`` (InputFileError naming the first that does)."""
    if rules is not None:
        check_values(parsed.rows, path, rules)
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


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction around the block: committed at its end, rolled back if it raises. After
    a fatal error (a full disk) DuckDB has ended the transaction itself; the rollback's own
    error would then hide the cause, so the cause is what is raised."""
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("rollback")
        raise
    con.execute("commit")


def has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether ``schema.name`` exists (a table or a view)."""
    return bool(
        scalar(
            con,
            "select count(*) from information_schema.tables where table_schema = ? and "
            "table_name = ?",
            [schema, name],
        )
    )
