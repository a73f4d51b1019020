"""The export's codebook: `datapackage.json` (Frictionless Data Package 2.0) beside the files,
validated by the `frictionless` library — the descriptor against its profile and, for CSV, every
row against the declared types, the file's size and its sha256 — and Parquet files carrying each
column's description in their metadata."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
from pathlib import Path

import duckdb
import frictionless
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.dictionary.codebook import DATAPACKAGE, field_type


def export(sample_run, out: Path, fmt: str) -> dict:
    """`scomm export` as a user runs it; returns the codebook it wrote."""
    result = CliRunner().invoke(
        main,
        ["export", "--format", fmt, "--out", str(out), "--warehouse", str(sample_run.warehouse)],
    )
    assert result.exit_code == 0, result.output
    assert f"{out / DATAPACKAGE}  (the codebook" in result.output
    return json.loads((out / DATAPACKAGE).read_text(encoding="utf-8"))


@pytest.fixture
def offline(monkeypatch):
    """No socket may connect: validation must not fetch a profile from the network."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_csv_export_writes_a_codebook_that_validates_with_its_data(sample_run, tmp_path, offline):
    out = tmp_path / "csv"
    descriptor = export(sample_run, out, "csv")
    report = frictionless.validate(str(out / DATAPACKAGE))
    assert report.valid, report.flatten(["resource_name", "rowNumber", "fieldName", "note"])[:10]
    with duckdb.connect(str(sample_run.serving.resolve()), read_only=True) as con:
        tables = {r[0] for r in con.execute("show tables").fetchall()}
        status = con.execute("select data_status from _publication").fetchone()[0]
        sources = con.execute(
            "select source, data_status, files, sha256 from _publication_sources"
        ).fetchall()
    assert {r["name"] for r in descriptor["resources"]} == tables
    assert descriptor["data_status"] == status == "synthetic"
    for resource in descriptor["resources"]:
        assert resource["description"], resource["name"]
        assert all(f["description"] for f in resource["schema"]["fields"]), resource["name"]
        names = [f["name"] for f in resource["schema"]["fields"]]
        assert names.count("data_status") <= 1, resource["name"]  # _publication has its own
        assert (
            resource["hash"]
            == "sha256:" + hashlib.sha256((out / resource["path"]).read_bytes()).hexdigest()
        )
    by_name = {s["name"]: s for s in descriptor["sources"]}
    for source, source_status, files, hashes in sources:
        assert by_name[source]["data_status"] == source_status
        assert [f["sha256"] for f in by_name[source]["files"]] == hashes
        assert [f["name"] for f in by_name[source]["files"]] == [Path(f).name for f in files]
    # no local path of the machine that ran the export
    assert str(sample_run.warehouse) not in json.dumps(descriptor)


def test_a_codebook_that_does_not_match_its_data_fails_validation(sample_run, tmp_path):
    """The check can fail: one cell that is not of its declared type is a type error, and the
    file no longer has the size and sha256 the codebook recorded."""
    out = tmp_path / "csv"
    export(sample_run, out, "csv")
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    rollout = broken / "mart_rollout.csv"
    lines = rollout.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = "not-a-date!" + lines[1][lines[1].index(",") :]
    rollout.write_text("".join(lines), encoding="utf-8")
    report = frictionless.validate(str(broken / DATAPACKAGE))
    kinds = {e[1] for e in report.flatten(["fieldName", "type"])}
    assert not report.valid and {"type-error", "hash-count", "byte-count"} <= kinds


def test_parquet_export_carries_column_descriptions_and_its_codebook(sample_run, tmp_path):
    out = tmp_path / "parquet"
    descriptor = export(sample_run, out, "parquet")
    errors = list(frictionless.Package.metadata_validate(descriptor))
    assert errors == []
    resources = {r["name"]: r for r in descriptor["resources"]}
    with duckdb.connect(str(sample_run.serving.resolve()), read_only=True) as con:
        comments = con.execute(
            "select table_name, column_name, comment from duckdb_columns() "
            "where database_name = current_database() and not internal"
        ).fetchall()
        tables = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() "
                "where database_name = current_database()"
            ).fetchall()
        )
    expected: dict[str, dict[str, str]] = {}
    for table, column, comment in comments:
        expected.setdefault(table, {})[column] = comment
    reader = duckdb.connect()
    for table, columns in expected.items():
        path = out / f"{table}.parquet"
        metadata = {
            k.decode(): v.decode()
            for k, v in reader.execute(
                "select key, value from parquet_kv_metadata(?)", [str(path)]
            ).fetchall()
        }
        assert json.loads(metadata["column_descriptions"]) == columns
        assert metadata["description"] == tables[table]
        assert metadata["data_status"] == "synthetic"
        schema = reader.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
        fields = resources[table]["schema"]["fields"]
        assert [f["name"] for f in fields] == [r[0] for r in schema] == list(columns)
        assert [f["description"] for f in fields] == list(columns.values())
        assert [f["type"] for f in fields] == [field_type(r[1], "parquet")["type"] for r in schema]
        assert resources[table]["bytes"] == path.stat().st_size


@pytest.mark.parametrize(
    "duckdb_type, fmt, expected",
    [
        ("VARCHAR", "csv", {"type": "string"}),
        ("BIGINT", "csv", {"type": "integer"}),
        ("HUGEINT", "parquet", {"type": "integer"}),
        ("DOUBLE", "csv", {"type": "number"}),
        ("DECIMAL(18,3)", "parquet", {"type": "number"}),
        ("BOOLEAN", "csv", {"type": "boolean"}),
        ("DATE", "csv", {"type": "date"}),
        ("TIMESTAMP", "csv", {"type": "datetime", "format": "any"}),
        ("TIMESTAMP", "parquet", {"type": "datetime"}),
        ("VARCHAR[]", "parquet", {"type": "array"}),
        ("VARCHAR[]", "csv", {"type": "string"}),  # DuckDB writes [a, b], which is not JSON
        ("INTERVAL", "csv", {"type": "any"}),
    ],
)
def test_duckdb_types_map_to_table_schema_types(duckdb_type, fmt, expected):
    assert field_type(duckdb_type, fmt) == expected
