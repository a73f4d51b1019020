"""What every reader shares: the input error that names file, line and column, text sniffing
(binary, encodings), sha256, reading a CSV layout as text, and writing a raw table with its load
metadata (file, sha256, line, load id and time).

Readers refuse outright what cannot be read as the layout at all: a file that is not text (a
NUL byte anywhere, UTF-16, an archive), a missing required column, a row with the wrong number of
fields; and what is well formed but cannot be true or cannot be stored (ValueRules): a date
outside its source's plausible years, a count too large for its column's type. Format checks
(a count written "68,230", a date written 09/30/2012) and arithmetic happen afterwards, in the
Great Expectations suites and in dbt staging.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gzip
import hashlib
import json
import numbers
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from orchestration.fiscal import fiscal_year_range, fiscal_year_start

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
        self,
        path: Path | str,
        message: str,
        line: int | None = None,
        column: str | None = None,
        row: int | None = None,  # the data row of a file without lines (Parquet, a workbook)
    ) -> None:
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.column, self.row = str(path), line, column, row


@dataclass(frozen=True)
class ParsedFile:
    rows: pd.DataFrame  # canonical columns as text + _source_line + _extra_columns
    sha256: str
    extra_columns: tuple[str, ...]


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


BLOCK = 1 << 20


def sha256_of_text(path: Path, compressed: bool = False) -> str:
    """sha256 of the file's bytes, refusing on the way a NUL byte anywhere in its text (the
    same single read: a NUL test per 1 MiB block is a memchr, so it costs next to nothing
    beside the hash). ``compressed``: a gzip file, whose decompressed text is scanned in
    bounded pieces (its sha256 stays that of the bytes on disk)."""
    digest = hashlib.sha256()
    offset = 0  # of the text scanned so far (decompressed for a gzip file)
    inflate = zlib.decompressobj(wbits=31)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(BLOCK), b""):
            digest.update(block)
            pieces = [block]
            if compressed:
                try:
                    pieces, inflate = _inflated(inflate, block)
                except zlib.error as exc:
                    raise InputFileError(path, f"not readable as gzip: {exc}") from exc
            for text in pieces:  # (a zlib.error surfaces as the caller's read error)
                if b"\x00" in text:
                    _refuse_nul(path, offset + text.index(b"\x00"), compressed)
                offset += len(text)
    return digest.hexdigest()


def _inflated(inflate: zlib._Decompress, block: bytes) -> tuple[list[bytes], zlib._Decompress]:
    """``block`` of a gzip file decompressed in pieces of at most 16 MiB (a highly compressed
    file never expands at once), and the decompressor for the next block (a gzip file may hold
    several members one after another)."""
    pieces = []
    data = block
    while data:
        pieces.append(inflate.decompress(data, 16 * BLOCK))
        data = inflate.unconsumed_tail
        if inflate.eof:
            data = inflate.unused_data + data
            inflate = zlib.decompressobj(wbits=31)
            if not data:
                break
    return pieces, inflate


def _refuse_nul(path: Path, at: int, compressed: bool) -> None:
    """Raise the NUL-byte refusal for the text byte at offset ``at``, naming its line (counted
    only now, on the failure path)."""
    newlines = 0
    opener = gzip.open if compressed else open
    with opener(path, "rb") as f:
        left = at
        while left > 0:
            block = f.read(min(BLOCK, left))
            if not block:
                break
            newlines += block.count(b"\n")
            left -= len(block)
    raise InputFileError(
        path,
        f"contains a NUL byte (at byte {at:,}{' of its decompressed text' if compressed else ''})"
        ": this is binary data, not CSV text",
        line=newlines + 1,
    )


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
    sha = sha256_of_text(path)
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
    cannot be CSV text: compressed archives under a .csv name, UTF-16 text and binary data.
    (A NUL byte further on is refused by sha256_of_text, in the read that hashes the file.)"""
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    utf16 = _utf16(head)
    if utf16:
        described, codec = utf16
        raise InputFileError(
            path,
            f"is UTF-16 text ({described}), not UTF-8; convert it to UTF-8 with e.g. "
            f"`iconv -f {codec} -t UTF-8 {path.name} > {path.stem}-utf8{path.suffix}`",
            line=1,
        )
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


