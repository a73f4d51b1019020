"""`scomm run`'s helper processes. The dbt models are built in its dbt worker process
(orchestration/defs/dbt_runner.py): the publication equals the in-process run's table by
table, dbt's log goes to the run's log file, and a worker that dies mid-build fails the run
with a clear message, publishing nothing (a run killed mid-build takes its worker with it:
test_crashes' "dbt" checkpoint). The raw GX suites start in the validation process as soon as
their asset is materialized (checks/common.validate_ahead): a bad file still fails its suite
with the same message, and each outcome is collected once."""

import contextlib
import os
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from orchestration.defs.checks import common
from tests.test_crashes import publication_state, run_cli, seeded


def test_scomm_run_builds_dbt_in_its_worker_and_publishes_what_in_process_runs_do(
    sample_run, tmp_path
):
    warehouse = tmp_path / "warehouse"
    done = run_cli(warehouse)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Running with dbt" not in done.stdout + done.stderr  # dbt's log is not the summary
    # the executable ends without the interpreter's teardown (cli.entry): all of the summary,
    # to its last line, still reaches the terminal
    last_line = done.stdout.rstrip().splitlines()[-1]
    assert "scomm sql --warehouse" in last_line, done.stdout[-500:]
    log = (warehouse / "logs" / "last_run.log").read_text(encoding="utf-8")
    assert "dbt build in the worker process" in log
    assert "Running with dbt" in log and "Completed successfully" in log
    # sample_run built dbt in a thread of the test process (run/execute.py: no worker)
    _, in_process = publication_state(sample_run.serving)
    _, in_worker = publication_state(warehouse / "marts.duckdb")
    assert in_worker == in_process
    # the GX suites, started ahead here (by the raw assets, and by the dbt step for the checks
    # after dbt), came back as the in-process run's did, the sample's restatement warning too
    report = sample_run.report
    warnings = len(report.checks_failed)
    assert f"checks passed: {len(report.checks_passed)}, failed: 0 blocking, {warnings}" in (
        done.stdout
    )
    assert "WARNING interop_restatements_suite" in done.stdout


def test_the_dbt_step_starts_the_suites_of_the_checks_after_dbt_and_each_is_collected(
    tmp_path, monkeypatch
):
    """A run with a (stand-in) validation process: every GX suite of the run is started
    ahead — the raw ones by their assets, the ones after dbt by the dbt step, for the models it
    built — and every outcome started is collected by its check."""
    from concurrent.futures import Future

    from orchestration.run.execute import execute
    from orchestration.validation import worker
    from orchestration.validation.validate import validate_here

    started: list[tuple[str, str]] = []

    def submit(frame, suite, table, parameters=None):
        started.append((suite, table))
        future: Future = Future()
        future.set_result(validate_here(frame, suite, table, parameters))
        return future

    collected: list[bool] = []  # for each suite check run: was its outcome started ahead?
    real_outcome = common.suite_outcome

    def outcome(run_id, name, frame_of, warehouse):
        collected.append((run_id, name) in common._AHEAD)
        return real_outcome(run_id, name, frame_of, warehouse)

    monkeypatch.setattr(worker, "worker_running", lambda: True)
    monkeypatch.setattr(worker, "submit_suite", submit)
    monkeypatch.setattr(common, "suite_outcome", outcome)
    report = execute(tmp_path / "warehouse", {})
    assert report.success, report.step_errors
    assert {
        ("case_aggregates", "intermediate.int_case_removals_by_severity"),
        ("interop_restatements", "intermediate.int_interop_cumulative_changes"),
        ("activation_dates_agree", "marts.dim_jurisdiction"),
        ("marts", "marts.mart_jurisdiction_year"),
        ("marts", "marts.mart_state_year"),
        ("marts", "marts.mart_national_year"),
        ("interop_raw", "raw.interop_reports"),
    } <= set(started), started
    # each started once, and each check collected its outcome instead of validating again
    assert len(started) == len(set(started)) == len(collected) and all(collected), collected


def test_a_validation_process_found_dead_when_a_suite_is_started_stops_and_checks_validate_here(
    monkeypatch,
):
    from orchestration.validation import worker

    class DeadPool:
        stopped = False

        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("the validation process died")

        def shutdown(self):
            DeadPool.stopped = True

    monkeypatch.setattr(worker, "_WORKER", DeadPool())

    def frame_of(warehouse):
        return pd.DataFrame({"a": [1]}), "made_up", "t"

    key = dg.AssetKey(["raw", "t"])
    common.validate_ahead("run-5", {key: {"check": frame_of, "other": frame_of}}, [key], None)
    assert ("run-5", "check") not in common._AHEAD and DeadPool.stopped
    assert not worker.worker_running()  # the checks validate in the run's own process


