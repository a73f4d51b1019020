"""The command line never ends in a traceback (issue #23, docs/RELIABILITY.md): a missing
default source file, a broken sources.yml, Ctrl-C on `scomm sql`, absurd --timeout values,
export folders that cannot or must not be written, leftovers of killed processes in $TMPDIR,
formula characters in CSV (full-width ones too) and strict JSON. Each from the outside: the
`scomm` executable on real files, its exit code and the one line it prints."""

import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.paths import SOURCES_FILE

SCOMM = str(Path(sys.executable).parent / "scomm")
ROOT = Path(__file__).resolve().parents[1]


def scomm(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCOMM, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "1000", **(env or {})},
    )


def error_line(result: subprocess.CompletedProcess) -> str:
    """The one line a refusal prints (click's `Error: …`), after checking there is no
    traceback and nothing else on stderr but click's usage header."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and not line.startswith(("Usage:", "Try '"))
    ]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines
    return lines[0]


def sources_variant(tmp_path: Path, edit) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(edit(SOURCES_FILE.read_text(encoding="utf-8")), encoding="utf-8")
    return path


# --- 2: a missing default source file -------------------------------------------------------


def test_a_missing_default_source_file_is_named(tmp_path):
    gone = tmp_path / "population.csv"  # as after `mv data/sample/population.csv /tmp`
    sources = sources_variant(
        tmp_path, lambda s: s.replace("default: data/sample/population.csv", f"default: {gone}")
    )
    warehouse = tmp_path / "warehouse"
    result = scomm("run", "--warehouse", str(warehouse), env={"SCOMM_SOURCES_FILE": str(sources)})
    assert result.returncode == 1
    line = error_line(result)
    assert f"{gone}: no such file" in line and "source 'population'" in line
    assert "--source population=PATH" in line and "warehouse folder" not in line
    assert not warehouse.exists()  # refused before anything was created


# --- 3: a sources.yml that is not YAML, or a bad entry ----------------------------------------

BROKEN_SOURCES = [
    ("not YAML", lambda s: "sources:\n  population: [\n", r"line 3, column 1: not valid YAML"),
    ("tab", lambda s: "\tsources: 1\n", r"line 1, column 1: not valid YAML"),
    (
        "a field missing",
        lambda s: s.replace("    layout: census_co_est2019\n", "", 1),
        r"line \d+, column 5: source 'population': layout: Field required",
    ),
    (
        "a value out of range",
        lambda s: s.replace(
            "    layout: census_co_est2019\n",
            "    layout: census_co_est2019\n    completeness_max_drop: 5\n",
            1,
        ),
        r"line \d+, column 28: source 'population': completeness_max_drop: Input should be less",
    ),
    (
        "an unknown layout",
        lambda s: s.replace("layout: census_co_est2019", "layout: census_2030", 1),
        r"line \d+, column 13: source 'population': layout: Input should be",
    ),
    ("a list", lambda s: "- a\n- b\n", r"line 1, column 1: expected a mapping"),
    ("sources a number", lambda s: "sources: 5\n", r"line 1, column 10: sources: expected a"),
    (
        "an entry that is text",
        lambda s: "sources:\n  population: text\n",
        r"line 2, column 15: source 'population': expected a mapping, got text",
    ),
    (
        "an entry missing",
        lambda s: re.sub(r"\n  g287:\n(    .*\n|\s*#.*\n)+", "\n", s),
        r"no entry for source\(s\) g287",
    ),
    (
        "a profile naming an unknown source",
        lambda s: s.replace("sources: [population,", "sources: [nope, population,", 1),
        r"line \d+, column 5: profile 'public': unknown source\(s\) \['nope'\]",
    ),
    ("not UTF-8", lambda s: "sources: \udcff\n", r"not UTF-8 text"),
]


@pytest.mark.parametrize(
    ("case", "edit", "expected"), BROKEN_SOURCES, ids=[c[0] for c in BROKEN_SOURCES]
)
def test_a_broken_sources_file_is_one_line_with_file_line_and_column(
    tmp_path, case, edit, expected
):
    path = tmp_path / "sources.yml"
    text = edit(SOURCES_FILE.read_text(encoding="utf-8"))
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    result = scomm("run", "--warehouse", str(tmp_path / "w"), env={"SCOMM_SOURCES_FILE": str(path)})
    assert result.returncode == 1, result.stderr
    line = error_line(result)
    assert line.startswith(f"Error: {path}"), line
    assert re.search(expected, line), line
    assert not (tmp_path / "w").exists()


def test_fetch_and_profiles_report_a_broken_sources_file_the_same_way(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text("sources:\n  population: [\n", encoding="utf-8")
    env = {"SCOMM_SOURCES_FILE": str(path)}
    for args in (
        ["fetch", "population"],
        ["run", "--profile", "public", "--warehouse", str(tmp_path)],
    ):
        result = scomm(*args, env=env)
        assert result.returncode == 1
        assert "line 3, column 1: not valid YAML" in error_line(result)


# --- 7: Ctrl-C on a running `scomm sql` -------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_ctrl_c_stops_a_running_query_with_one_line_and_exit_130_every_time(
    sample_run, fmt, tmp_path
):
    query = (
        "select count(*) from range(1000000000000)"
        if fmt == "table"
        else "select range, 'x' || range as t from range(1000000000000)"
    )
    for _ in range(3):
        process = subprocess.Popen(
            [SCOMM, "sql", "--warehouse", str(sample_run.warehouse), "--format", fmt, query],
            stdout=subprocess.DEVNULL if fmt == "csv" else subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
        time.sleep(2)  # the query runs (or its rows stream)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
        assert time.monotonic() - started < 10  # at once, not at the 60 s watchdog
        assert process.returncode == 130, stderr
        assert (
            stderr.strip()
            == "Error: interrupted (Ctrl-C): the query was stopped; nothing was changed"
        )
    assert list(tmp_path.iterdir()) == []  # the spill folders are gone too


STOPPED = "Error: interrupted (Ctrl-C): the query was stopped; nothing was changed"


@pytest.mark.parametrize("at", ["sql-start", "sql-connected"])
def test_ctrl_c_before_the_query_starts_is_the_same_one_line(sample_run, at, tmp_path):
    """The moment before the query runs (the command's imports, opening the connection): click
    printed "Aborted!" with exit 1 there before."""
    result = subprocess.run(
        [SCOMM, "sql", "--warehouse", str(sample_run.warehouse), "select 42"],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path), "SCOMM_INTERRUPT_AT": at},
        timeout=60,
    )
    assert (result.returncode, result.stderr.strip(), result.stdout) == (130, STOPPED, "")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_at_any_moment_of_scomm_sql_is_one_line_and_exit_130(sample_run, tmp_path):
    """SIGINT from 0.3 s after the start (scomm's modules loading, the command's imports, the
    connection, the query) to well into the query: always exit 130 and one line, never click's
    "Aborted!" nor a traceback. (Earlier still, while the interpreter itself starts, Ctrl-C
    ends scomm as it ends any Python program.)"""
    query = "select sum(a.range * b.range) from range(100000) a, range(1000000) b"
    for delay in (0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5):
        process = subprocess.Popen(
            [SCOMM, "sql", "--warehouse", str(sample_run.warehouse), query],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, (delay, stderr)
        assert stderr.strip() in (
            STOPPED,
            "Error: interrupted (Ctrl-C) before the command finished",
        )
        assert stdout == ""
    assert list(tmp_path.iterdir()) == []


# --- 8: --timeout that is not a finite number of seconds ---------------------------------------


@pytest.mark.parametrize("value", ["inf", "1e308", "nan", "-1", "0", "86401", "-inf"])
def test_absurd_timeouts_are_refused_by_the_option(sample_run, value):
    result = scomm("sql", "--warehouse", str(sample_run.warehouse), "--timeout", value, "select 1")
    assert result.returncode == 2
    line = error_line(result)
    assert "Invalid value for '--timeout'" in line and "at most 86400" in line


def test_the_largest_timeout_runs(sample_run):
    result = scomm(
        "sql", "--warehouse", str(sample_run.warehouse), "--timeout", "86400", "select 42"
    )
    assert result.returncode == 0 and "42" in result.stdout


# --- 9: export folders that cannot or must not be written --------------------------------------


def test_export_refuses_folders_it_cannot_or_must_not_write(sample_copy, tmp_path):
    warehouse = sample_copy.warehouse
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    before = sorted(p.name for p in (warehouse / "published").iterdir())
    cases = {
        "/dev/null": "exists and is not a folder",
        str(a_file / "out"): f"{a_file} is not a folder",
        "/dev/null/out": "/dev/null is not a folder",
        "": "empty: name the folder",
        " ": "empty: name the folder",
        str(warehouse / "published"): "inside the warehouse",
        str(warehouse): "inside the warehouse",
        str(warehouse / "new" / "deeper"): "inside the warehouse",
    }
    for out, expected in cases.items():
        result = scomm("export", "--warehouse", str(warehouse), "--format", "csv", "--out", out)
        assert result.returncode == 2, (out, result.stderr)
        line = error_line(result)
        assert "Invalid value for --out" in line and expected in line, (out, line)
    assert sorted(p.name for p in (warehouse / "published").iterdir()) == before
    assert not (warehouse / "new").exists() and a_file.read_text() == "x"
    assert not list(Path.cwd().glob("*.csv"))  # --out "" wrote nothing into the current folder


# --- 10, 11: what killed processes leave in $TMPDIR --------------------------------------------


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def start_time(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[19])


def leftovers(tmp: Path) -> dict[str, Path]:
    """Spill and run folders: a dead process's (with and without a start time), a live
    process's, a live pid with another start time (the pid reused), and one not named after
    a process (kept: its owner cannot be known)."""
    me = os.getpid()
    folders = {
        "dead": tmp / f"scomm-query-spill-{dead_pid()}-0-abc123",
        "dead-started": tmp / f"scomm-query-spill-{dead_pid()}-12345-abc123",
        "reused": tmp / f"scomm-query-spill-{me}-{start_time(me) + 1}-abc123",
        "live": tmp / f"scomm-query-spill-{me}-{start_time(me)}-abc123",
        "unnamed": tmp / "scomm-query-spill-k2j4h5",
        "other kind": tmp / f"scomm-run-{me}-{start_time(me)}-abc123",
    }
    for folder in folders.values():
        folder.mkdir()
        (folder / "duckdb_temp_block-0.block").write_bytes(b"0" * 1024)
    return folders


def assert_swept(folders: dict[str, Path]) -> None:
    gone = {name for name, folder in folders.items() if not folder.exists()}
    assert gone == {"dead", "dead-started", "reused"}


def test_scomm_sql_sweeps_the_spill_folders_of_killed_readers(sample_run, tmp_path):
    folders = leftovers(tmp_path)
    result = scomm(
        "sql", "--warehouse", str(sample_run.warehouse), "select 1", env={"TMPDIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr
    assert_swept(folders)


def test_a_sigkilled_scomm_sql_leaves_a_folder_the_next_one_removes(sample_run, tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    process = subprocess.Popen(
        [
            SCOMM,
            "sql",
            "--warehouse",
            str(sample_run.warehouse),
            "select count(*) from range(1000000000000)",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2)
    process.kill()
    process.wait()
    (spill,) = tmp_path.iterdir()
    assert spill.name.startswith(f"scomm-query-spill-{process.pid}-")
    result = scomm(
        "sql", "--warehouse", str(sample_run.warehouse), "select 1", env={"TMPDIR": str(tmp_path)}
    )
    assert result.returncode == 0
    assert list(tmp_path.iterdir()) == []


def test_scomm_run_and_the_dashboard_sweep_dead_readers_spill_folders(sample_copy, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    folders = leftovers(tmp)
    result = scomm(
        "run",
        "--warehouse",
        str(sample_copy.warehouse),
        "--source",
        f"interop={ROOT / 'data/sample/interop_reports.csv'}",
        env={"TMPDIR": str(tmp)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Up to date" in result.stdout  # swept before the plan, even when nothing runs
    assert_swept(folders)

    tmp2 = tmp_path / "tmp2"
    tmp2.mkdir()
    folders = leftovers(tmp2)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dashboard = subprocess.Popen(
        [SCOMM, "dashboard", "--warehouse", str(sample_copy.warehouse), "--port", str(port)],
        env={**os.environ, "TMPDIR": str(tmp2)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert dashboard.stdout is not None
        first = dashboard.stdout.readline()  # printed after the sweep
        assert first.startswith("dashboard on http://")
        assert_swept(folders)
    finally:
        dashboard.terminate()
        dashboard.wait(timeout=20)


# --- 12: full-width formula characters in CSV --------------------------------------------------

FULL_WIDTH = ["\uff1dHYPERLINK(1)", "\uff0b1", "\uff0d1", "\uff20SUM(A1)"]


def test_scomm_sql_csv_neutralises_full_width_formula_characters(sample_run):
    selects = ", ".join(f"'{v}' as c{i}" for i, v in enumerate(FULL_WIDTH))
    result = scomm(
        "sql",
        "--warehouse",
        str(sample_run.warehouse),
        "--format",
        "csv",
        f"select {selects}, -1 as n",
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[1] == [*("'" + v for v in FULL_WIDTH), "-1"]


def test_export_csv_neutralises_full_width_formula_characters(sample_run, tmp_path):
    import duckdb

    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(sample_run.serving, warehouse / "marts.duckdb")
    with duckdb.connect(str(warehouse / "marts.duckdb")) as con:
        ids = [
            r[0]
            for r in con.execute(
                "select distinct jurisdiction_id from mart_jurisdiction_year order by 1 limit 4"
            ).fetchall()
        ]
        for value, jurisdiction in zip(FULL_WIDTH, ids, strict=True):
            for table, column in (
                ("dim_jurisdiction", "name"),
                ("mart_jurisdiction_year", "jurisdiction_name"),
            ):
                con.execute(
                    f"update {table} set {column} = ? where jurisdiction_id = ?",
                    [value, jurisdiction],
                )
    out = tmp_path / "out"
    result = scomm("export", "--warehouse", str(warehouse), "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    for table, column in (
        ("dim_jurisdiction", "name"),
        ("mart_jurisdiction_year", "jurisdiction_name"),
    ):
        with (out / f"{table}.csv").open(encoding="utf-8", newline="") as f:
            values = {row[column] for row in csv.DictReader(f)}
        assert {"'" + v for v in FULL_WIDTH} <= values, table
        assert not values & set(FULL_WIDTH), table


def test_every_csv_writer_goes_through_csvsafe():
    """No CSV for people is written without the shared formula guard: every module that writes
    CSV (csv.writer, DuckDB's write_csv) uses csvsafe."""
    writers = []
    for path in (ROOT / "orchestration").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if (
            re.search(r"csv\.writer\(|\.write_csv\(|DictWriter\(", text)
            and path.name != "csvsafe.py"
        ):
            writers.append(path)
            assert re.search(r"csv_safe", text), path
    assert writers  # the scan found the writers


# --- 13: strict JSON ---------------------------------------------------------------------------


def test_scomm_sql_json_is_strict_json(sample_run):
    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")

    result = scomm(
        "sql",
        "--warehouse",
        str(sample_run.warehouse),
        "--format",
        "json",
        "select 'nan'::double as a, 'inf'::double as b, '-inf'::double as c, 1.5 as d, "
        "['nan'::double, 2.0] as e, {'x': 'inf'::double} as f",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout, parse_constant=refuse) == [
        {"a": None, "b": None, "c": None, "d": "1.5", "e": [None, 2.0], "f": {"x": None}}
    ]


def test_dashboard_downloads_neutralise_full_width_formula_characters():
    from orchestration.serve.published import records_csv

    text = records_csv([{"name": v, "n": -1} for v in FULL_WIDTH], "real")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == ["'" + v for v in FULL_WIDTH]
    assert {r[1] for r in rows[1:]} == {"-1"}


def test_a_sigkilled_run_leaves_a_named_folder_that_the_next_run_removes(sample_copy, tmp_path):
    """Issue #23 item 11: Dagster's artifact folder of a killed run was an anonymous
    `$TMPDIR/tmpXXXXXXXX` left for good; it is `scomm-run-PID-…` and the next run removes it
    (and a run that ends removes its own: nothing is left in $TMPDIR)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    warehouse = str(sample_copy.warehouse)
    env = {"TMPDIR": str(tmp)}
    killed = scomm(
        "run", "--full", "--warehouse", warehouse, env={**env, "SCOMM_KILL_AT": "ingest"}
    )
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    (left,) = tmp.iterdir()
    assert re.fullmatch(r"scomm-run-\d+-\d+-\w+", left.name), left.name
    again = scomm("run", "--full", "--warehouse", warehouse, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert list(tmp.iterdir()) == []


# --- `scomm dashboard --host` it cannot listen on ----------------------------------------------


def test_dashboard_on_a_host_or_port_it_cannot_listen_on_is_one_line(sample_run):
    """A name that does not resolve, an address this machine does not have, a port in use:
    one line naming them, exit 1, before anything is served (uvicorn logged
    `ERROR: [Errno -2] Name or service not known` and exited 3 before)."""
    warehouse = str(sample_run.warehouse)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cases = {
            ("no-such-host.invalid", "8765"): "cannot listen on 'no-such-host.invalid': the "
            "name does not resolve",
            ("192.0.2.1", "8765"): "cannot listen on 192.0.2.1:8765: Cannot assign requested",
            ("127.0.0.1", str(port)): f"cannot listen on 127.0.0.1:{port}: Address already in "
            "use (another dashboard?)",
        }
        for (host, at), expected in cases.items():
            result = scomm("dashboard", "--warehouse", warehouse, "--host", host, "--port", at)
            assert result.returncode == 1, result.stderr
            assert error_line(result).startswith(f"Error: {expected}")
            assert result.stdout == ""
