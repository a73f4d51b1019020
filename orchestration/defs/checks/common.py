"""What every check shares: reading a frame from the build database and turning a GX outcome
into a Dagster check result."""

from collections.abc import Callable
from typing import Any

import dagster as dg
import pandas as pd

from orchestration.defs.resources import WarehouseResource
from orchestration.validation.gx import SuiteOutcome


def to_check_result(outcome: SuiteOutcome) -> dg.AssetCheckResult:
    """Passed/failed with the failing expectations and sample offending rows as metadata."""
    severity = dg.AssetCheckSeverity.ERROR if outcome.blocking else dg.AssetCheckSeverity.WARN
    failures = {
        f"{o.expectation}({o.column})": {
            "note": o.note,
            "unexpected_count": o.unexpected_count,
            "raised": o.raised,
            "sample_rows": o.sample_rows,
        }
        for o in outcome.failures
    }
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=severity,
        description=outcome.message()[:4000],
        metadata={
            "suite": outcome.suite,
            "table": outcome.table,
            "expectations": len(outcome.outcomes),
            "failed": len(outcome.failures),
            "raised": len(outcome.errors),
            "failures": dg.MetadataValue.json(failures),
        },
    )


def read_frame(warehouse: WarehouseResource, sql: str) -> pd.DataFrame:
    with warehouse.connect(read_only=True) as con:
        return con.execute(sql).df()


def validate(
    warehouse: WarehouseResource,
    sql: str,
    suite: str,
    table: str,
    parameters: dict | None = None,
) -> dg.AssetCheckResult:
    """Run the GX ``suite`` on the rows of ``sql`` (``table`` names them in messages)."""
    from orchestration.validation.gx import run_suite

    frame = read_frame(warehouse, sql)
    return to_check_result(run_suite(frame, suite, table, parameters=parameters))


NAMES_SHOWN = 3  # quarantined names a warning spells out; the QA table has them all


def quarantine_warning(
    frame: pd.DataFrame,
    rows_column: str,
    names: str,
    rows: str,
    *,
    name_columns: tuple[str, str],
    qa_table: str,
) -> dg.AssetCheckResult:
    """A warning listing quarantined names (one row each in ``frame``: the first few by name and
    state from ``name_columns``) and the rows they hold, and the published table to query."""
    records = frame.to_dict("records")
    held = int(frame[rows_column].sum()) if records else 0
    name, state = name_columns
    shown = ", ".join(f"{r[name]!r} ({r[state]})" for r in records[:NAMES_SHOWN])
    more = f" and {len(records) - NAMES_SHOWN} more" if len(records) > NAMES_SHOWN else ""
    return dg.AssetCheckResult(
        passed=not records,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{len(records)} {names} quarantined, {held} {rows} set aside: "
        f"{shown}{more}; every one with its reason in {qa_table}",
        metadata={"quarantined": dg.MetadataValue.json(records[:50])},
    )


# A suite check's frame: (rows to validate, suite name, the table as messages name it).
SuiteFrame = Callable[[WarehouseResource], tuple[pd.DataFrame, str, str]]

# Validations started ahead, by (run id, check name): see validate_ahead.
_AHEAD: dict[tuple[str, str], Any] = {}


def validate_ahead(
    run_id: str, frames: dict[str, SuiteFrame], warehouse: WarehouseResource
) -> None:
    """Start the GX suites of an asset's checks as soon as the asset is materialized, in the
    validation process, while this one goes on with the next steps; each check then collects
    its outcome (suite_outcome). Dagster runs a run's steps one after another, so without this
    the run waited for each suite in turn (≈0.9 s of a sample run's ≈2.4 s of ingest and raw
    checks). Nothing is started without a validation process (the checks then validate when
    they run), and a frame that cannot be read is left to its check, which reads it again and
    fails saying why. The frames are read right after the asset wrote its table, and nothing
    writes that table again before its checks run."""
    from orchestration.validation.gx import submit_suite, worker_running

    if not worker_running():
        return
    for name, frame_of in frames.items():
        try:
            frame, suite, table = frame_of(warehouse)
        except Exception:  # noqa: BLE001, S112  (the check itself reports it)
            continue
        future = submit_suite(frame, suite, table)
        if future is not None:
            _AHEAD[(run_id, name)] = future


def suite_outcome(
    run_id: str, name: str, frame_of: SuiteFrame, warehouse: WarehouseResource
) -> SuiteOutcome:
    """The outcome of check ``name``'s suite: started ahead by its asset in this run, else
    validated now."""
    from concurrent.futures.process import BrokenProcessPool

    from orchestration.validation.gx import run_suite

    future = _AHEAD.pop((run_id, name), None)
    if future is not None:
        try:
            return future.result()
        except BrokenProcessPool:  # the validation process died: validate here instead
            pass
    frame, suite, table = frame_of(warehouse)
    return run_suite(frame, suite, table)
