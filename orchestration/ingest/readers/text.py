"""Bytes before text: a file's sha256, and the refusal of what cannot be text at all (a NUL byte
anywhere, UTF-16, an archive under a .csv name), for every reader of text (CSV, gzip-compressed
CSV). The sha256 and the NUL scan are one read; a gzip file is scanned decompressed, in bounded
pieces."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

from orchestration.ingest.errors import InputFileError
from orchestration.ingest.readers.locate import Utf8Check, line_at, not_decodable


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


BLOCK = 1 << 20  # (as readers/locate.py reads)


def sha256_of_text(path: Path, compressed: bool = False, utf8: bool = False) -> str:
    """sha256 of the file's bytes, refusing on the way a NUL byte anywhere in its text (the
    same single read: a NUL test per 1 MiB block is a memchr, so it costs next to nothing
    beside the hash) and, with ``utf8``, a byte that is not UTF-8 (an ASCII block costs one
    test; others are decoded). ``compressed``: a gzip file, whose decompressed text is scanned
    in bounded pieces (its sha256 stays that of the bytes on disk). A refusal names the line
    (and column) holding the byte."""
    digest = hashlib.sha256()
    offset = 0  # of the text scanned so far (decompressed for a gzip file)
    inflate = zlib.decompressobj(wbits=31)
    check = Utf8Check() if utf8 else None
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
                _scan(path, text, offset, check, compressed)
                offset += len(text)
    if check is not None:
        _scan(path, b"", offset, check, compressed, final=True)
    return digest.hexdigest()


def _scan(
    path: Path,
    text: bytes,
    offset: int,
    check: Utf8Check | None,
    compressed: bool,
    final: bool = False,
) -> None:
    """Refuse a NUL byte in ``text`` (at text offset ``offset``), or a byte that is not UTF-8."""
    if b"\x00" in text:
        _refuse_nul(path, offset + text.index(b"\x00"), compressed)
    if check is None:
        return
    try:
        check.check(text, final)
    except UnicodeDecodeError as exc:
        raise not_decodable(path, offset + exc.start, exc, "utf-8", compressed) from None


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
    raise InputFileError(
        path,
        f"contains a NUL byte (at byte {at:,}{' of its decompressed text' if compressed else ''})"
        ": this is binary data, not CSV text",
        line=line_at(path, at, compressed)[0],
    )


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
