"""Readers (dashboards, `scomm sql`) stay up while a run publishes, and see the old version or
the new one, never a mix; `scomm export` writes every published table."""

import json
import shutil
import subprocess
import sys
import time

import duckdb
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.run.execute import execute
from tests.conftest import write_variant

READER = r"""
import json, sys, time, pathlib
import duckdb
serving, stop = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
QUERY = ("select (select run_id from _publication), "
         "(select sum(removals_total) from mart_national_year), "
         "(select sum(removals_total) from mart_jurisdiction_year)")
# Like every reader of this project (orchestration/serving.py): connect to the version the
# symlink points at now.
held = duckdb.connect(str(serving.resolve()), read_only=True)   # open for the whole run
seen, held_seen, errors = [], [], []
while not stop.exists():
    try:
        with duckdb.connect(str(serving.resolve()), read_only=True) as con:
            seen.append(list(con.execute(QUERY).fetchone()))
        held_seen.append(list(held.execute(QUERY).fetchone()))
    except Exception as exc:  # any lock or read error fails the test
        errors.append(repr(exc))
    time.sleep(0.02)
print(json.dumps({"seen": seen, "held": held_seen, "errors": errors}))
"""


def harris_fy2014_one_more_level1_removal(lines):
    out = []
    for line in lines:
        fields = line.split(",")
        if fields[:2] == ["TX", "Harris County"] and fields[3] == "2014-09-30":
            fields[10] = str(int(fields[10]) + 1)  # removals_l1
            fields[14] = str(int(fields[14]) + 1)  # removals_total
        out.append(",".join(fields))
    return out


def test_reader_held_open_during_a_publish_sees_old_or_new_never_a_mix(sample_run, tmp_path):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(sample_run.serving, warehouse / "marts.duckdb")
    with duckdb.connect(str(warehouse / "marts.duckdb"), read_only=True) as con:
        old = tuple(
            con.execute(
                "select (select run_id from _publication), "
                "(select sum(removals_total) from mart_national_year), "
                "(select sum(removals_total) from mart_jurisdiction_year)"
            ).fetchone()
        )
    variant = write_variant(tmp_path, "variant.csv", harris_fy2014_one_more_level1_removal)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse / "marts.duckdb"), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    report = execute(warehouse, {"interop": variant})
    time.sleep(1.0)
    stop.touch()
    out, _ = reader.communicate(timeout=60)
    result = json.loads(out)

    assert report.success, (report.step_errors, report.checks_failed)
    with duckdb.connect(str(warehouse / "marts.duckdb"), read_only=True) as con:
        new = tuple(
            con.execute(
                "select (select run_id from _publication), "
                "(select sum(removals_total) from mart_national_year), "
                "(select sum(removals_total) from mart_jurisdiction_year)"
            ).fetchone()
        )
    assert new[0] != old[0] and new[1:] == (old[1] + 1, old[2] + 1)
    assert result["errors"] == []
    observed = {tuple(s) for s in result["seen"]}
    assert observed <= {old, new}, observed - {old, new}
    assert old in observed and new in observed
    assert {tuple(s) for s in result["held"]} == {old}  # the held connection keeps its version


def test_export_writes_every_published_table(sample_run, tmp_path):
    for fmt in ("parquet", "csv"):
        out = tmp_path / fmt
        result = CliRunner().invoke(
            main,
            [
                "export",
                "--format",
                fmt,
                "--out",
                str(out),
                "--warehouse",
                str(sample_run.warehouse),
            ],
        )
        assert result.exit_code == 0, result.output
        with (
            duckdb.connect() as con,
            duckdb.connect(str(sample_run.serving), read_only=True) as published,
        ):
            tables = [
                r[0]
                for r in published.execute(
                    "select table_name from information_schema.tables"
                ).fetchall()
            ]
            # one file per table, and the codebook (tests/test_codebook.py)
            assert sorted(p.name for p in out.iterdir()) == sorted(
                [f"{t}.{fmt}" for t in tables] + ["datapackage.json"]
            )
            for table in tables:
                reader = "read_parquet" if fmt == "parquet" else "read_csv_auto"
                exported = con.execute(
                    f"select count(*) from {reader}(?)", [str(out / f"{table}.{fmt}")]
                ).fetchone()[0]
                assert (
                    exported == published.execute(f'select count(*) from "{table}"').fetchone()[0]
                )


def test_exports_say_whether_the_numbers_are_real(sample_run, tmp_path):
    # the sample publication is synthetic: every CSV row says so, Parquet carries it as file
    # metadata (its columns stay exactly as published)
    for fmt in ("csv", "parquet"):
        out = tmp_path / fmt
        args = ["export", "--format", fmt, "--out", str(out)]
        result = CliRunner().invoke(main, [*args, "--warehouse", str(sample_run.warehouse)])
        assert result.exit_code == 0, result.output
        assert "data status of this publication: synthetic" in result.output
    with duckdb.connect() as con:
        statuses = con.execute(
            "select distinct data_status from read_csv_auto(?)",
            [str(tmp_path / "csv" / "mart_national_year.csv")],
        ).fetchall()
        assert statuses == [("synthetic",)]
        meta = con.execute(
            "select key::varchar, value::varchar from parquet_kv_metadata(?)",
            [str(tmp_path / "parquet" / "mart_national_year.parquet")],
        ).fetchall()
        assert ("data_status", "synthetic") in meta
        columns = [
            r[0]
            for r in con.execute(
                "describe select * from read_parquet(?)",
                [str(tmp_path / "parquet" / "mart_national_year.parquet")],
            ).fetchall()
        ]
        assert "data_status" not in columns
