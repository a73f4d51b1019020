"""`scomm tables` and `scomm describe TABLE`: what the published file holds and what each column
means, read from the file's own comments."""

from __future__ import annotations

import duckdb
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.cli.describe import NO_SUCH_TABLE


def invoke(*args: str):
    # wide enough that rich does not fold the descriptions mid-word
    return CliRunner(env={"COLUMNS": "400"}).invoke(main, list(args))


def test_tables_lists_every_published_table_with_rows_and_what_it_holds(sample_run):
    result = invoke("tables", "--warehouse", str(sample_run.warehouse))
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(sample_run.serving.resolve()), read_only=True) as con:
        found = con.execute(
            "select table_name, comment from duckdb_tables() "
            "where database_name = current_database()"
        ).fetchall()
        counts = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t, _ in found}
    lines = result.output.splitlines()
    for table, comment in found:
        row = next(line for line in lines if f" {table} " in line)
        assert f" {counts[table]:,} " in row, table
        assert comment.split(". ", 1)[0][:60] in row, table
    assert f"{len(found)} tables; `scomm describe TABLE`" in result.output


def test_describe_shows_each_column_with_its_type_and_description(sample_run):
    result = invoke("describe", "mart_jurisdiction_year", "--warehouse", str(sample_run.warehouse))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("mart_jurisdiction_year\nOne row per jurisdiction and fiscal")
    with duckdb.connect(str(sample_run.serving.resolve()), read_only=True) as con:
        columns = con.execute(
            "select column_name, data_type, comment from duckdb_columns() "
            "where database_name = current_database() and table_name = 'mart_jurisdiction_year'"
        ).fetchall()
    lines = result.output.splitlines()
    for name, data_type, comment in columns:
        row = next(line for line in lines if line.startswith(f"│ {name} "))
        assert f" {data_type} " in row and comment[:50] in row, name
    assert "minor_share_removals" in result.output and "(L3 + NC) / total" in result.output


def test_describe_an_unknown_table_says_so_in_one_line_and_exits_2(sample_run):
    result = CliRunner().invoke(
        main, ["describe", "mart_rolout", "--warehouse", str(sample_run.warehouse)]
    )
    assert result.exit_code == NO_SUCH_TABLE == 2
    assert result.output.count("\n") == 1
    assert result.output.startswith(
        "Error: unknown table 'mart_rolout' (did you mean 'mart_rollout'?); known: _publication"
    )


def test_describe_without_a_publication_names_the_command_that_makes_one(tmp_path):
    for args in (["describe", "mart_rollout"], ["tables"]):
        result = CliRunner().invoke(main, [*args, "--warehouse", str(tmp_path)])
        assert result.exit_code == 1
        assert "has no published marts.duckdb yet: `scomm run --warehouse" in result.output
