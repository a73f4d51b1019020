"""A CSV layout read as text: every required column as published (blank = NULL, "not reported"),
each row's line number, the columns the layout does not know kept as JSON. Refused: what is not
text (readers/text.py), a missing or duplicated column, a row with the wrong number of fields,
bytes that are not in the layout's encoding."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from orchestration.ingest.errors import InputFileError
from orchestration.ingest.readers.locate import first_undecodable, not_decodable
from orchestration.ingest.readers.text import sha256_of_text, sniff_text_file


@dataclass(frozen=True)
class ParsedFile:
    rows: pd.DataFrame  # canonical columns as text + _source_line + _extra_columns
    sha256: str
    extra_columns: tuple[str, ...]


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


def _delimiter_hint(header_line: str) -> str:
    for delimiter, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
        if header_line.count(delimiter) >= 2 and "," not in header_line:
            return f" (the header looks {name}-delimited; the layout is comma-separated)"
    return ""


class _Undecodable(Exception):
    def __init__(self, error: InputFileError) -> None:
        self.error = error


def _header(path: Path, reader: Iterator[list[str]], required: tuple[str, ...]) -> list[str]:
    """The header's names (folded), refusing an empty file, a duplicated or missing column."""
    header = next(reader, None)
    if header is None:
        raise InputFileError(
            path, "empty file: expected a header row with columns " + ", ".join(required), line=1
        )
    names = [_normalize_header(h) for h in header]
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        raise InputFileError(path, f"duplicated column(s) {duplicated} in the header", line=1)
    missing = [c for c in required if c not in names]
    if missing:
        raise InputFileError(
            path,
            f"missing required column(s) {missing}; the header has "
            f"{names[:20]}{' …' if len(names) > 20 else ''}" + _delimiter_hint(",".join(header)),
            line=1,
            column=missing[0],
        )
    return names


def _read_csv(
    path: Path, required: tuple[str, ...], keep_extra: bool, encoding: str, sha: str
) -> ParsedFile:
    records: list[dict[str, object]] = []
    with path.open("r", encoding=encoding, newline="") as f:
        reader = csv.reader(f, strict=True)
        line = 0  # the last line of the last record read
        try:
            names = _header(path, reader, required)
            extra = tuple(n for n in names if n not in required and n) if keep_extra else ()
            index = {n: i for i, n in enumerate(names)}
            line = reader.line_num
            for fields in reader:
                start_line, line = line + 1, reader.line_num
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
            raise _Undecodable(_undecodable(path, encoding, exc)) from exc
        except csv.Error as exc:
            raise _not_csv(path, exc, line + 1, reader.line_num) from exc
    if not records:
        raise InputFileError(path, "no data rows below the header", line=2)
    names_out = [*required, "_source_line", "_extra_columns"]
    # Explicit object columns: pandas would otherwise turn None (not reported) into NaN.
    frame = pd.DataFrame({c: pd.Series([r[c] for r in records], dtype=object) for c in names_out})
    return ParsedFile(rows=frame, sha256=sha, extra_columns=extra)


def _undecodable(path: Path, encoding: str, exc: UnicodeDecodeError) -> InputFileError:
    """The refusal naming the line and column of the first byte ``encoding`` cannot decode (the
    decoder reads ahead of the CSV parser, so its error says nothing of the line)."""
    found = first_undecodable(path, encoding)
    if found is None:  # (the file changed under the read)
        return InputFileError(path, f"not {encoding.upper()} text ({exc.reason})")
    return not_decodable(path, *found, encoding)


def _not_csv(path: Path, exc: csv.Error, start: int, reached: int) -> InputFileError:
    """The refusal of a record the CSV parser cannot read, at the line the record starts on: an
    unbalanced quote makes the parser read to the end of the file, so the line it reached says
    nothing of where the open quote is."""
    if "unexpected end of data" in str(exc):
        return InputFileError(
            path,
            f"not readable as CSV: a quote in the record starting on this line is never closed "
            f"(the parser read to the end of the file, line {reached}, for its closing quote)",
            line=start,
        )
    if "expected after '\"'" in str(exc):
        return InputFileError(
            path,
            "not readable as CSV: a quoted field in the record starting on this line is "
            f"followed by text after its closing quote (at line {reached}): an unbalanced "
            "quote opens a field that runs on until the next quote",
            line=start,
        )
    where = f" (at line {reached}, in the record that starts here)" if reached != start else ""
    return InputFileError(path, f"not readable as CSV: {exc}{where}", line=start)


def csv_structure_error(path: Path, compressed: bool = False) -> InputFileError | None:
    """The refusal of the first record Python's strict CSV parser cannot read (an unbalanced
    quote: at the line its record starts), or None when every record reads. Only on a failure
    path: DuckDB's sniffer takes a file whose quote is never closed for a file of one column,
    so its error (a header without the layout's columns) says nothing of the cause."""
    import gzip

    opened = gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    with opened if compressed else path.open(encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.reader(f, strict=True)
        line = 0
        try:
            for _ in reader:
                line = reader.line_num
        except csv.Error as exc:
            return _not_csv(path, exc, line + 1, reader.line_num)
    return None
