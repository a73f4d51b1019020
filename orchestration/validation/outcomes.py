"""What a suite found: each expectation met, not met (how many rows, and a few of them with
their file and line) or not evaluated (it raised), and the message a check shows for it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

SAMPLE_ROWS = 5


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    note: str
    success: bool
    raised: str | None = None
    unexpected_count: int = 0
    sample_rows: list[dict[str, Any]] = field(default_factory=list)

    def describe(self, table: str) -> str:
        where = f"{table}.{self.column}" if self.column else table
        if self.raised:
            return f"{self.expectation} on {where} could not be evaluated: {self.raised}"
        rows = "; ".join(_format_row(r) for r in self.sample_rows)
        return (
            f"{self.expectation} on {where} ({self.note}): {self.unexpected_count} "
            f"offending row(s), e.g. {rows}"
        )


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    table: str
    blocking: bool
    outcomes: list[ExpectationOutcome]

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def errors(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.raised]

    @property
    def success(self) -> bool:
        return not self.failures

    def message(self) -> str:
        if self.success:
            return f"{self.suite} on {self.table}: all {len(self.outcomes)} expectations met"
        lines = [
            f"{self.suite} on {self.table}: {len(self.failures)} of "
            f"{len(self.outcomes)} expectations not met"
        ]
        lines += ["  - " + o.describe(self.table) for o in self.failures]
        return "\n".join(lines)


def _format_row(row: dict[str, Any]) -> str:
    parts = []
    for key, value in row.items():
        if key == "_source_file" or key == "source_file":
            continue
        parts.append(f"{key.lstrip('_')}={value!r}")
    source = row.get("_source_file") or row.get("source_file")
    line = row.get("_source_line") or row.get("source_line")
    prefix = f"{source}:{line} " if source else ""
    return prefix + "(" + ", ".join(parts) + ")"


def outcome_of(item: dict[str, Any], success: bool, **fields: Any) -> ExpectationOutcome:
    """The outcome of the suite's expectation ``item`` (as stored in the JSON)."""
    kwargs = item["kwargs"]
    column = (
        kwargs.get("column")
        or kwargs.get("column_A")
        or (",".join(kwargs["column_list"]) if "column_list" in kwargs else None)
    )
    if column and "__" in column and "," not in column:
        column = f"{column.split('__')[0]} (derived: {column})"
    note = item.get("meta", {}).get("notes", "")
    return ExpectationOutcome(item["type"], column, note, success, **fields)


def _plain(value: Any) -> Any:
    """JSON-friendly scalar for messages and Dagster metadata."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def offending_rows(
    df: pd.DataFrame, indexes: list[Any], columns: list[str]
) -> list[dict[str, Any]]:
    """The first SAMPLE_ROWS of the rows at ``indexes`` (as GX reports them), ``columns`` of
    each as plain values."""
    picked = []
    for idx in indexes[:SAMPLE_ROWS]:
        if isinstance(idx, dict):  # compound-column expectations report index dicts
            idx = next(iter(idx.values())) if len(idx) == 1 else idx.get("index", idx)
        try:
            row = df.loc[idx]
        except (KeyError, TypeError):
            continue
        picked.append({c: _plain(row[c]) for c in columns if c in df.columns})
    return picked
