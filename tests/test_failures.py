"""Nothing wrong is published: a failing run exits non-zero, says why (expectation, table, rows)
and leaves the previously published file byte for byte as it was."""

import hashlib
import shutil

import duckdb
from click.testing import CliRunner

from orchestration.cli import main
from tests.conftest import write_variant


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seeded_warehouse(sample_run, tmp_path):
    """A warehouse whose published file is the sample run's (an earlier good publication)."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(sample_run.serving, warehouse / "marts.duckdb")
    return warehouse


def run_cli(*args):
    return CliRunner().invoke(main, ["run", *args], catch_exceptions=False)


def after_the_plan(output: str) -> list[str]:
    """The lines a run printed after its header and its plan (what it rebuilds and why)."""
    lines = output.splitlines()
    assert lines[0].startswith("scomm run")
    plan = ("Full run:", "changed:", "reused as published:")
    return [line for line in lines[1:] if not line.startswith(plan)]


def test_negative_count_fails_the_run_and_keeps_the_published_file(sample_run, tmp_path):
    # line 240 is Suffolk County's 2012-09-30 report; removals_l1 219 becomes -219
    bad = write_variant(
        tmp_path,
        "negative.csv",
        lambda lines: [
            line.replace(",219,118,", ",-219,118,") if i == 239 else line
            for i, line in enumerate(lines)
        ],
    )
    warehouse = seeded_warehouse(sample_run, tmp_path)
    before = sha256(warehouse / "marts.duckdb")

    result = run_cli("--source", f"interop={bad}", "--warehouse", str(warehouse))

    assert result.exit_code == 1
    out = result.output
    assert "FAILED interop_raw_suite" in out
    assert "expect_column_values_to_be_between on raw.interop_reports.removals_l1" in out
    assert f"{bad}:240" in out and "removals_l1='-219'" in out
    assert "nothing was published" in out
    assert sha256(warehouse / "marts.duckdb") == before
    # the refusal stands first, with the blocking check; no Dagster internals repeat it
    lines = after_the_plan(out)
    assert lines[0].startswith("Run refused: nothing was published.")
    assert lines[1].startswith("FAILED interop_raw_suite: ")
    assert "Dagster" not in out and "ERROR" not in out
    assert out.index("Run refused") < out.index("checks passed:")
    with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
        # dbt never ran: the blocking check stopped everything downstream of the raw table
        tables = {
            r[0]
            for r in con.execute("select table_schema from information_schema.tables").fetchall()
        }
    assert tables == {"raw"}


def test_file_that_is_not_the_layout_fails_with_file_line_and_column(sample_run, tmp_path):
    bad = tmp_path / "wrong.csv"
    bad.write_text("state;jurisdiction;report_through\nMA;Suffolk;2012-09-30\n", encoding="utf-8")
    warehouse = seeded_warehouse(sample_run, tmp_path)
    before = sha256(warehouse / "marts.duckdb")

    result = run_cli("--source", f"interop={bad}", "--warehouse", str(warehouse))

    assert result.exit_code == 1
    assert f"{bad}, line 1, column 'state'" in result.output
    assert "missing required column(s)" in result.output
    assert sha256(warehouse / "marts.duckdb") == before
    # the refusal first and whole (the unchanged file's path on the same line), then the reason
    # in our own words (no exception class or module path), then the rest of the run
    lines = after_the_plan(result.output)
    assert lines[0] == (
        "Run refused: nothing was published. The previously published file is unchanged: "
        f"{warehouse / 'marts.duckdb'}"
    )
    assert lines[1].startswith(f"ERROR raw__interop_reports: {bad}, line 1, column 'state'")
    assert "InputFileError" not in result.output and "orchestration." not in result.output
    assert result.output.index("Run refused") < result.output.index("checks passed:")


def test_unknown_jurisdiction_is_quarantined_and_the_rest_publishes(sample_run, tmp_path):
    # Add a report row for a county name that does not exist in Texas.
    extra = "TX,Gotham County,2009-01-01,2009-09-30,10,0,0,1,1,2,0,0,0,1,1"
    variant = write_variant(tmp_path, "gotham.csv", lambda lines: [*lines, extra])
    warehouse = tmp_path / "warehouse"

    result = run_cli("--source", f"interop={variant}", "--warehouse", str(warehouse))

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # the warning names the quarantined name and the table that holds it with its reason
    assert (
        "WARNING all_jurisdictions_resolved: 1 published name(s) quarantined, 1 report row(s) "
        "set aside: 'Gotham County' (TX); every one with its reason in "
        "qa_interop_quarantined_reports"
    ) in lines
    # a warning the embedded sample causes on purpose says so (287(g) comes from the sample) …
    (g287,) = [line for line in lines if line.startswith("WARNING all_287g_agencies_placed")]
    assert "'Exampleville Police Department' (TEXAS)" in g287
    assert g287.endswith(
        "(expected: the embedded sample carries a 287(g) agency of a place that does not exist "
        "(Exampleville Police Department, TX) on purpose)"
    )
    # … but not one from a file that is not the sample (this interop file is a variant)
    (restated,) = [line for line in lines if line.startswith("WARNING interop_restatements")]
    assert "expected:" not in restated
    # the published file's path is printed whole, on one line
    assert f"Published {warehouse.resolve() / 'marts.duckdb'}" in lines
    with duckdb.connect(str(warehouse / "marts.duckdb"), read_only=True) as con:
        quarantined = con.execute(
            "select published_name, source_line, quarantine_reason "
            "from qa_interop_quarantined_reports"
        ).fetchall()
        jurisdictions = con.execute(
            "select count(*) from dim_jurisdiction where in_interop_reports"
        ).fetchone()[0]
    assert quarantined == [
        (
            "Gotham County",
            391,
            "no county or county equivalent named 'Gotham County' in TX; if it is a spelling "
            "variant or a state-wide agency, add it to the jurisdiction overrides seed",
        )
    ]
    assert jurisdictions == 62  # nothing guessed, nothing else lost


def test_source_option_rejects_unknown_names_and_missing_files(tmp_path):
    result = CliRunner().invoke(main, ["run", "--source", "census=x.csv"])
    assert result.exit_code == 2 and "unknown source 'census'" in result.output
    result = CliRunner().invoke(main, ["run", "--source", f"interop={tmp_path / 'nope.csv'}"])
    assert result.exit_code == 2 and "no such file" in result.output


def test_a_misspelled_source_or_profile_name_suggests_the_closest():
    def error(*args):
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code != 0 and "Traceback" not in result.output
        return " ".join(result.output.split())

    assert "got 'populaton' (did you mean population=PATH?)" in error(
        "run", "--source", "populaton"
    )
    assert "unknown source 'populaton' (did you mean 'population'?)" in error(
        "run", "--source", "populaton=x.csv"
    )
    assert "unknown source 'introp' (did you mean 'interop'?)" in error("fetch", "introp")
    assert "unknown profile 'publc' (did you mean 'public'?)" in error(
        "fetch", "--profile", "publc"
    )
    assert "unknown profile 'publc' (did you mean 'public'?)" in error("run", "--profile", "publc")
    assert "did you mean" not in error("run", "--source", "weather=x.csv")