def _utf16(head: bytes) -> tuple[str, str] | None:
    """How ``head`` is UTF-16 ("little-endian, with a byte order mark" …) and the name iconv
    reads it by, or None: a byte order mark, or (without one) text whose every other byte is
    NUL and that decodes as UTF-16 into printable characters, as spreadsheet programs write
    "Unicode text"."""
    for bom, order in ((b"\xff\xfe", "little-endian"), (b"\xfe\xff", "big-endian")):
        if head.startswith(bom) and not head.startswith(b"\xff\xfe\x00\x00"):  # not UTF-32
            return f"{order}, with a byte order mark", "UTF-16"
    even = head[: len(head) // 2 * 2]
    if len(even) < 4:
        return None
    for codec, zeros, order in (
        ("UTF-16LE", even[1::2], "little-endian"),
        ("UTF-16BE", even[0::2], "big-endian"),
    ):
        if zeros.count(0) < 0.9 * len(zeros):
            continue
        decoded = even.decode(codec, errors="replace")  # (the cut may split a pair)
        printable = sum(c.isprintable() or c in "\r\n\t" for c in decoded)
        if printable >= 0.95 * len(decoded):
            return f"{order}, without a byte order mark", codec
    return None


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


# The types dbt staging casts published values to: a value that does not fit is refused here,
# naming its line, rather than by a cast error in dbt that names neither file nor line.
BIGINT_MAX = 2**63 - 1
# Secure Communities ran from 2008 (the first activation: Harris County, TX, 27 October 2008)
PROGRAM_FIRST_DAY = dt.date(2008, 1, 1)


def warehouse_days() -> tuple[dt.date, dt.date]:
    """First and last day of the fiscal years the warehouse accepts (dbt_project.yml vars)."""
    first, last = fiscal_year_range()
    return fiscal_year_start(first), fiscal_year_start(last + 1) - dt.timedelta(days=1)


def program_days() -> tuple[dt.date, dt.date]:
    """The days a Secure Communities date (an activation, a report's end) can fall on."""
    return PROGRAM_FIRST_DAY, warehouse_days()[1]


def _range_reason(first: dt.date, last: dt.date) -> str:
    first_fy, last_fy = fiscal_year_range()
    if first == PROGRAM_FIRST_DAY:
        return (
            f"Secure Communities' years ({first} to {last}: the program began in 2008, "
            f"the warehouse ends with FY{last_fy}, dbt_project.yml vars)"
        )
    return (
        f"the fiscal years the warehouse accepts (FY{first_fy} to FY{last_fy}: {first} to "
        f"{last}, dbt_project.yml vars)"
    )


@dataclass(frozen=True)
class ValueRules:
    """What a layout's well-formed values must be to be stored and true. Values that are not
    well formed (not digits, not YYYY-MM-DD, an impossible day) are left to the GX suites,
    which name them with the rest of the format checks."""

    counts: tuple[str, ...] = ()  # whole numbers stored as bigint: must fit
    years: tuple[str, ...] = ()  # whole years: within the warehouse's fiscal years
    dates: Mapping[str, tuple[dt.date, dt.date]] = field(default_factory=dict)  # first, last


WHOLE = re.compile(r"^[+-]?[0-9]+$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def value_problem(rules: ValueRules, column: str, value: object) -> str | None:
    """Why ``value`` of ``column`` breaks ``rules`` (None when it does not, or when it is not
    well formed: the format checks name that)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None  # not reported
    if column in rules.counts or column in rules.years:
        if isinstance(value, numbers.Integral):
            number = int(value)
        elif isinstance(value, float):
            if not value.is_integer():
                return None if column in rules.counts else f"year {value} is not a whole year"
            number = int(value)
        elif isinstance(value, str) and WHOLE.match(value.strip()):
            number = int(value.strip())
        else:
            return None
        if column in rules.years:
            first, last = fiscal_year_range()
            if not first <= number <= last:
                return (
                    f"year {_show(value)} is outside the fiscal years the warehouse accepts "
                    f"(FY{first} to FY{last}, dbt_project.yml vars)"
                )
        elif not -BIGINT_MAX - 1 <= number <= BIGINT_MAX:
            return (
                f"count {_show(value)} does not fit its column's type (a 64-bit integer, at most "
                f"{BIGINT_MAX:,})"
            )
    if column in rules.dates:
        if isinstance(value, dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
        elif isinstance(value, str) and ISO_DATE.match(value.strip()):
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                return None  # an impossible day: the GX suites name it
        else:
            return None
        earliest, latest = rules.dates[column]
        if not earliest <= day <= latest:
            shown = value if isinstance(value, str) else day.isoformat()
            return f"date {shown!r} is outside {_range_reason(earliest, latest)}"
    return None


def _show(value: object) -> str:
    """A value as the message quotes it: text quoted as published, a whole float without .0."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_values(
    frame: pd.DataFrame, path: Path, rules: ValueRules, line_column: str = "_source_line"
) -> None:
    """Refuse the first row (in file order) with a value that breaks ``rules``: one line naming
    file, line, column and value."""
    first: tuple[int, str, str] | None = None
    columns = [*rules.counts, *rules.years, *(c for c in rules.dates if c not in rules.years)]
    for column in dict.fromkeys(columns):
        if column not in frame.columns:
            continue
        for line, value in zip(frame[line_column], frame[column], strict=True):
            if first is not None and line >= first[0]:
                break
            problem = value_problem(rules, column, value)
            if problem:
                first = (int(line), column, problem)
                break
    if first is not None:
        raise InputFileError(path, first[2], line=first[0], column=first[1])


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
