"""What every check shares: reading a frame from the build database and turning a GX outcome
into a Dagster check result."""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import dagster as dg
import pandas as pd

from orchestration.defs.resources import WarehouseResource
from orchestration.faults import checkpoint
from orchestration.validation.outcomes import SuiteOutcome


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
    from orchestration.validation.worker import run_suite

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


# A suite check's frame: (rows to validate, suite name, the table as messages name it), and
# the suite's parameters if it has any.
SuiteFrame = Callable[[WarehouseResource], tuple]

# A suite check: (asset, check name, blocking, description, the rows its suite validates).
SuiteCheck = tuple[dg.AssetKey, str, bool, str, SuiteFrame]


def suite_check(
    asset: dg.AssetKey, name: str, blocking: bool, description: str, frame_of: SuiteFrame
) -> dg.AssetChecksDefinition:
    """A check running a GX suite on the rows ``frame_of`` reads (its outcome started ahead
    when the asset was materialized, see validate_ahead)."""

    @dg.asset_check(asset=asset, name=name, blocking=blocking, description=description)
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        outcome = suite_outcome(context.run.run_id, name, frame_of, warehouse)
        checkpoint("validation")
        return to_check_result(outcome)

    return _check


def ahead_of(checks: list[SuiteCheck]) -> dict[dg.AssetKey, dict[str, SuiteFrame]]:
    """By asset, the suites to start when it is materialized (validate_ahead)."""
    ahead: dict[dg.AssetKey, dict[str, SuiteFrame]] = {}
    for asset, name, _, _, frame_of in checks:
        ahead.setdefault(asset, {})[name] = frame_of
    return ahead


# Validations started ahead, by (run id, check name): see validate_ahead.
_AHEAD: dict[tuple[str, str], Any] = {}


def validate_ahead(
    run_id: str,
    ahead: Mapping[dg.AssetKey, Mapping[str, SuiteFrame]],
    built: Iterable[dg.AssetKey],
    warehouse: WarehouseResource,
) -> None:
    """Start the GX suites of the checks of the assets just ``built`` (``ahead``: by asset,
    its checks' suites, see ahead_of) as soon as they are materialized, in the
    validation process, while this one goes on with the next steps; each check then collects
    its outcome (suite_outcome). Dagster runs a run's steps one after another, so without this
    the run waited for each suite in turn (≈0.9 s of a sample run's ≈2.4 s of ingest and raw
    checks). Nothing is started without a validation process (the checks then validate when
    they run), and a frame that cannot be read is left to its check, which reads it again and
    fails saying why. The frames are read right after the asset wrote its table, and nothing
    writes that table again before its checks run."""
    from concurrent.futures.process import BrokenProcessPool

    from orchestration.validation.worker import stop_worker, submit_suite, worker_running

    if not worker_running():
        return
    frames = [item for key in built for item in ahead.get(key, {}).items()]
    for name, frame_of in frames:
        try:
            frame, suite, table, *parameters = frame_of(warehouse)
        except Exception:  # noqa: BLE001, S112  (the check itself reports it)
            continue
        try:
            future = submit_suite(frame, suite, table, *parameters)
        except BrokenProcessPool:  # the validation process died: the checks validate here
            stop_worker()
            return
        if future is not None:
            _AHEAD[(run_id, name)] = future


def discard_ahead(run_id: str) -> None:
    """Forget the outcomes run ``run_id`` started and no check collected (a run that ended
    early: the step that would have collected them was skipped)."""
    for key in [key for key in _AHEAD if key[0] == run_id]:
        _AHEAD.pop(key).cancel()


def suite_outcome(
    run_id: str, name: str, frame_of: SuiteFrame, warehouse: WarehouseResource
) -> SuiteOutcome:
    """The outcome of check ``name``'s suite: started ahead by its asset in this run, else
    validated now."""
    from concurrent.futures.process import BrokenProcessPool

    from orchestration.validation.worker import run_suite, stop_worker

    future = _AHEAD.pop((run_id, name), None)
    if future is not None:
        try:
            return future.result()
        except BrokenProcessPool:  # the validation process died: validate here from now on
            stop_worker()
    frame, suite, table, *parameters = frame_of(warehouse)
    return run_suite(frame, suite, table, *parameters)
