"""Where a byte is, for a refusal: the line that holds it and, when the line reads as one record
of the header's width, the column. Only on the failure path (a NUL byte, a byte that is not in
the file's encoding): the file is read again up to the byte, in bounded blocks, decompressed
for a gzip file."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from pathlib import Path

from orchestration.ingest.errors import InputFileError

BLOCK = 1 << 20
LINE_BYTES = 64 * 1024  # how much of a line is read to name its column
MARK = "\ue000"  # a private-use character standing in for the byte, to find its field
UTF8 = ("utf-8", "utf-8-sig")


def _open(path: Path, compressed: bool) -> gzip.GzipFile | io.BufferedReader:
    return gzip.open(path, "rb") if compressed else path.open("rb")


def line_at(path: Path, at: int, compressed: bool = False) -> tuple[int, int]:
    """The line number (from 1) holding text byte ``at``, and the offset its line starts at."""
    newlines, start, pos = 0, 0, 0
    with _open(path, compressed) as f:
        while pos < at:
            block = f.read(min(BLOCK, at - pos))
            if not block:
                break
            newlines += block.count(b"\n")
            last = block.rfind(b"\n")
            if last >= 0:
                start = pos + last + 1
            pos += len(block)
    return newlines + 1, start


def _line_from(path: Path, start: int, compressed: bool) -> bytes:
    """The line starting at text offset ``start`` (at most LINE_BYTES of it)."""
    with _open(path, compressed) as f:
        f.seek(start)
        return f.read(LINE_BYTES).split(b"\n", 1)[0]


def column_at(path: Path, line: int, start: int, at: int, compressed: bool = False) -> str | None:
    """The header's name of the field holding text byte ``at`` of line ``line`` (starting at
    ``start``), when that line parses as one record as wide as the header (a record spanning
    lines, or a line of another width or not CSV at all, names no column)."""
    if line == 1:
        return None
    text = _line_from(path, start, compressed)
    before, after = text[: at - start], text[at - start + 1 :]
    header = _fields(_line_from(path, 0, compressed).decode("utf-8", "replace"))
    fields = _fields(before.decode("utf-8", "replace") + MARK + after.decode("utf-8", "replace"))
    if not header or len(fields) != len(header):
        return None
    index = next((i for i, f in enumerate(fields) if MARK in f), None)
    return None if index is None else header[index].strip().removeprefix("\ufeff")


def _fields(line: str) -> list[str]:
    """One line's fields as CSV ([] when it does not parse as one)."""
    try:
        return next(csv.reader([line.removesuffix("\r")]), [])
    except csv.Error:
        return []


def first_undecodable(
    path: Path, encoding: str, compressed: bool = False
) -> tuple[int, UnicodeDecodeError] | None:
    """The text offset of the first byte of ``path`` that ``encoding`` cannot decode, and the
    decoder's error; None when every byte decodes."""
    decoder = Utf8Check() if codecs.lookup(encoding).name in UTF8 else None
    incremental = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with _open(path, compressed) as f:
        for block in iter(lambda: f.read(BLOCK), b""):
            try:
                if decoder is not None:
                    decoder.check(block)
                else:
                    incremental.decode(block)  # (no pending bytes: single-byte encodings)
            except UnicodeDecodeError as exc:
                return offset + exc.start, exc
            offset += len(block)
        try:
            decoder.check(b"", final=True) if decoder else incremental.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return offset + exc.start, exc
    return None


class Utf8Check:
    """UTF-8 validation of a stream of blocks, in pieces of 64 KiB: a piece of ASCII costs one
    test (no decoding); others are decoded, with the bytes a previous piece left mid-character
    (a release with a few accented names decodes a few pieces, not the file). Raises
    UnicodeDecodeError; ``check`` returns nothing."""

    PIECE = 64 * 1024

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def check(self, block: bytes, final: bool = False) -> None:
        """Validate ``block``; a UnicodeDecodeError's ``start`` is made relative to the block
        (negative: in bytes a previous block left pending)."""
        for first in range(0, len(block), self.PIECE):
            piece = block[first : first + self.PIECE]
            pending = len(self._decoder.getstate()[0])
            if pending or not piece.isascii():
                try:
                    self._decoder.decode(piece)
                except UnicodeDecodeError as exc:
                    exc.start += first - pending
                    raise
        if final:
            pending = len(self._decoder.getstate()[0])
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                exc.start += len(block) - pending
                raise


def not_decodable(
    path: Path, at: int, error: UnicodeDecodeError, encoding: str, compressed: bool = False
) -> InputFileError:
    """The refusal of a byte ``encoding`` cannot decode at text offset ``at``: file, the line
    that holds it and its column (when the line names one)."""
    line, start = line_at(path, at, compressed)
    with _open(path, compressed) as f:
        f.seek(at)
        bad = f.read(1).hex()
    name = "UTF-8" if codecs.lookup(encoding).name in UTF8 else encoding.upper()
    return InputFileError(
        path,
        f"not {name} text (byte 0x{bad} at byte {at:,}"
        f"{' of its decompressed text' if compressed else ''}: {error.reason}); "
        "save the file as UTF-8",
        line=line,
        column=column_at(path, line, start, at, compressed),
    )