def test_outcomes_no_check_collected_are_discarded_with_their_run():
    class Pending:
        cancelled = False

        def cancel(self):
            Pending.cancelled = True

    common._AHEAD[("run-6", "check")] = Pending()
    common._AHEAD[("run-7", "check")] = Pending()
    common.discard_ahead("run-6")
    assert ("run-6", "check") not in common._AHEAD and Pending.cancelled
    assert ("run-7", "check") in common._AHEAD
    common.discard_ahead("run-7")


def test_every_gx_check_after_dbt_is_started_by_the_dbt_step():
    from orchestration.defs.checks import after_dbt
    from orchestration.defs.dbt import (
        build_dbt_assets,
        dbt_project,
        ensure_manifest,
        models_with_suite,
    )

    project = dbt_project()
    suite_marts = models_with_suite(ensure_manifest(project), "marts")
    ahead = after_dbt(suite_marts)
    assert {name for suites in ahead.values() for name in suites} == {
        "case_aggregates_suite",
        "interop_restatements_suite",
        "activation_dates_agree",
        *(f"{table}_suite" for table in suite_marts),
    }
    # keyed by the dbt models the checks are on: the dbt step starts those it built
    assert set(ahead) <= set(build_dbt_assets(project).keys)
    assert len(suite_marts) == 3


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


def test_a_suite_started_ahead_still_fails_a_bad_file_with_file_line_and_value(
    sample_run, tmp_path
):
    from orchestration.paths import REPO_ROOT

    lines = (REPO_ROOT / "data" / "sample" / "g287.csv").read_text(encoding="utf-8").splitlines()
    assert ",945,637," in lines[2]
    lines[2] = lines[2].replace(",945,637,", ",945,-637,")
    bad = tmp_path / "g287.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    warehouse = seeded(sample_run, tmp_path)
    before = publication_state(warehouse / "marts.duckdb")
    failed = run_cli(warehouse, "--source", f"g287={bad}")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    out = failed.stdout
    assert "FAILED g287_raw_suite" in out and f"{bad}:3" in out and "removed='-637'" in out
    assert publication_state(warehouse / "marts.duckdb") == before


def test_an_outcome_started_ahead_is_collected_once_and_a_dead_validator_falls_back(
    monkeypatch,
):
    validated_here: list[str] = []
    monkeypatch.setattr(
        "orchestration.validation.worker.run_suite",
        lambda frame, suite, table: validated_here.append(suite) or f"{suite} validated here",
    )

    def frame_of(warehouse):
        return pd.DataFrame({"a": [1]}), "made_up", "t"

    class Ready:
        def result(self):
            return "validated ahead"

    class Broken:
        def result(self):
            raise BrokenProcessPool("the validation process died")

    common._AHEAD[("run-1", "check")] = Ready()
    assert common.suite_outcome("run-1", "check", frame_of, None) == "validated ahead"
    assert validated_here == []
    # collected once: asked again (a re-executed check), it validates what the table holds now
    assert common.suite_outcome("run-1", "check", frame_of, None) == "made_up validated here"
    common._AHEAD[("run-2", "check")] = Broken()
    assert common.suite_outcome("run-2", "check", frame_of, None) == "made_up validated here"
    assert validated_here == ["made_up", "made_up"]


def test_without_a_validation_process_nothing_is_started_ahead(monkeypatch):
    monkeypatch.setattr("orchestration.validation.worker._WORKER", None)

    def frame_of(warehouse):
        pytest.fail("no frame is read ahead without a validation process")

    key = dg.AssetKey(["raw", "t"])
    common.validate_ahead("run-3", {key: {"check": frame_of}}, [key], None)
    assert ("run-3", "check") not in common._AHEAD


def test_the_dbt_worker_parses_again_at_the_build_when_its_early_parse_failed(
    sample_copy, tmp_path, monkeypatch
):
    """The worker's protocol on its own: a parse asked for early that fails (here: its target
    folder cannot be made) is not held against the build, which parses again; the build's
    events come back as dbt's JSON log dicts, and stop() ends the process."""
    import json

    from orchestration.defs import dbt_runner
    from orchestration.defs.dbt_runner import RUN_BUILD_ARGS, DbtWorker

    # the worker starts with no parsed manifest (this process may hold one from sample_run)
    monkeypatch.setattr(dbt_runner, "_PARSED", {})
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    worker = DbtWorker()
    try:
        worker.warm(blocked / "target", None)  # cannot be created: the parse fails
        events = worker.build(
            [
                *RUN_BUILD_ARGS,
                "--select",
                "us_states",
                "--vars",
                json.dumps({"build_db": str(sample_copy.build)}),
            ],
            tmp_path / "target",
            tmp_path / "run.log",
        )
        received = []
        while True:
            try:
                received.append(next(events))
            except StopIteration as done:
                success, error = done.value
                break
        assert success, error
        names = {e["info"]["name"] for e in received}
        assert "LogSeedResult" in names  # us_states seeded
        assert "Running with dbt" in (tmp_path / "run.log").read_text(encoding="utf-8")
        # the build parsed for itself (into its own target folder): the early parse had failed
        assert (tmp_path / "target" / "partial_parse.msgpack").exists()
    finally:
        worker.stop()
    assert not worker.alive()


