"""The run's two helper processes, started by `scomm run` and stopped when it ends."""

from __future__ import annotations


def start_workers() -> None:
    """The run's two helper processes: the Great Expectations worker, forked now (before
    Dagster is imported or any thread starts, which makes a plain fork safe), which imports GX
    (≈2.5 s) while this process imports Dagster and dbt and then validates on request
    (validation/worker.py); and dbt's worker, forked by the run once it has imported dbt, which
    builds the dbt models on the second core while this process handles their results
    (defs/dbt_runner.py). Runs without them (the daemon's, tests' execute()) do both in this
    process."""
    from orchestration.defs import dbt_runner
    from orchestration.validation import worker

    worker.start_worker()
    dbt_runner.want_worker()


def stop_workers() -> None:
    from orchestration.defs import dbt_runner
    from orchestration.validation import worker

    worker.stop_worker()
    dbt_runner.stop_worker()
