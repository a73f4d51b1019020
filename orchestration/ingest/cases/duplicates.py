"""Duplicate case records are refused before anything is staged: counted twice, they would double
the published counts, and once published they would become the baseline the completeness gate
holds every later (correct) load to. Three ways a record comes in twice:

* the same file given twice (the same path, or the same bytes under two names: equal sha256);
* overlapping files, or a record repeated within one file: the same record identifier (the
  layout's ``identifier`` column, e.g. ``Unique Identifier``) on more than one row of the load.
  Blank and redacted identifiers ("(b)(7)e)") identify nothing and are not compared; a layout
  without an identifier column (the book-ins) is checked by its files' sha256 only.

The identifiers are compared in the one scan (scan.py groups by a 64-bit hash of each
identifier beside the counts, so no file is read twice); only when some hash repeats are the
records looked up again, by their real identifier, to name them (a hash collision alone is
never refused)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.ingest.cases.fields import record_id_sql
from orchestration.ingest.errors import InputFileError
from orchestration.ingest.sql_text import ident

EXAMPLES = 3


def refuse_same_path(paths: Sequence[Path]) -> None:
    """The same file named twice (after resolving links and relative paths)."""
    seen: dict[Path, Path] = {}
    for path in paths:
        resolved = Path(path).resolve()
        if resolved in seen:
            raise InputFileError(
                path,
                "given twice as a case file of this load: its records would be counted twice; "
                "name each release file once",
            )
        seen[resolved] = Path(path)


def refuse_same_content(names: Sequence[str], shas: Sequence[str]) -> None:
    """Two names for the same bytes (a copy of a release under another name)."""
    first: dict[str, str] = {}
    for name, sha in zip(names, shas, strict=True):
        if sha in first:
            raise InputFileError(
                name,
                f"the same content as {first[sha]} (sha256 {sha[:16]}…), given in the same "
                "load: its records would be counted twice; name each release file once",
            )
        first[sha] = name


@dataclass(frozen=True)
class IdentifiedFile:
    """A file of the load that has its layout's identifier column."""

    name: str
    position: int  # in the load's order of files
    select: str  # its records, with _source_row (scan.py)
    column: str  # the identifier column
    kind: str  # .csv | .csv.gz | .parquet


@dataclass(frozen=True)
class Occurrence:
    file: IdentifiedFile
    row: int  # the data row (the CSV line is row + 1)

    @property
    def location(self) -> dict[str, int]:
        if self.file.kind in (".csv", ".csv.gz"):
            return {"line": self.row + 1}
        return {"row": self.row}

    def __str__(self) -> str:
        return ", ".join([self.file.name, *(f"{k} {v}" for k, v in self.location.items())])


def refuse_repeated_records(
    con: duckdb.DuckDBPyConnection,
    repeated: list[tuple[int, int]],
    identified: list[IdentifiedFile],
) -> None:
    """Refuse the load when a record identifier repeats. ``repeated`` is (identifier hash,
    rows) of every hash on more than one row, from the scan; ``identified`` the files with an
    identifier column."""
    repeated = sorted(repeated)
    for start in range(0, len(repeated), EXAMPLES):
        batch = [h for h, _ in repeated[start : start + EXAMPLES]]
        found = _occurrences(con, batch, identified)
        examples = {rid: places for rid, places in found.items() if len(places) > 1}
        if examples:
            _refuse(examples, repeated)


def _occurrences(
    con: duckdb.DuckDBPyConnection, hashes: list[int], identified: list[IdentifiedFile]
) -> dict[str, list[Occurrence]]:
    """Every row of the load whose identifier hashes to one of ``hashes``, by identifier, in
    file and row order."""
    found: dict[str, list[Occurrence]] = {}
    wanted = ", ".join(str(int(h)) for h in hashes)
    for file in identified:
        record_id = record_id_sql(f"cast({ident(file.column)} as varchar)")
        rows = con.execute(f"""
            select _source_row, {record_id} as rid from ({file.select})
            where {record_id} is not null and hash({record_id}) in ({wanted})
            order by _source_row""").fetchall()
        for row, rid in rows:
            found.setdefault(rid, []).append(Occurrence(file, int(row)))
    return found


def _refuse(examples: dict[str, list[Occurrence]], repeated: list[tuple[int, int]]) -> None:
    """One line: where the first example repeats, its other places, and how many repeat."""
    rid, places = min(examples.items(), key=lambda item: (item[1][1].file.position, item[1][1].row))
    again = places[1]
    ids = len(repeated)
    extra = sum(n - 1 for _, n in repeated)
    files = sorted({p.file.name for occurrences in examples.values() for p in occurrences})
    raise InputFileError(
        again.file.name,
        f"record {rid!r} appears {len(places)} times in this load (first: {places[0]}); "
        f"{ids:,} identifier(s) appear more than once, {extra:,} extra record(s) (e.g. "
        f"{', '.join(repr(r) for r in sorted(examples)[:EXAMPLES])}; in "
        f"{', '.join(files)}): a file given twice, overlapping files or a repeated record "
        "would be counted twice",
        column=again.file.column,
        **again.location,
    )
