"""The in-process execution of a planned job against a warehouse (plan.py), and its report."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

from orchestration.paths import RUN_LOG
from orchestration.run.report import RunReport
from orchestration.tempdirs import owned_tempdir, sweep_dead


def execute(
    warehouse: Path,
    sources: dict[str, Path],
    fiscal_years: tuple[int, int] | None = None,
    only: set[str] | None = None,
) -> RunReport:
    """Run the scomm job in process against ``warehouse`` and collect what happened; with
    ``fiscal_years`` (first, last), the cases job for those fiscal years instead; with
    ``only``, just those sources and everything downstream of them (a partial run)."""
    return execute_with_result(warehouse, sources, fiscal_years, only)[0]


def execute_with_result(
    warehouse: Path,
    sources: dict,
    fiscal_years: tuple[int, int] | None = None,
    only: set[str] | None = None,
    accept_smaller: str | None = None,
) -> tuple[RunReport, object]:
    """execute(), also returning Dagster's ExecuteInProcessResult (events, timings);
    ``accept_smaller``: the operator's reason to accept a smaller case release this run."""
    warehouse = warehouse.resolve()
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.defs import dbt_runner
    from orchestration.defs.checks.common import discard_ahead
    from orchestration.defs.resources import shared_connections
    from orchestration.ingest.build_state import forget
    from orchestration.paths import DBT_TARGET
    from orchestration.run.plan import acceptance_of, plan_job
    from orchestration.run.recovery import recover_build_database
    from orchestration.run.report import report_of

    # the run's log starts empty; dbt's worker (if `scomm run` wants one: forked now, with
    # Dagster and dbt imported) loads the manifest while this process builds the definitions
    # and runs the steps before dbt; what it prints is appended to the log
    log_path = warehouse / RUN_LOG
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text("", encoding="utf-8")
    running = dbt_runner.start_wanted_worker(log_path)
    if running is not None:
        running.warm(warehouse / DBT_TARGET, log_path)
    acceptance = acceptance_of(accept_smaller) if accept_smaller is not None else None
    plan = plan_job(sources, fiscal_years, only, acceptance)
    # what a failed run left behind goes first (a leftover write-ahead log is folded in or
    # removed); then, before anything is touched: these sources are no longer as published in
    # the build database, until this run publishes (ingest/build_state.py)
    recovered = recover_build_database(warehouse)
    sweep_dead("run")  # the temporary folders of runs that were killed
    forget(warehouse / "build.duckdb", plan.rebuilt)
    defs = build_definitions(str(warehouse), extra_jobs=plan.extra_jobs)
    # dagster-dbt echoes every dbt event to stdout; keep it in the run's log, not the summary:
    # appended to (O_APPEND) by this process and by dbt's worker, whose dbt log goes here too
    with (
        log_path.open("a", encoding="utf-8", buffering=1) as log,
        contextlib.redirect_stdout(log),
        shared_connections(),
        run_tempdir() as tempdir,
    ):
        result = defs.resolve_job_def(plan.job).execute_in_process(
            run_config=plan.run_config,
            instance=dg.DagsterInstance.ephemeral(tempdir=str(tempdir)),
            raise_on_error=False,
            tags=plan.tags,
        )
    discard_ahead(result.run_id)
    return report_of(result, recovered), result


@contextlib.contextmanager
def run_tempdir() -> Iterator[Path]:
    """Dagster's artifact folder for one run, in $TMPDIR, named after this process
    (tempdirs.py: `scomm-run-PID-…`) so the next run removes it should this one be killed;
    removed when the run ends. (Dagster's own ephemeral folder, `tmpXXXXXXXX`, could not be
    told from anyone else's.)"""
    folder = owned_tempdir("run")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
