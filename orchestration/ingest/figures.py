"""Figures ICE and DHS published (a hand-compiled CSV, one row per figure, each with its source
page) into raw.published_figures, every value kept as the published text with file, sha256 and
line. Typing, the usable-period rule and quarantine happen in dbt (staging/figures)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.ingest.raw_tables import write_raw_text
from orchestration.ingest.readers.csv import ParsedFile, read_layout_csv
from orchestration.ingest.values import ValueRules, warehouse_days

FIGURE_COLUMNS: tuple[str, ...] = (
    "scope",
    "period_start",
    "period_end",
    "metric",
    "value",
    "note",
    "source_url",
    "source_kind",
)


def load_raw_figures(con: duckdb.DuckDBPyConnection, path: Path, load_id: str) -> ParsedFile:
    """Replace raw.published_figures with the rows of ``path``."""
    parsed = read_layout_csv(path, FIGURE_COLUMNS)
    days = warehouse_days()  # (a period written in words, "+1 year", is left to dbt)
    rules = ValueRules(counts=("value",), dates={"period_start": days, "period_end": days})
    write_raw_text(con, "published_figures", parsed, FIGURE_COLUMNS, path, load_id, rules)
    return parsed
