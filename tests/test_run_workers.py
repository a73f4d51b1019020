"""`scomm run`'s helper processes. The dbt models are built in its dbt worker process
(orchestration/defs/dbt_runner.py): the publication equals the in-process run's table by
table, dbt's log goes to the run's log file, and a worker that dies mid-build fails the run
with a clear message, publishing nothing (a run killed mid-build takes its worker with it:
test_crashes' "dbt" checkpoint). The raw GX suites start in the validation process as soon as
their asset is materialized (checks/common.validate_ahead): a bad file still fails its suite
with the same message, and each outcome is collected once."""

import contextlib
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

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
    # sample_run built dbt in a thread of the test process (runner.execute: no worker)
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
        "orchestration.validation.gx.run_suite",
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
    monkeypatch.setattr("orchestration.validation.gx._WORKER", None)

    def frame_of(warehouse):
        pytest.fail("no frame is read ahead without a validation process")

    common.validate_ahead("run-3", {"check": frame_of}, None)
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
        seen: set[int] = set()
        deadline = time.monotonic() + 30
        while PARSE_NICE not in seen and time.monotonic() < deadline:
            seen.update(nice_values(worker.pid).values())
            time.sleep(0.01)
        assert PARSE_NICE in seen, seen  # the thread loading the manifest
        assert nice_values(worker.pid)[worker.pid] == 0  # the main thread, which builds
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
