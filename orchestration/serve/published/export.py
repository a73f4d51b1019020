"""`scomm export`: every published table as a file, with its codebook beside it.

Parquet files keep the columns exactly as published and carry, as file key-value metadata, the
publication's `data_status`, the table's `description` and `column_descriptions` (one JSON object,
column → description: Parquet has no per-column description field and DuckDB writes file-level
metadata only). CSV files are formula-safe (csvsafe.py) and gain a `data_status` column, except a
table that already has one (the publication's own record). `datapackage.json` (the codebook,
dictionary/codebook.py) describes every file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from orchestration.dictionary.codebook import (
    ExportedFile,
    ExtraColumn,
    column_descriptions,
    write_datapackage,
)
from orchestration.dictionary.comments import published_columns, table_comment
from orchestration.serve.published.connection import published_tables
from orchestration.serve.published.csvsafe import csv_safe_columns
from orchestration.serve.published.publication import publication_info

DATA_STATUS_COLUMN = ExtraColumn(
    "data_status",
    "VARCHAR",
    "Added by the export: whether this publication's numbers are real (`real`, `synthetic`, "
    "`mixed`), the same on every row (_publication.data_status).",
)


def export_tables(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    fmt: str,
    echo: Callable[[str], None] = lambda _: None,
) -> tuple[list[ExportedFile], Path, str]:
    """Write every published table of the file open on ``con`` (with external access) into
    ``out`` as ``fmt`` (parquet or csv), then the codebook; ``echo`` hears of each file.
    Returns the files, the codebook's path and the publication's data status."""
    out.mkdir(parents=True, exist_ok=True)
    info = publication_info(con)
    status = info["data_status"] if info else "unknown"
    files = []
    for table in published_tables(con):
        target = out / f"{table}.{fmt}"
        quoted = '"' + table.replace('"', '""') + '"'
        extra: tuple[ExtraColumn, ...] = ()
        if fmt == "parquet":
            con.execute(
                f"copy (select * from {quoted}) to ? (format parquet, kv_metadata "
                "{data_status: ?, description: ?, column_descriptions: ?})",
                [
                    str(target),
                    status,
                    table_comment(con, table) or "",
                    column_descriptions(con, table),
                ],
            )
        else:  # text cells formula-safe, numbers as they are; data_status on every row
            has_status = any(c.name == "data_status" for c in published_columns(con, table))
            extra = () if has_status else (DATA_STATUS_COLUMN,)
            tail = "" if has_status else ", ? as data_status"
            con.sql(
                f"select {csv_safe_columns(con, table)}{tail} from {quoted}",
                params=[] if has_status else [status],
            ).write_csv(str(target), header=True)
        found = con.execute(f"select count(*) from {quoted}").fetchone()
        count = int(found[0]) if found else 0
        files.append(ExportedFile(table, target, fmt, count, extra))
        echo(f"{target}  ({count:,} rows)")
    codebook = write_datapackage(con, files, out)
    echo(f"{codebook}  (the codebook: every table and column, types, sources, data status)")
    return files, codebook, status
