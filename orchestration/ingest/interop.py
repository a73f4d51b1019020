"""ICE's IDENT/IAFIS interoperability statistics (the canonical CSV) into raw.interop_reports,
losslessly: every value kept as the text that was published (blank -> NULL, surrounding spaces
trimmed) plus load metadata."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.ingest.raw_tables import write_raw_text
from orchestration.ingest.readers.csv import ParsedFile, read_layout_csv
from orchestration.ingest.values import ValueRules, program_days

INTEROP_COLUMNS: tuple[str, ...] = (
    "state",
    "jurisdiction",
    "activation_date",
    "report_through",
    "submissions",
    "matches_l1",
    "matches_l2",
    "matches_l3",
    "matches_nc",
    "matches_total",
    "removals_l1",
    "removals_l2",
    "removals_l3",
    "removals_nc",
    "removals_total",
)
COUNT_COLUMNS: tuple[str, ...] = INTEROP_COLUMNS[4:]


def interop_rules() -> ValueRules:
    """Counts fit bigint; activations and report ends fall in the program's years."""
    days = program_days()
    return ValueRules(counts=COUNT_COLUMNS, dates={"activation_date": days, "report_through": days})


def parse_interop_csv(path: Path) -> ParsedFile:
    """The canonical interoperability layout (UTF-8, optional BOM)."""
    return read_layout_csv(path, INTEROP_COLUMNS)


def load_raw_interop(con: duckdb.DuckDBPyConnection, path: Path, load_id: str) -> ParsedFile:
    """Replace raw.interop_reports with the rows of ``path`` (a rerun never duplicates rows)."""
    parsed = parse_interop_csv(path)
    write_raw_text(con, "interop_reports", parsed, INTEROP_COLUMNS, path, load_id, interop_rules())
    return parsed
