"""Crashes, reruns, full or read-only disks, and two runs at once (docs/RELIABILITY.md)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import requests

from orchestration.defs.publish import content_checksum
from orchestration.faults import CHECKPOINTS
from orchestration.run.execute import execute
from tests.conftest import DashboardServer, tmpfs, write_variant

SCOMM = str(Path(sys.executable).parent / "scomm")


def publication_state(serving: Path) -> tuple[str, dict[str, str]]:
    """(run_id, {table: recorded md5}) after checking every table against its recorded
    checksum: the published file is openable and internally consistent."""
    with duckdb.connect(str(serving.resolve()), read_only=True) as con:
        run_id = con.execute("select run_id from _publication").fetchone()[0]
        recorded = dict(
            con.execute("select table_name, content_md5 from _publication_tables").fetchall()
        )
        for table, md5 in recorded.items():
            assert content_checksum(con, f"main.{table}") == md5, table
    return run_id, recorded


def seeded(sample_run, tmp_path) -> Path:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(sample_run.serving, warehouse / "marts.duckdb")
    return warehouse


def run_cli(
    warehouse: Path, *args: str, env: dict | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCOMM, "run", "--warehouse", str(warehouse), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def scomm_processes(warehouse: Path) -> list[int]:
    """Live `scomm run` processes on this warehouse (the run and its forked validation process,
    which has the same command line; not dbt)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(a.endswith("/scomm") for a in argv[:2]) and str(warehouse) in argv:
            found.append(int(proc.name))
    return found


