"""`scomm sql`: read-only SQL on the published file, never the build database."""

import json

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main

pytestmark = pytest.mark.fast  # make test-fast


def sql(sample_run, *args):
    return CliRunner().invoke(main, ["sql", "--warehouse", str(sample_run.warehouse), *args])


def test_query_answers_as_table_csv_and_json(sample_run):
    query = "select jurisdiction_id, fiscal_year from mart_jurisdiction_year order by 1, 2 limit 5"
    table = sql(sample_run, query)
    assert table.exit_code == 0 and "5 row(s)" in table.output and "02020" in table.output
    csv_out = sql(sample_run, "--format", "csv", query)
    assert csv_out.output.splitlines()[0] == "jurisdiction_id,fiscal_year"
    rows = json.loads(sql(sample_run, "--format", "json", query).output)
    assert rows[0] == {"jurisdiction_id": "02020", "fiscal_year": 2011}


def test_writes_are_refused_and_change_nothing(sample_run):
    before = sample_run.serving.read_bytes()
    result = sql(sample_run, "delete from mart_national_year")
    assert result.exit_code == 1 and "refused: the published file is read-only" in result.output
    result = sql(sample_run, "create table x as select 1")
    assert result.exit_code == 1 and "refused" in result.output
    assert sample_run.serving.read_bytes() == before


def test_other_files_cannot_be_read_or_attached(sample_run, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n", encoding="utf-8")
    assert sql(sample_run, f"select * from read_csv('{secret}')").exit_code == 1
    assert sql(sample_run, f"attach '{sample_run.build}' as b").exit_code == 1


def test_reader_does_not_hold_the_build_database(sample_copy):
    # A reader open on the published file must not block a writer on the build database.
    # (A copy of the sample warehouse: the shared one may be open read-only in another worker,
    # and DuckDB lets no process write a file that another process has open.)
    reader = duckdb.connect(str(sample_copy.serving), read_only=True)
    try:
        writer = duckdb.connect(str(sample_copy.build))
        writer.close()
    finally:
        reader.close()


def test_missing_published_file_names_the_command_that_builds_that_folder(tmp_path):
    def sql_in(folder):
        result = CliRunner().invoke(main, ["sql", "--warehouse", str(folder), "select 1"])
        assert result.exit_code == 1 and "Traceback" not in result.output
        return " ".join(result.output.split())

    typo = tmp_path / "warehosue"
    assert sql_in(typo) == (
        f"Error: no warehouse folder {typo} (a typo?); `scomm run --warehouse {typo}` "
        "builds a warehouse there"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert sql_in(empty) == (
        f"Error: {empty} has no published marts.duckdb yet: "
        f"`scomm run --warehouse {empty}` builds it"
    )
    (empty / "build.duckdb").touch()  # a run there that never published
    assert "no run there has published yet" in sql_in(empty)
    result = CliRunner().invoke(main, ["dashboard", "--warehouse", str(typo)])
    assert result.exit_code == 1 and "(a typo?)" in result.output


def test_an_empty_query_is_a_one_line_message(sample_run):
    for query in ("", " ; ", "/* only a comment */"):
        result = sql(sample_run, query)
        assert result.exit_code == 1 and result.exception is not None
        assert isinstance(result.exception, SystemExit), result.exception  # no traceback
        assert result.output == (
            'Error: no SQL statement in the query: give one, e.g. "select * from _publication"\n'
        )


def test_extensions_cannot_be_installed_or_loaded_and_files_not_written(sample_run, tmp_path):
    out = tmp_path / "leak.csv"
    for query in (
        "install httpfs",
        "load httpfs",
        "install 'x' from 'https://example.org'",
        f"copy (select 1) to '{out}'",
        f"select * from read_text('{sample_run.build}')",
        f"export database '{tmp_path / 'dump'}'",
        "set enable_external_access = true",
    ):
        result = sql(sample_run, query)
        assert result.exit_code == 1, (query, result.output)
    assert not out.exists() and not (tmp_path / "dump").exists()
