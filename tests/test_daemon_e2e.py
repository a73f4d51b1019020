"""The inbox sensor as a deployment runs it: the real `dagster-daemon run` process, with its own
instance folder (DAGSTER_HOME with a dagster.yaml), the code location found from pyproject.toml,
and the warehouse and inbox in temporary folders. A new statistics file dropped in the inbox is
published within a bounded wait; a tick with nothing new publishes nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SAMPLE_INTEROP = REPO / "data" / "sample" / "interop_reports.csv"
WAIT_S = 240  # bounded wait for the run the sensor starts (2 shared cores: loading takes a while)
INTERVAL_S = 5  # SCOMM_SENSOR_INTERVAL_S under test (default 60)
TICK_LINE = "Checking for new runs for sensor: inbox_sensor"

pytestmark = pytest.mark.xdist_group("daemon")  # one worker: the daemon and its runs are heavy

DAGSTER_YAML = """\
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
"""


def publication(warehouse: Path) -> tuple[str, str] | None:
    marts = warehouse / "marts.duckdb"
    if not marts.exists():
        return None
    try:
        with duckdb.connect(str(marts), read_only=True) as con:
            row = con.execute("select run_id, cast(published_at as varchar) from _publication")
            found = row.fetchone()
    except duckdb.Error:  # being replaced at this moment: look again
        return None
    return (str(found[0]), str(found[1])) if found else None


def wait_for(condition, seconds: float, daemon: subprocess.Popen, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if daemon.poll() is not None:
            pytest.fail(f"dagster-daemon exited {daemon.returncode}:\n{log.read_text()[-4000:]}")
        time.sleep(2)
    pytest.fail(f"nothing after {seconds} s; daemon log:\n{log.read_text()[-4000:]}")


@pytest.fixture
def deployment(tmp_path, dbt_manifest):
    home, warehouse, inbox = (tmp_path / d for d in ("dagster_home", "warehouse", "inbox"))
    for folder in (home, warehouse, inbox):
        folder.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SCOMM_WAREHOUSE": str(warehouse),
        "SCOMM_INBOX": str(inbox),
        "SCOMM_SENSOR_INTERVAL_S": str(INTERVAL_S),
    }
    # sensors start stopped: turn it on in the instance, as an operator does once
    started = subprocess.run(
        [str(BIN / "dagster"), "sensor", "start", "inbox_sensor"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    log = tmp_path / "daemon.log"
    with log.open("w") as out:
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run"],
            cwd=REPO,  # the code location comes from [tool.dagster] in pyproject.toml
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the code server and runs too
        )
    try:
        yield daemon, log, home, warehouse, inbox
    finally:
        try:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait(timeout=30)
        except ProcessLookupError:
            pass
        try:  # anything of the group still alive (a run worker) goes too
            os.killpg(daemon.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_the_daemon_publishes_a_file_dropped_in_the_inbox_and_nothing_on_a_quiet_tick(
    deployment,
):
    daemon, log, home, warehouse, inbox = deployment
    assert publication(warehouse) is None
    shutil.copyfile(SAMPLE_INTEROP, inbox / "interop_2012-03.csv")

    first = wait_for(lambda: publication(warehouse), WAIT_S, daemon, log)
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert len(runs) == 1 and runs[0].job_name == "scomm_job"
        assert first[0] == runs[0].run_id
        wait_for(
            lambda: runs[0].run_id and instance.get_run_by_id(runs[0].run_id).is_finished,
            60,
            daemon,
            log,
        )
        assert instance.get_run_by_id(runs[0].run_id).is_success

    # ticks with nothing new in the inbox: the same run key, so no run and no publication
    ticks = log.read_text().count(TICK_LINE)
    wait_for(lambda: log.read_text().count(TICK_LINE) >= ticks + 2, 20 * INTERVAL_S, daemon, log)
    assert publication(warehouse) == first
    assert "already completed with run keys" in log.read_text()
    with DagsterInstance.from_config(str(home)) as instance:
        assert len(instance.get_runs()) == 1