@pytest.mark.parametrize("point", CHECKPOINTS)
def test_sigkill_at_any_phase_leaves_old_or_new_and_the_next_run_succeeds(
    point, sample_run, tmp_path
):
    warehouse = seeded(sample_run, tmp_path)
    old_run, old_tables = publication_state(warehouse / "marts.duckdb")

    killed = run_cli(warehouse, env={"SCOMM_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    for _ in range(50):  # the validation process dies with the run (PR_SET_PDEATHSIG)
        if not scomm_processes(warehouse):
            break
        time.sleep(0.1)
    assert scomm_processes(warehouse) == []

    run_id, tables = publication_state(warehouse / "marts.duckdb")
    assert tables == old_tables  # same content either way (same inputs)
    if point == "publish-after-swap":
        assert run_id != old_run  # the swap happened: the new version is the published one
    else:
        assert run_id == old_run

    again = run_cli(warehouse)  # no manual cleanup
    assert again.returncode == 0, again.stdout + again.stderr
    new_run, new_tables = publication_state(warehouse / "marts.duckdb")
    assert new_run not in (old_run, run_id) and new_tables == old_tables
    leftovers = [p.name for p in (warehouse / "published").iterdir() if p.name.startswith(".")]
    assert leftovers == []
    with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.interop_reports").fetchone() == (389,)


def test_same_inputs_twice_publish_identical_content(sample_run, tmp_path):
    report = execute(tmp_path / "again", {})
    assert report.success
    _, first = publication_state(sample_run.serving)
    _, second = publication_state(tmp_path / "again" / "marts.duckdb")
    assert first == second


def test_rerun_after_a_failure_does_not_duplicate_raw_rows(sample_run, tmp_path):
    warehouse = seeded(sample_run, tmp_path)
    bad = write_variant(
        tmp_path,
        "bad.csv",
        lambda lines: [line.replace(",219,118,", ",-219,118,") for line in lines],
    )
    assert not execute(warehouse, {"interop": bad}).success
    assert execute(warehouse, {}).success
    with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
        assert con.execute(
            "select count(*), count(distinct _source_line) from raw.interop_reports"
        ).fetchone() == (389, 389)


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs as the warehouse folder (needs root, which CI has)."""
    with tmpfs(tmp_path / "disk", "16m") as mount:
        yield mount


def test_disk_full_is_a_clear_error_and_publishes_nothing(sample_run, small_disk):
    shutil.copy(sample_run.serving, small_disk / "marts.duckdb")
    before = (small_disk / "marts.duckdb").read_bytes()
    # leave about 2.5 MB: the run gets going (raw tables) and runs out of space on the way
    disk = os.statvfs(small_disk)
    filler_mb = (disk.f_bavail * disk.f_frsize - 2_500_000) // (1 << 20)
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={small_disk / 'filler'}", "bs=1M", f"count={filler_mb}"],
        capture_output=True,
        check=True,
    )
    result = run_cli(small_disk)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0 and result.returncode != -signal.SIGKILL, output
    assert "No space left on device" in output and "nothing was published" in output, output
    assert "Traceback" not in output
    assert (small_disk / "marts.duckdb").read_bytes() == before


def test_read_only_warehouse_is_a_clear_error_and_publishes_nothing(sample_run, small_disk):
    shutil.copy(sample_run.serving, small_disk / "marts.duckdb")
    before = (small_disk / "marts.duckdb").read_bytes()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = run_cli(small_disk)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1, output
    assert f"cannot write to the warehouse folder {small_disk}" in output
    assert "Read-only file system" in output and "nothing was published" in output
    assert "Traceback" not in output
    assert (small_disk / "marts.duckdb").read_bytes() == before


def test_a_second_run_started_meanwhile_refuses_and_the_first_completes(sample_run, tmp_path):
    warehouse = seeded(sample_run, tmp_path)
    first = subprocess.Popen(
        [SCOMM, "run", "--warehouse", str(warehouse)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lock = warehouse / ".run.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().startswith("pid")):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    second = run_cli(warehouse)
    out, _ = first.communicate(timeout=600)
    assert second.returncode == 3
    assert "another scomm run is using" in second.stdout + second.stderr
    assert first.returncode == 0, out


def test_dashboard_keeps_answering_while_a_run_publishes(sample_run, tmp_path):
    warehouse = seeded(sample_run, tmp_path)
    statuses: list[int] = []
    with DashboardServer(warehouse / "marts.duckdb") as server:
        run = subprocess.Popen(
            [SCOMM, "run", "--warehouse", str(warehouse)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while run.poll() is None:
            statuses.append(
                requests.get(server.url + "/", params={"q": "25025"}, timeout=30).status_code
            )
            time.sleep(0.2)
        statuses.append(
            requests.get(server.url + "/", params={"q": "25025"}, timeout=30).status_code
        )
    assert run.returncode == 0
    assert len(statuses) > 5 and set(statuses) == {200}


def test_ctrl_c_mid_build_publishes_nothing_leaves_nothing_running_and_says_so(
    sample_run, tmp_path
):
    """SIGINT to the run's process group in the middle of the dbt build, as Ctrl-C in a
    terminal sends it (faults.py): the run stops, says it was interrupted, publishes nothing,
    its helpers end with it, nothing else reaches the terminal, and the next run succeeds."""
    warehouse = seeded(sample_run, tmp_path)
    before = publication_state(warehouse / "marts.duckdb")
    interrupted = subprocess.run(
        [SCOMM, "run", "--full", "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SCOMM_INTERRUPT_AT": "dbt"},
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    assert interrupted.returncode == 1, interrupted.stdout + interrupted.stderr
    assert "interrupted (Ctrl-C or SIGINT)" in interrupted.stdout
    assert "nothing was published" in interrupted.stdout
    # no traceback, and no warning of a helper (multiprocessing's resource tracker warned
    # about dbt's semaphores here before: the dbt worker's output goes to the run's log)
    assert interrupted.stderr == "", interrupted.stderr
    assert publication_state(warehouse / "marts.duckdb") == before
    for _ in range(50):
        if not scomm_processes(warehouse):
            break
        time.sleep(0.1)
    assert scomm_processes(warehouse) == []
    again = run_cli(warehouse, "--full")
    assert again.returncode == 0, again.stdout + again.stderr
    assert publication_state(warehouse / "marts.duckdb")[1] == before[1]
