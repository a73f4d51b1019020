"""Incremental loads of case records by fiscal year (Dagster partitions, dbt incremental model)
and the completeness gate against the last published load.

The strongest check of an incremental path: loading FY2015-2020 and then FY2021 on its own must
publish exactly what one full load of both files publishes (same content checksums)."""

import getpass
import html
import re
import shutil
from pathlib import Path

import duckdb
import pytest
import requests
from click.testing import CliRunner

from benchmarks.generate_cases import generate
from orchestration.cli import main
from orchestration.paths import REPO_ROOT
from tests.conftest import DashboardServer

FULL_ROWS, NEW_ROWS = 3_000, 600

# One xdist worker for the module: its tests share the module-scoped warehouse, built once, and
# some of them load into it in turn.
pytestmark = pytest.mark.xdist_group("incremental")


def scomm_run(*args: str):
    result = CliRunner().invoke(main, ["run", *args], catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())


def published_checksums(warehouse: Path) -> dict[str, str]:
    with duckdb.connect(str((warehouse / "marts.duckdb").resolve()), read_only=True) as con:
        return dict(
            con.execute("select table_name, content_md5 from _publication_tables").fetchall()
        )


def build_query(warehouse: Path, sql: str):
    with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("case_files")
    full = generate(FULL_ROWS, folder / "fy2015_2020.csv")
    new = generate(NEW_ROWS, folder / "fy2021.csv", fiscal_year=2021)
    short = folder / "fy2021_short.csv"  # the same release with its last 100 records lost
    short.write_text("".join(new.read_text().splitlines(keepends=True)[: NEW_ROWS + 1 - 100]))
    return {"full": full, "new": new, "short": short}


@pytest.fixture(scope="module")
def incremental(dbt_manifest, files, tmp_path_factory) -> Path:
    """A full load of FY2015-2020, then an incremental load of FY2021."""
    warehouse = tmp_path_factory.mktemp("incremental") / "wh"
    code, out = scomm_run("--source", f"cases={files['full']}", "--warehouse", str(warehouse))
    assert code == 0, out
    code, out = scomm_run(
        "--fiscal-year", "2021", "--source", f"cases={files['new']}", "--warehouse", str(warehouse)
    )
    assert code == 0, out
    assert f"case rows: {NEW_ROWS:,} read in this load" in out
    return warehouse


def test_incremental_load_publishes_what_a_full_load_of_both_files_does(
    incremental, files, tmp_path
):
    warehouse = tmp_path / "wh"
    code, out = scomm_run(
        "--source",
        f"cases={files['full']}",
        "--source",
        f"cases={files['new']}",
        "--warehouse",
        str(warehouse),
    )
    assert code == 0, out
    one_pass, in_two = published_checksums(warehouse), published_checksums(incremental)
    assert set(one_pass) == set(in_two)
    assert {t: m for t, m in in_two.items() if one_pass[t] != m} == {}
    held = dict(
        build_query(incremental, "select fiscal_year, sum(n) from raw.cases_grouped group by all")
    )
    assert held[2021] == NEW_ROWS and sum(held.values()) == FULL_ROWS + NEW_ROWS


def test_incremental_load_reads_only_the_new_file(incremental, files):
    staged = build_query(
        incremental, "select _source_file, sum(n) from raw.cases_load group by all"
    )
    assert staged == [(str(files["new"].resolve()), NEW_ROWS)]
    # the incremental dbt model rebuilt FY2021 only: earlier years keep their full-load rows
    scope = build_query(incremental, "select fiscal_year from raw.cases_load_scope")
    assert scope == [(2021,)]
    assert "1 incremental model" in (incremental / "logs" / "last_run.log").read_text()