def test_the_dbt_worker_loads_the_manifest_at_a_lower_priority_and_builds_at_the_normal_one(
    tmp_path, monkeypatch
):
    from orchestration.defs import dbt_runner
    from orchestration.defs.dbt_runner import PARSE_NICE, DbtWorker

    monkeypatch.setattr(dbt_runner, "_PARSED", {})  # the worker parses for itself

    def nice_values(pid: int) -> dict[int, int]:
        """Each thread's nice value by thread id (field 19 of /proc/PID/task/TID/stat)."""
        values = {}
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):  # a thread that has just ended
                stat = (task / "stat").read_text()
                values[int(task.name)] = int(stat.rsplit(")", 1)[1].split()[16])
        return values

    worker = DbtWorker()
    try:
        worker.warm(tmp_path / "target", None)
        base = os.getpriority(os.PRIO_PROCESS, 0)  # the worker's, inherited from here
        lowered = min(base + PARSE_NICE, 19)
        seen: set[int] = set()
        deadline = time.monotonic() + 30
        while lowered not in seen and time.monotonic() < deadline:
            seen.update(nice_values(worker.pid).values())
            time.sleep(0.01)
        assert lowered in seen, seen  # the thread loading the manifest
        assert nice_values(worker.pid)[worker.pid] == base  # the main thread, which builds
    finally:
        worker.stop()


def test_a_build_abandoned_midway_ends_its_worker_so_no_later_build_reads_its_events(
    sample_copy, tmp_path
):
    import json

    from orchestration.defs.dbt_runner import RUN_BUILD_ARGS, DbtWorker

    worker = DbtWorker()
    try:
        events = worker.build(
            [
                *RUN_BUILD_ARGS,
                "--select",
                "us_states",
                "offense_scales",
                "--vars",
                json.dumps({"build_db": str(sample_copy.build)}),
            ],
            tmp_path / "target",
            None,
        )
        first = next(events)
        assert first["info"]["name"] == "LogSeedResult"
        events.close()  # the step gave up before "done"
        assert not worker.alive()
    finally:
        worker.stop()


def test_the_validation_process_validates_and_a_killed_one_falls_back_to_this_process():
    """validation/worker.py's process, for real: a suite submitted comes back as validated here;
    an error raised in it is raised here; once the process is killed, run_suite validates in
    this process and the process is forgotten."""
    import signal

    from orchestration.validation import worker
    from orchestration.validation.validate import validate_here

    frame = pd.DataFrame({"fiscal_year": [2012, 2013], "referrals_total": [1, -1]})
    worker.start_worker()
    try:
        pending = worker.submit_suite(frame, "case_aggregates", "t", {"max_fiscal_year": 2030})
        here = validate_here(frame, "case_aggregates", "t", {"max_fiscal_year": 2030})
        assert pending.result() == here
        with pytest.raises(FileNotFoundError):  # raised in the process, raised here
            worker.submit_suite(frame, "no_such_suite", "t").result()
        os.kill(worker._WORKER._process.pid, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            worker.submit_suite(frame, "case_aggregates", "t", {"max_fiscal_year": 2030}).result()
        assert worker.run_suite(frame, "case_aggregates", "t", {"max_fiscal_year": 2030}) == here
        assert not worker.worker_running()
    finally:
        worker.stop_worker()


def test_the_dbt_worker_is_forked_only_while_this_process_has_one_thread(monkeypatch):
    from orchestration.defs import dbt_runner

    monkeypatch.setattr(dbt_runner, "_WORKER", None)
    monkeypatch.setattr(dbt_runner, "_WANTED", True)
    monkeypatch.setattr(dbt_runner.threading, "active_count", lambda: 2)
    assert dbt_runner.start_wanted_worker() is None  # the run then builds in a thread
    monkeypatch.setattr(dbt_runner.threading, "active_count", lambda: 1)
    try:
        assert dbt_runner.start_wanted_worker() is not None
    finally:
        dbt_runner.stop_worker()
    assert dbt_runner.start_wanted_worker() is None  # not wanted once stopped
