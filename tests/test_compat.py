"""Other dashboards can read the marts: the published marts.duckdb and the Parquet export open in
a real DuckDB 1.x client (BI tools, R and notebooks embed their own DuckDB, mostly 1.x), not only
in the pinned engine (2.x) that wrote them.

The older client lives in its own venv, .venv-duckdb1, built by `make test` from
tests/compat/requirements-duckdb1.lock; the tests run it as a subprocess."""

import json
import subprocess
from pathlib import Path

import duckdb
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.defs.publish import STORAGE_VERSION
from tests.conftest import ROOT

OLD_PYTHON = ROOT / ".venv-duckdb1" / "bin" / "python"
OLD_LOCK = ROOT / "tests" / "compat" / "requirements-duckdb1.lock"

# Run by the 1.x interpreter: every table of the file with its columns, row count and, for the
# national mart, its rows.
READ_PUBLISHED = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
tables = [r[0] for r in con.execute(
    "select table_name from information_schema.tables where table_schema = 'main' order by 1"
).fetchall()]
out = {"version": duckdb.__version__, "tables": {}}
for t in tables:
    cur = con.execute(f'select * from "{t}"')
    out["tables"][t] = {"columns": [d[0] for d in cur.description], "rows": len(cur.fetchall())}
out["national"] = con.execute(
    "select * from mart_national_year order by fiscal_year").fetchall()
print(json.dumps(out, default=str))
"""

READ_PARQUET = """
import json, sys, duckdb
con = duckdb.connect()
out = {}
for path in sys.argv[1:]:
    out[path] = con.execute("select count(*) from read_parquet(?)", [path]).fetchone()[0]
print(json.dumps(out))
"""


def old_client(code: str, *args: str) -> dict:
    assert OLD_PYTHON.exists(), (
        f"{OLD_PYTHON} is missing: `make test` builds it from {OLD_LOCK.relative_to(ROOT)} "
        "(or run `make .venv-duckdb1/.installed`)"
    )
    done = subprocess.run(
        [str(OLD_PYTHON), "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def locked_version() -> str:
    lines = [line for line in OLD_LOCK.read_text().splitlines() if line.startswith("duckdb==")]
    return lines[0].removeprefix("duckdb==")


def test_published_file_opens_in_duckdb_1x_with_every_table_and_row(sample_run):
    read = old_client(READ_PUBLISHED, str(sample_run.serving.resolve()))
    assert read["version"] == locked_version() and read["version"].startswith("1.")
    with duckdb.connect(str(sample_run.serving.resolve()), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' order by 1"
            ).fetchall()
        ]
        pinned = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
        columns = {
            t: [d[0] for d in con.execute(f'select * from "{t}" limit 0').description]
            for t in tables
        }
        recorded = dict(
            con.execute("select table_name, row_count from _publication_tables").fetchall()
        )
        national = con.execute("select * from mart_national_year order by fiscal_year").fetchall()
        storage = con.execute("select storage_version from _publication").fetchone()[0]
    assert storage == STORAGE_VERSION
    assert sorted(read["tables"]) == tables and len(tables) > 20
    assert {t: v["rows"] for t, v in read["tables"].items()} == pinned
    assert {t: v["columns"] for t, v in read["tables"].items()} == columns
    assert all(pinned[t] == n for t, n in recorded.items())
    assert pinned["mart_jurisdiction_year"] > 0 and pinned["dim_jurisdiction"] > 0
    assert read["national"] == json.loads(json.dumps(national, default=str))


# Run by the 1.x interpreter: the comment of every table and column of the file, as DBeaver, R or
# a notebook embedding DuckDB 1.x reads them (duckdb_tables() and duckdb_columns()).
READ_COMMENTS = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
tables = con.execute(
    "select table_name, comment from duckdb_tables() "
    "where database_name = current_database() and schema_name = 'main'").fetchall()
columns = con.execute(
    "select table_name, column_name, comment from duckdb_columns() "
    "where database_name = current_database() and schema_name = 'main' and not internal"
).fetchall()
print(json.dumps({"tables": dict(tables), "columns": [list(c) for c in columns]}))
"""


def test_every_published_table_and_column_has_its_description_in_duckdb_1x(
    sample_run, dbt_manifest
):
    """The one source of truth is dbt's yml: what a 1.x client reads as each comment is the
    description dbt rendered into its manifest, for every table and every column of the file,
    the publication's own tables and the QA tables included. A table or column without a
    description fails here, naming it."""
    from orchestration.defs.dbt import published_descriptions

    read = old_client(READ_COMMENTS, str(sample_run.serving.resolve()))
    docs = published_descriptions(dbt_manifest)
    assert len(read["tables"]) > 20 and "_publication" in read["tables"]
    assert {"qa_interop_quarantined_reports", "_publication_sources"} <= set(read["tables"])
    no_table_comment = sorted(t for t, comment in read["tables"].items() if not comment)
    no_column_comment = sorted(f"{t}.{c}" for t, c, comment in read["columns"] if not comment)
    assert no_table_comment == [], "published tables without a description in dbt's yml"
    assert no_column_comment == [], "published columns without a description in dbt's yml"
    assert read["tables"] == {t: docs[t].description for t in read["tables"]}
    for table, column, comment in read["columns"]:
        assert comment == docs[table].columns[column], f"{table}.{column}"


def test_the_pinned_engine_writes_a_format_duckdb_1x_refuses_unless_told(tmp_path):
    """Why publish.py names a storage version: without it, the pinned engine's own format is
    refused by the 1.x client (the failure this guards against is real, not assumed)."""
    default = tmp_path / "default.duckdb"
    with duckdb.connect(str(default)) as con:
        con.execute("create table t as select 1 as x")
    done = subprocess.run(
        [
            str(OLD_PYTHON),
            "-c",
            "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)",
            str(default),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "newer version of DuckDB" in done.stderr


def test_parquet_export_reads_in_duckdb_1x(sample_run, tmp_path):
    out = tmp_path / "export"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "--format",
            "parquet",
            "--out",
            str(out),
            "--warehouse",
            str(sample_run.warehouse),
        ],
    )
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.parquet"))
    with duckdb.connect(str(sample_run.serving.resolve()), read_only=True) as con:
        pinned = {
            t: con.execute(f'select count(*) from "{t}"').fetchone()[0]
            for t in (f.stem for f in files)
        }
    read = old_client(READ_PARQUET, *map(str, files))
    assert {Path(p).stem: n for p, n in read.items()} == pinned
    assert "mart_jurisdiction_year" in pinned and "data status of this publication" in result.output
