"""The codebook written beside an export: a Frictionless Data Package descriptor,
`datapackage.json` (Data Package 2.0, https://datapackage.org/standard/data-package/).

One resource per exported file: its table's description, every column with its Table Schema type
and description (the published file's comments, i.e. dbt's yml), the file's size and sha256; and
for the package: the publication's run and time, its data status, and every source with its
status, publisher, terms and files (name and sha256). Properties the standard does not name
(`data_status`, `sha256` of a source file, `rows`) are allowed by it and say what they are."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import duckdb

from orchestration.dictionary.comments import published_columns, table_comment

DATAPACKAGE = "datapackage.json"
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
TABLE_SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
MEDIATYPES = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv"}


@dataclass(frozen=True)
class ExtraColumn:
    """A column the export adds to every row of a file (the CSV's data_status)."""

    name: str
    data_type: str
    description: str


@dataclass(frozen=True)
class ExportedFile:
    table: str
    path: Path
    fmt: str  # parquet | csv
    rows: int
    extra_columns: Sequence[ExtraColumn] = field(default_factory=tuple)


_INTEGER = re.compile(r"^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|UHUGEINT)$")
_NUMBER = re.compile(r"^(FLOAT|DOUBLE|REAL|DECIMAL(\(\d+,\s*\d+\))?)$")


def field_type(data_type: str, fmt: str) -> dict[str, Any]:
    """The Table Schema type (and format) of a DuckDB column type, as the file stores it.

    A list or struct is an array or object in Parquet; CSV has no such cells (DuckDB writes a
    list as `[a, b]`, not JSON), so there it is a string. A timestamp in CSV is written as
    `2026-12-04 15:29:45.833124`, not ISO 8601 with a T: its format is `any`."""
    kind = data_type.upper()
    if kind.endswith("]"):
        return {"type": "array"} if fmt == "parquet" else {"type": "string"}
    if kind.startswith(("STRUCT", "MAP")):
        return {"type": "object"} if fmt == "parquet" else {"type": "string"}
    if kind == "VARCHAR" or kind.startswith("ENUM"):
        return {"type": "string"}
    if kind == "BOOLEAN":
        return {"type": "boolean"}
    if _INTEGER.match(kind):
        return {"type": "integer"}
    if _NUMBER.match(kind):
        return {"type": "number"}
    if kind == "DATE":
        return {"type": "date"}
    if kind.startswith("TIMESTAMP"):
        return {"type": "datetime"} if fmt == "parquet" else {"type": "datetime", "format": "any"}
    if kind.startswith("TIME"):
        return {"type": "time"} if fmt == "parquet" else {"type": "time", "format": "any"}
    return {"type": "any"}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _resource(con: duckdb.DuckDBPyConnection, exported: ExportedFile, base: Path) -> dict:
    """The resource of one file. A Parquet file's types are read from the file itself: DuckDB
    writes some types as another (a HUGEINT sum as a DOUBLE), and the codebook says what the
    file holds."""
    stored: dict[str, str] = {}
    if exported.fmt == "parquet":
        stored = {
            name: kind
            for name, kind, *_ in con.execute(
                "describe select * from read_parquet(?)", [str(exported.path)]
            ).fetchall()
        }
    fields = [
        {
            "name": column.name,
            **field_type(stored.get(column.name, column.data_type), exported.fmt),
            "description": column.description or "",
        }
        for column in published_columns(con, exported.table)
    ]
    fields += [
        {"name": e.name, **field_type(e.data_type, exported.fmt), "description": e.description}
        for e in exported.extra_columns
    ]
    resource: dict[str, Any] = {
        "name": exported.table,
        "type": "table",
        "path": exported.path.relative_to(base).as_posix(),
        "format": exported.fmt,
        "mediatype": MEDIATYPES[exported.fmt],
        "description": table_comment(con, exported.table) or "",
        "bytes": exported.path.stat().st_size,
        "hash": "sha256:" + sha256_of(exported.path),
        "rows": exported.rows,
        "schema": {"$schema": TABLE_SCHEMA_PROFILE, "fields": fields, "missingValues": [""]},
    }
    if exported.fmt == "csv":
        resource["encoding"] = "utf-8"
    return resource


def _sources(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """One entry per source of the publication, loaded or not; its files by name (the
    publication records the path each run was given: a local path means nothing elsewhere)."""
    found = con.execute(
        "select source, data_status, files, sha256, publisher, license, rows "
        "from _publication_sources order by source"
    ).fetchall()
    return [
        {
            "title": f"{source}: {publisher}",
            "name": source,
            "data_status": status,
            "license": license_,
            "rows": rows,
            "files": [
                {"name": PurePath(f).name, "sha256": sha}
                for f, sha in zip(files or [], sha256 or [], strict=True)
            ],
        }
        for source, status, files, sha256, publisher, license_, rows in found
    ]


def datapackage(
    con: duckdb.DuckDBPyConnection, files: Sequence[ExportedFile], base: Path
) -> dict[str, Any]:
    """The Data Package descriptor of ``files`` (exported from the published file open on
    ``con``, under the folder ``base``)."""
    run_id, published_at, status, note = con.execute(
        "select run_id, published_at, data_status, data_status_note from _publication"
    ).fetchone() or (None, None, "unknown", "")
    created = (
        published_at.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")
        if isinstance(published_at, dt.datetime)
        else None
    )
    descriptor: dict[str, Any] = {
        "$schema": PROFILE,
        "name": "scomm-published-marts",
        "title": "Secure Communities enforcement statistics: the published marts of scomm",
        "description": (
            "Every table of one publication of the scomm warehouse (marts.duckdb), one file "
            "each, with what every table and column means. data_status says whether the "
            f"numbers are real: this publication is {status} ({note}). Each source's files and "
            "sha256 are under sources."
        ),
        "id": f"scomm-run-{run_id}" if run_id else None,
        "created": created,
        "data_status": status,
        "data_status_note": note,
        "sources": _sources(con),
        "resources": [_resource(con, f, base) for f in files],
    }
    return {k: v for k, v in descriptor.items() if v is not None}


def write_datapackage(
    con: duckdb.DuckDBPyConnection, files: Sequence[ExportedFile], out: Path
) -> Path:
    """Write `datapackage.json` into ``out``, the folder holding ``files``."""
    target = out / DATAPACKAGE
    text = json.dumps(datapackage(con, files, out), indent=2, ensure_ascii=False, default=str)
    target.write_text(text + "\n", encoding="utf-8")
    return target


def column_descriptions(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The table's column descriptions as one JSON object (column → description), for a
    Parquet file's key-value metadata: Parquet has no per-column description field, and
    DuckDB writes only file-level key-value metadata."""
    return json.dumps(
        {c.name: c.description or "" for c in published_columns(con, table)}, ensure_ascii=False
    )
