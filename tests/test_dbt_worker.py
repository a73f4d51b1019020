"""`scomm run` builds the dbt models in its dbt worker process (orchestration/defs/dbt_runner.py):
the publication equals the in-process run's table by table, dbt's log goes to the run's log
file, and a worker that dies mid-build fails the run with a clear message, publishing nothing.
(A run killed mid-build takes its worker with it: test_crashes' "dbt" checkpoint.)"""

from tests.test_crashes import publication_state, run_cli, seeded


def test_scomm_run_builds_dbt_in_its_worker_and_publishes_what_in_process_runs_do(
    sample_run, tmp_path
):
    warehouse = tmp_path / "warehouse"
    done = run_cli(warehouse)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Running with dbt" not in done.stdout + done.stderr  # dbt's log is not the summary
    log = (warehouse / "logs" / "last_run.log").read_text(encoding="utf-8")
    assert "dbt build in the worker process" in log
    assert "Running with dbt" in log and "Completed successfully" in log
    # sample_run built dbt in a thread of the test process (runner.execute: no worker)
    _, in_process = publication_state(sample_run.serving)
    _, in_worker = publication_state(warehouse / "marts.duckdb")
    assert in_worker == in_process


def test_a_dbt_worker_that_dies_mid_build_fails_the_run_clearly_and_publishes_nothing(
    sample_run, tmp_path
):
    warehouse = seeded(sample_run, tmp_path)
    before = publication_state(warehouse / "marts.duckdb")
    failed = run_cli(warehouse, env={"SCOMM_KILL_AT": "dbt-worker"})
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "the dbt worker process ended during the build (exit code -9)" in failed.stdout
    assert "nothing was published" in failed.stdout
    assert publication_state(warehouse / "marts.duckdb") == before
    again = run_cli(warehouse)  # the next run rebuilds and publishes, no cleanup needed
    assert again.returncode == 0, again.stdout + again.stderr
    assert publication_state(warehouse / "marts.duckdb")[1] == before[1]