def test_mart_counts_match_counts_computed_here_from_the_generated_files(incremental, files):
    """Fiscal year, severity and county computed in Python straight from the CSV files (addfips
    for the county, the mapping rules written out here), against the published mart."""
    import csv
    from collections import Counter
    from datetime import datetime

    from addfips import AddFIPS

    fips = AddFIPS(vintage=2010)  # the vintage the warehouse keys counties by (README)

    def county_of(name: str, state: str) -> str | None:
        """None = quarantined: redacted, unknown, or both a county and a city of that name."""
        if name == "b(6), b(7)c":
            return None
        as_county = fips.get_county_fips(f"{name} county", state)
        as_city = fips.get_county_fips(f"{name} city", state)
        if as_county and as_city and as_county != as_city:
            return None
        return fips.get_county_fips(name, state)

    expected: Counter = Counter()
    for path in (files["full"], files["new"]):
        with path.open(newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                d = datetime.strptime(r["Departed Date"], "%m/%d/%Y")
                fy = d.year + (1 if d.month >= 10 else 0)
                level = (
                    f"L{r['Case Threat Level']}"
                    if r["Case Threat Level"] in "123" and r["Case Threat Level"]
                    else {
                        "3 Other Immigration Violator": "NC",
                        "2 Pending Criminal Charges": "PENDING",
                    }.get(r["Case Criminality"], "UNKNOWN")
                )
                expected[
                    (county_of(r["Apprehension County"], r["Apprehension State"]), fy, level)
                ] += 1
    with duckdb.connect(str((incremental / "marts.duckdb").resolve()), read_only=True) as con:
        published = con.execute("""
            select jurisdiction_id, fiscal_year, removals_l1, removals_l2, removals_l3,
                   removals_nc, removals_pending, removals_unknown
            from mart_case_removals_year""").fetchall()
        quarantined = con.execute("select sum(rows) from qa_cases_quarantined").fetchone()[0]
    levels = ("L1", "L2", "L3", "NC", "PENDING", "UNKNOWN")
    for jurisdiction, fy, *counts in published:
        assert tuple(counts) == tuple(expected[(jurisdiction, fy, lv)] for lv in levels), (
            jurisdiction,
            fy,
        )
    placed = sum(sum(counts) for _, _, *counts in published)
    assert placed + quarantined == FULL_ROWS + NEW_ROWS
    assert quarantined == sum(n for (county, _, _), n in expected.items() if county is None)


def test_completeness_gate_refuses_a_release_that_lost_records(incremental, files):
    before = (incremental / "marts.duckdb").resolve()
    checksums = published_checksums(incremental)
    code, out = scomm_run(
        "--fiscal-year",
        "2021",
        "--source",
        f"cases={files['short']}",
        "--warehouse",
        str(incremental),
    )
    assert code == 1
    assert (
        "FAILED cases_completeness: records missing against the last published load "
        "(more than 2% fewer): FY2021: 500 records, 100 (16.7%) fewer than the load "
        "published"
    ) in out
    assert "(not merged: a check refused it)" in out
    assert 'If this smaller release is right, run again with --accept-smaller "REASON"' in out
    assert (incremental / "marts.duckdb").resolve() == before
    # the refused load never reached the warehouse's records, so no later run publishes it
    assert build_query(
        incremental, "select sum(n) from raw.cases_grouped where fiscal_year = 2021"
    ) == [(NEW_ROWS,)]
    # and it is not the baseline either: the complete release still passes, and loading the
    # same year again replaces it (the same content is published, nothing counted twice)
    code, out = scomm_run(
        "--fiscal-year",
        "2021",
        "--source",
        f"cases={files['new']}",
        "--warehouse",
        str(incremental),
    )
    assert code == 0, out
    assert published_checksums(incremental) == checksums


def publication_acceptance(warehouse: Path) -> tuple:
    with duckdb.connect(str((warehouse / "marts.duckdb").resolve()), read_only=True) as con:
        found = con.execute(
            "select accepted_smaller_by, accepted_smaller_reason, accepted_smaller_years "
            "from _publication"
        ).fetchone()
    assert found is not None
    return found


def test_the_operator_accepts_a_smaller_release_and_the_publication_says_who_and_why(
    incremental, files, tmp_path
):
    warehouse = tmp_path / "wh"
    shutil.copytree(incremental, warehouse, symlinks=True)
    assert publication_acceptance(warehouse) == (None, None, None)
    reason = "FY2021 re-released by ICE without 100 records withdrawn as duplicates"
    short = ("--fiscal-year", "2021", "--source", f"cases={files['short']}")
    code, out = scomm_run(*short, "--accept-smaller", reason, "--warehouse", str(warehouse))
    assert code == 0, out
    drop = f"FY2021: {NEW_ROWS - 100:,} records, 100 (16.7%) fewer than the load published"
    assert f"WARNING cases_completeness: smaller release accepted by {getpass.getuser()}" in out
    assert drop in out
    by, why, years = publication_acceptance(warehouse)
    assert (by, why) == (getpass.getuser(), reason) and years.startswith(drop)
    assert build_query(
        warehouse, "select sum(n) from raw.cases_grouped where fiscal_year = 2021"
    ) == [(NEW_ROWS - 100,)]
    with DashboardServer(warehouse / "marts.duckdb") as dashboard:  # About says so too
        about = requests.get(dashboard.url + "/about", timeout=30).text
    note = " ".join(re.search(r'<p id="accepted-smaller".*?</p>', about, re.S).group(0).split())
    assert f"<code>{getpass.getuser()}</code> published it" in note
    assert html.escape(drop) in note and f"“{html.escape(reason)}”" in note
    # the accepted release is the baseline now: loading it again needs no acceptance, and the
    # new publication records none
    code, out = scomm_run(*short, "--warehouse", str(warehouse))
    assert code == 0, out
    assert publication_acceptance(warehouse) == (None, None, None)
    with DashboardServer(warehouse / "marts.duckdb") as dashboard:
        assert (
            'id="accepted-smaller"' not in requests.get(dashboard.url + "/about", timeout=30).text
        )


@pytest.mark.parametrize(
    "reason, message",
    [("", "give the reason"), ("  ", "give the reason"), ("two\nlines", "one line")],
)
def test_accept_smaller_needs_a_reason_on_one_line(reason, message, tmp_path):
    result = CliRunner().invoke(
        main, ["run", "--accept-smaller", reason, "--warehouse", str(tmp_path / "wh")]
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 2 and "--accept-smaller" in output and message in output
    assert not (tmp_path / "wh").exists()


def test_a_full_load_that_drops_a_published_year_is_refused(incremental, files):
    code, out = scomm_run("--source", f"cases={files['full']}", "--warehouse", str(incremental))
    assert code == 1
    assert "FY2021: 0 records, 600 (100.0%) fewer" in out


def test_incremental_file_with_records_of_another_year_is_refused(incremental, files):
    code, out = scomm_run(
        "--fiscal-year",
        "2020",
        "--source",
        f"cases={files['new']}",
        "--warehouse",
        str(incremental),
    )
    assert code == 1
    assert (
        f"{files['new'].resolve()}, line 2, column 'Departed Date': {NEW_ROWS:,} "
        "record(s) departed in fiscal year 2021"
    ) in out
    assert "outside this incremental load's fiscal year(s) 2020" in out
    assert "Traceback" not in out
    assert f"(sources: cases={files['new'].resolve()})" in out  # a path, not a Python list


ANY_FILE = REPO_ROOT / "README.md"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--fiscal-year", "2021"], "takes case files only"),
        (["--fiscal-year", "2021", "--source", f"interop={ANY_FILE}"], "takes case files only"),
        (["--fiscal-year", "1999", "--source", f"cases={ANY_FILE}"], "fiscal years run from 2003"),
        (["--fiscal-year", "20x1", "--source", f"cases={ANY_FILE}"], "expected YYYY or YYYY-YYYY"),
    ],
)
def test_fiscal_year_option_is_checked(args, message, tmp_path):
    result = CliRunner().invoke(main, ["run", *args, "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 2 and message in " ".join(result.output.split())


def test_incremental_load_needs_a_full_load_first(files, tmp_path):
    code, out = scomm_run(
        "--fiscal-year",
        "2021",
        "--source",
        f"cases={files['new']}",
        "--warehouse",
        str(tmp_path / "empty"),
    )
    assert code == 2 and "has no full load yet" in out


def test_a_case_reload_of_every_year_leaves_the_other_sources_alone(incremental, files):
    checksums = published_checksums(incremental)
    interop_load = build_query(incremental, "select distinct _load_id from raw.interop_reports")
    code, out = scomm_run(
        "--fiscal-year",
        "all",
        "--source",
        f"cases={files['full']}",
        "--source",
        f"cases={files['new']}",
        "--warehouse",
        str(incremental),
    )
    assert code == 0, out
    assert f"case rows: {FULL_ROWS + NEW_ROWS:,} read in this load" in out
    assert published_checksums(incremental) == checksums  # the same records, the same marts
    assert (
        build_query(incremental, "select distinct _load_id from raw.interop_reports")
        == interop_load
    )  # only the case lineage ran
    assert build_query(incremental, "select count(*) from raw.cases_load_scope") == [(33,)]
