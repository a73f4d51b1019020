"""The one scan of a load's case files into raw.cases_load (counts by file, layout, fiscal year
and the counted fields), then the refusals (duplicates.py, refusals.py), then the staged load
(store.py). Each file is hashed
beside DuckDB's scan (hashing a gigabyte takes seconds; DuckDB releases the GIL), and the
hashing read of a CSV refuses a NUL byte anywhere in its text."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.fiscal import fiscal_year_sql
from orchestration.ingest.cases.duplicates import (
    IdentifiedFile,
    refuse_repeated_records,
    refuse_same_content,
    refuse_same_path,
)
from orchestration.ingest.cases.fields import COUNTED, event_date_sql, projection
from orchestration.ingest.cases.layouts import CaseLayout, is_header, recognise
from orchestration.ingest.cases.refusals import (
    refuse_nul_values,
    refuse_out_of_range,
    refuse_outside,
    years,
)
from orchestration.ingest.cases.store import stage
from orchestration.ingest.errors import InputFileError
from orchestration.ingest.raw_tables import has_table, scalar, transaction
from orchestration.ingest.readers.csv import csv_structure_error
from orchestration.ingest.readers.parquet import typed_as_text
from orchestration.ingest.readers.text import sha256_of, sha256_of_text, sniff_text_file
from orchestration.ingest.readers.xlsx import xlsx_to_parquet
from orchestration.ingest.sql_text import literal

CASE_HEADER = "a case layout (a date and a state column)"


@dataclass(frozen=True)
class CaseFile:
    """One file of a load, opened for the scan."""

    original: Path  # the file as given (a workbook's, not its Parquet copy's)
    relation: str  # SQL reading it, every column as text
    sha: Future[str] | str  # its sha256 (a future while the hashing read runs)
    kind: str  # .csv | .csv.gz | .parquet (a workbook is read from its Parquet copy)
    layout: CaseLayout
    projection: str  # the select list onto the counted fields
    identifier: str | None  # the layout's identifier column, when the file has it
    # the text columns the scan checks for NUL bytes (a Parquet file's or a workbook's: every
    # byte of a CSV is checked by the read that hashes it)
    nul_checked: tuple[str, ...]

    @property
    def name(self) -> str:
        return str(self.original.resolve())


def _kind(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".csv.gz", ".csv", ".parquet", ".xlsx"):
        if name.endswith(suffix):
            return suffix
    raise InputFileError(path, "unsupported file type: expected .csv, .csv.gz, .parquet or .xlsx")


def _relation_sql(path: Path, kind: str) -> str:
    quoted = literal(str(path))
    if kind == ".parquet":
        return f"read_parquet({quoted})"
    return (
        f"read_csv({quoted}, header = true, all_varchar = true, "
        f"compression = '{'gzip' if kind == '.csv.gz' else 'none'}')"
    )


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
    if fiscal_years is not None and not has_table(con, "raw", "cases_grouped"):
        raise InputFileError(
            paths[0],
            "an incremental load (fiscal years "
            f"{years(fiscal_years)}) needs a warehouse that already holds a "
            "full load of the case records: run without --fiscal-year first",
        )
    refuse_same_path(paths)
    hashing = ThreadPoolExecutor(max_workers=1)
    files = [_open(con, Path(path), copies, hashing) for path in paths]
    scanned = _scan(con, files, load_id, Path(paths[0]))
    shas = [f.sha.result() if isinstance(f.sha, Future) else f.sha for f in files]
    hashing.shutdown()
    selects = {f.name: _records_select(f, sha, load_id) for f, sha in zip(files, shas, strict=True)}
    refuse_same_content([f.name for f in files], shas)
    if scanned.repeated:
        identified = [
            IdentifiedFile(f.name, n, selects[f.name], f.identifier, f.kind)
            for n, f in enumerate(files)
            if f.identifier is not None
        ]
        refuse_repeated_records(con, scanned.repeated, identified)
    kinds = {f.name: f.kind for f in files}
    refuse_out_of_range(con, selects, kinds)
    for file in scanned.with_nul:
        refuse_nul_values(con, selects[file.name], file.name, file.nul_checked)
    if fiscal_years is not None:
        refuse_outside(con, fiscal_years, selects)
    rows = [
        (f.name, sha, f.kind, load_id, selects[f.name], f.layout.name)
        for f, sha in zip(files, shas, strict=True)
    ]
    with transaction(con):
        stage(con, rows, fiscal_years, load_id)
    return scalar(con, "select coalesce(sum(n), 0) from raw.cases_load")


def _open(
    con: duckdb.DuckDBPyConnection, original: Path, copies: Path | None, hashing: ThreadPoolExecutor
) -> CaseFile:
    """``original`` ready to scan: its format, its hashing read started, a workbook converted
    to Parquet, its columns described and its layout recognised from them."""
    if not original.is_file():
        raise InputFileError(original, "file not found")
    path, kind = original, _kind(original)
    if kind == ".csv":
        sniff_text_file(path)
    # the one read that hashes a CSV also refuses a NUL byte or a byte that is not UTF-8
    future = (
        hashing.submit(sha256_of_text, path, kind == ".csv.gz", True)
        if kind in (".csv", ".csv.gz")
        else hashing.submit(sha256_of, path)
    )
    sha: Future[str] | str = future
    if kind == ".xlsx":
        sha = future.result()
        path = xlsx_to_parquet(con, path, sha, copies or path.parent, is_header, CASE_HEADER)
        kind = ".parquet"
    relation = _relation_sql(path, kind)
    try:
        types = [(r[0], r[1]) for r in con.execute(f"describe select * from {relation}").fetchall()]
    except duckdb.Error as exc:
        _raise_hash_error(future)
        _raise_broken_csv(original, kind)
        raise InputFileError(path, f"not readable as {kind}: {exc}") from exc
    columns = [c for c, _ in types]
    try:
        layout = recognise(original, columns)
    except InputFileError:
        if len(columns) == 1:  # how DuckDB's sniffer reads a file whose quote is never closed
            _raise_broken_csv(original, kind)
        raise
    identifier = layout.identifier if layout.identifier in columns else None
    nul_checked = tuple(c for c, t in types if t.upper() == "VARCHAR") if kind == ".parquet" else ()
    return CaseFile(
        original,
        typed_as_text(relation, types),
        sha,
        kind,
        layout,
        projection(layout, columns, nul_checked),
        identifier,
        nul_checked,
    )


@dataclass(frozen=True)
class Scanned:
    """What the one scan found besides the counts."""

    repeated: list[tuple[int, int]]  # (identifier hash, rows) of every hash on several rows
    with_nul: list[CaseFile]  # the files with a NUL byte in a checked text column


def _scan(
    con: duckdb.DuckDBPyConnection, files: list[CaseFile], load_id: str, first_path: Path
) -> Scanned:
    """The single pass: raw.cases_load, the load's records counted by file, layout, fiscal
    year and the counted fields; and, from the same read, every record identifier hash found
    on more than one row (duplicates.py) and the files whose checked text columns hold a NUL
    byte. It reads the files without row
    numbers (a window over millions of rows costs more than the scan); raw.cases numbers them
    for anyone who looks a row up."""
    plain_selects = [
        f"select {literal(f.name)} as _source_file, {f.projection} from {f.relation}" for f in files
    ]
    counted = ", ".join(alias for _, alias in COUNTED)
    keys = (
        "_source_file, apprehension_state, apprehension_county, fiscal_year, case_threat_level, "
        "case_criminality, _layout, event_kind, place, method, most_serious_conviction"
    )
    try:
        con.execute(f"""
            create or replace temp table cases_scan as
            with parsed as (
                select
                    _source_file, _layout, event_kind, {counted},
                    {event_date_sql("_event_date")} as d, _nul,
                    case when _record_id is not null then hash(_record_id) end as _record_hash
                from ({" union all by name ".join(plain_selects)})
            ),
            dated as (select *, {fiscal_year_sql("d")} as fiscal_year from parsed)
            select {keys}, count(*) as n, grouping(_record_hash) = 1 as _counts, _record_hash,
                   bool_or(_nul) as _nul
            from dated
            group by grouping sets (({keys}), (_record_hash))
            having grouping(_record_hash) = 1 or (_record_hash is not null and count(*) > 1)""")
    except duckdb.Error as exc:
        for f in files:  # a NUL byte found by the hashing read comes first
            _raise_hash_error(f.sha)
        for f in files:  # then a quote never closed, at the line its record starts
            _raise_broken_csv(f.original, f.kind)
        raise InputFileError(first_path, f"could not read the case files: {exc}") from exc
    con.execute(f"""
        create or replace table raw.cases_load as
        select {keys}, n, {literal(load_id)} as _load_id from cases_scan where _counts""")
    repeated = con.execute(
        "select _record_hash, n from cases_scan where not _counts order by 1"
    ).fetchall()
    nul = con.execute("select distinct _source_file from cases_scan where _nul").fetchall()
    con.execute("drop table cases_scan")
    with_nul = [f for f in files if (f.name,) in nul]
    return Scanned([(int(h), int(n)) for h, n in repeated], with_nul)


def _raise_broken_csv(path: Path, kind: str) -> None:
    """On a failure path: refuse a CSV whose records Python's strict parser cannot read (a
    quote never closed, named at the line its record starts) rather than report what DuckDB's
    sniffer made of it (a header of one column, or its sniffing dump)."""
    if kind in (".csv", ".csv.gz"):
        broken = csv_structure_error(path, kind == ".csv.gz")
        if broken is not None:
            raise broken


def _records_select(file: CaseFile, sha: str, load_id: str) -> str:
    """The file's records as published, with file, sha256, row number and load id: the view
    raw.cases_load_records is the union of these, and a refusal looks its row up in one."""
    return f"""select *, {literal(file.name)} as _source_file,
                   {literal(sha)} as _source_sha256,
                   row_number() over () as _source_row, {literal(load_id)} as _load_id
            from {file.relation}"""


def _raise_hash_error(sha: Future[str] | str) -> None:
    """Raise the InputFileError the hashing read found (a NUL byte), if any."""
    if isinstance(sha, Future):
        error = sha.exception()
        if isinstance(error, InputFileError):
            raise error
