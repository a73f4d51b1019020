"""What every check shares: reading a frame from the build database and turning a GX outcome
into a Dagster check result."""

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
