"""What a run did, read from Dagster's events (RunReport: checks passed and failed, step
errors, notes), and which warnings the embedded sample triggers on purpose."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RunReport:
    success: bool
    step_errors: list[str] = field(default_factory=list)
    checks_passed: list[str] = field(default_factory=list)
    checks_failed: list[tuple[str, str, bool]] = field(default_factory=list)  # name, text, blocking
    skipped_steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. extra columns accepted
    run_id: str = ""


# terminal control sequences (colours from dbt's log lines: ESC [ 31 m …) and other escapes
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def plain_text(message: str) -> str:
    """``message`` without terminal control sequences: a refusal prints as text, never as
    colour codes (a safety net under every step error and check message)."""
    return ANSI.sub("", message)


def _root_error(error):
    """The user-facing error inside Dagster's wrappers (a SerializableErrorInfo chain): our own
    errors (InputFileError …) already name file, line and column, so stop at the first
    non-Dagster error instead of descending into the library error it was raised from."""
    while (
        error is not None
        and error.cause is not None
        and ((error.cls_name or "").startswith("Dagster"))
    ):
        error = error.cause
    return error


def root_cause(error) -> str:
    """The root error's message, without the module path of our own exception classes."""
    error = _root_error(error)
    if error is None:
        return "unknown error"
    if error.cls_name == "DagsterExecutionInterruptedError":
        return "interrupted (Ctrl-C or SIGINT) during this step"
    message = plain_text(error.message.strip())
    # our own errors speak for themselves: drop "orchestration.ingest.errors.InputFileError: "
    prefix, sep, rest = message.partition(f"{error.cls_name}: ")
    if sep and prefix.startswith("orchestration."):
        return rest.strip()
    return message


def report_of(result: Any, notes: list[str]) -> RunReport:
    """The RunReport of Dagster's ExecuteInProcessResult, starting with ``notes``."""
    report = RunReport(success=result.success, run_id=result.run_id, notes=notes)
    for event in result.all_events:
        kind = event.event_type_value
        data: Any = event.event_specific_data  # a union of every event's data class
        if kind == "STEP_FAILURE":
            root = _root_error(data.error)
            if root is not None and root.cls_name == "DagsterAssetCheckFailedError":
                continue  # a blocking check failed: its FAILED line below says which and why
            report.step_errors.append(f"{event.step_key}: {root_cause(data.error)}")
        elif kind == "STEP_SKIPPED":
            report.skipped_steps.append(str(event.step_key))
        elif kind == "ASSET_MATERIALIZATION":
            meta = data.materialization.metadata or {}
            extra = meta.get("extra_columns")
            if extra is not None and extra.value:
                report.notes.append(
                    f"{meta['source_file'].value}: extra column(s) "
                    f"{list(extra.value)} accepted and kept in _extra_columns"
                )
        elif kind == "ASSET_CHECK_EVALUATION":
            if data.passed:
                report.checks_passed.append(data.check_name)
            else:
                blocking = data.severity.value == "ERROR"
                text = (
                    data.description
                    or json.dumps({k: str(v.value) for k, v in (data.metadata or {}).items()})[
                        :1500
                    ]
                )
                report.checks_failed.append((data.check_name, plain_text(text), blocking))
    # A blocking check that failed makes the run unsuccessful even if every step "succeeded".
    if any(blocking for _, _, blocking in report.checks_failed):
        report.success = False
    return report


# The warnings the embedded sample (data/sample/generate.py) triggers on purpose, to show the check
# at work: check → (the source whose sample file causes it, what the sample carries).
SAMPLE_ON_PURPOSE = {
    "interop_restatements_suite": (
        "interop",
        "one restatement (Travis County TX, FY2012: a cumulative count that goes down)",
    ),
    "all_287g_agencies_placed": (
        "g287",
        "a 287(g) agency of a place that does not exist (Exampleville Police Department, TX)",
    ),
}


def on_purpose(check: str, sample_sources: set[str]) -> str | None:
    """`expected: …` when ``check`` warned because the embedded sample carries its case on
    purpose (its source was loaded from the sample), else None."""
    source, what = SAMPLE_ON_PURPOSE.get(check, (None, ""))
    if source in sample_sources:
        return f"expected: the embedded sample carries {what} on purpose"
    return None


def sample_sources(warehouse: Path) -> set[str]:
    """The sources whose current load is the embedded synthetic sample."""
    import duckdb

    try:
        with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
            return {
                r[0]
                for r in con.execute(
                    "select source from raw._source_loads where data_status = 'synthetic'"
                ).fetchall()
            }
    except duckdb.Error:
        return set()
