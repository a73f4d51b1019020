"""Case-level records: formats, severity mapping, quarantine, facts and reconciliation, and the
benchmark's JSON line (timing targets belong to the benchmark, not to these tests)."""

import csv
import json

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.ingest.cases.scan import load_raw_cases
from orchestration.ingest.errors import InputFileError
from orchestration.run.execute import execute

HEADER = [
    "Departed Date",
    "Apprehension State",
    "Apprehension County",
    "Case Threat Level",
    "Case Criminality",
    "MSC NCIC Charge",
    "MSC NCIC Charge Code",
    "Final Program",
    "Unique Identifier",
    "Docket AOR",
]
# Counted by hand below: Suffolk MA FY2016 has L1 2, L3 1, NC 1, PENDING 1, UNKNOWN 1;
# one redacted county and one unknown county are quarantined; one row has no usable date.
ROWS = [
    # Departed, state, county, threat level, criminality, charge, code, program, id, extra
    [
        "10/01/2015",
        "MASSACHUSETTS",
        "SUFFOLK",
        "1",
        "1 Convicted Criminal",
        "X",
        "1",
        "SC",
        "a1",
        "BOS",
    ],
    ["2016-03-02", "MA", "Suffolk County", "1", "1 Convicted Criminal", "", "", "SC", "a2", "BOS"],
    ["09/30/2016", "MASSACHUSETTS", "SUFFOLK", "3", "1 Convicted Criminal", "", "", "SC", "a3", ""],
    [
        "11/11/2015",
        "MASSACHUSETTS",
        "SUFFOLK",
        "",
        "3 Other Immigration Violator",
        "",
        "",
        "SC",
        "a4",
        "",
    ],
    [
        "12/12/2015",
        "MASSACHUSETTS",
        "SUFFOLK",
        "",
        "2 Pending Criminal Charges",
        "",
        "",
        "SC",
        "a5",
        "",
    ],
    ["01/01/2016", "MASSACHUSETTS", "SUFFOLK", "", "", "", "", "SC", "a6", ""],
    [
        "01/01/2016",
        "MASSACHUSETTS",
        "b(6), b(7)c",
        "2",
        "1 Convicted Criminal",
        "",
        "",
        "SC",
        "a7",
        "",
    ],
    ["01/01/2016", "TEXAS", "GOTHAM", "2", "1 Convicted Criminal", "", "", "SC", "a8", ""],
    [
        "b(6), b(7)c",
        "MASSACHUSETTS",
        "SUFFOLK",
        "2",
        "1 Convicted Criminal",
        "",
        "",
        "SC",
        "a9",
        "",
    ],
    ["10/05/2016", "TEXAS", "HARRIS", "3", "1 Convicted Criminal", "", "", "SC", "a10", ""],
]


def write_csv(path, rows, header=HEADER):
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path, sheets):
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in sheets:
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value)
    workbook.close()
    return path


def test_csv_gzip_parquet_and_xlsx_with_preamble_and_sheets_load_the_same_rows(tmp_path):
    import gzip

    plain = write_csv(tmp_path / "c.csv", ROWS)
    gz = tmp_path / "c.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    parquet = tmp_path / "c.parquet"
    duckdb.sql(f"copy (select * from read_csv('{plain}', all_varchar=true)) to '{parquet}'")
    preamble = [
        ["U.S. Immigration and Customs Enforcement"],
        ["Removals FY2016"],
        [""],
        ["FOIA 2017-ICFO-00000"],
        ["Produced by ERO LESA"],
        [""],
    ]
    xlsx = write_xlsx(
        tmp_path / "c.xlsx", [("Sheet1", preamble + [HEADER] + ROWS[:6]), ("Sheet2", ROWS[6:])]
    )
    for files in ([plain], [gz], [parquet], [xlsx]):
        con = duckdb.connect()
        assert load_raw_cases(con, files, "t") == len(ROWS), files
        got = con.execute(
            'select "Unique Identifier", "Apprehension County", "Docket AOR" '
            "from raw.cases_load_records order by _source_file, _source_row"
        ).fetchall()
        assert [g[0] for g in got] == [r[8] for r in ROWS]
        assert got[6][1] == "b(6), b(7)c" and got[0][2] == "BOS"  # raw keeps everything
    # several files per load (other records: the same records twice are refused,
    # test_duplicate_records.py)
    other = write_csv(tmp_path / "other.csv", renumbered(ROWS, "V"))
    con = duckdb.connect()
    assert load_raw_cases(con, [gz, other], "t") == 2 * len(ROWS)


def renumbered(rows: list[list[str]], prefix: str) -> list[list[str]]:
    """``rows`` as other records: their Unique Identifier under another prefix."""
    return [[*r[:8], prefix + r[8][1:], *r[9:]] for r in rows]


def typed_parquet(plain, path, date_type, level_type):
    """A Parquet release with typed columns: the departed date a DATE or TIMESTAMP, the threat
    level a whole number (blank -> NULL), the rest text."""
    duckdb.sql(f"""copy (select * replace (
        cast(try_strptime("Departed Date", ['%m/%d/%Y', '%Y-%m-%d']) as {date_type})
            as "Departed Date",
        try_cast("Case Threat Level" as {level_type}) as "Case Threat Level")
        from read_csv('{plain}', all_varchar = true)) to '{path}'""")
    return path


COUNTS_SQL = """select fiscal_year, apprehension_county, case_threat_level, case_criminality,
                       sum(n) from raw.cases_load group by all order by all"""


def test_parquet_with_typed_columns_reads_like_the_csv_and_runs_through(tmp_path):
    plain = write_csv(tmp_path / "c.csv", ROWS)
    con = duckdb.connect()
    load_raw_cases(con, [plain], "t")
    expected = con.execute(COUNTS_SQL).fetchall()
    files = [
        typed_parquet(plain, tmp_path / f"{name}.parquet", date_type, level_type)
        for name, date_type, level_type in (
            ("date_int", "date", "integer"),
            ("timestamp_bigint", "timestamp", "bigint"),
            ("timestamptz_double", "timestamptz", "double"),
        )
    ]
    for path in files:
        con = duckdb.connect()
        assert load_raw_cases(con, [path], "t") == len(ROWS)
        assert con.execute(COUNTS_SQL).fetchall() == expected, path
        # the raw view reads like the CSV's too (a check on a typed column would not bind)
        assert con.execute(
            'select "Departed Date", "Case Threat Level" from raw.cases_load_records '
            "order by _source_row limit 2"
        ).fetchall() == [("2015-10-01", "1"), ("2016-03-02", "1")]
    # typed and text files in one load, through the whole run (checks, dbt, publication)
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--source",
            f"cases={files[0]}",
            "--source",
            f"cases={write_csv(tmp_path / 'more.csv', renumbered(ROWS[:3], 'V'))}",
            "--warehouse",
            str(tmp_path / "wh"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


def test_a_nul_byte_in_a_counted_value_of_a_parquet_file_is_refused_naming_the_row(tmp_path):
    plain = write_csv(tmp_path / "c.csv", ROWS)
    path = tmp_path / "nul.parquet"
    duckdb.sql(f"""copy (select * replace (
        case when "Unique Identifier" = 'a7' then 'SUF' || chr(0) || 'FOLK'
             else "Apprehension County" end as "Apprehension County")
        from read_csv('{plain}', all_varchar = true)) to '{path}'""")
    with pytest.raises(InputFileError, match=r"nul.parquet, row 7, column 'Apprehension County'"):
        load_raw_cases(duckdb.connect(), [path], "t")


def test_missing_column_and_unknown_format_are_refused_with_the_file(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [r[:4] for r in ROWS], header=HEADER[:4])
    with pytest.raises(InputFileError, match=r"bad.csv, line 1, column 'Case Criminality'"):
        load_raw_cases(duckdb.connect(), [bad], "t")
    other = tmp_path / "cases.txt"
    other.write_text("x")
    with pytest.raises(InputFileError, match="unsupported file type"):
        load_raw_cases(duckdb.connect(), [other], "t")


# the tests of the module-scoped cases_run go to one xdist worker, so its run is made once
CASES_RUN_GROUP = pytest.mark.xdist_group("cases_run")


@pytest.fixture(scope="module")
def cases_run(dbt_manifest, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cases")
    files = [write_csv(folder / "part1.csv", ROWS[:5]), write_csv(folder / "part2.csv", ROWS[5:])]
    warehouse = folder / "warehouse"
    report = execute(warehouse, {"cases": files})
    assert report.success, (report.step_errors, report.checks_failed)
    con = duckdb.connect(str((warehouse / "marts.duckdb").resolve()), read_only=True)
    yield con
    con.close()


@CASES_RUN_GROUP
def test_severity_mapping_quarantine_and_counts_by_hand(cases_run):
    row = cases_run.execute("""
        select removals_l1, removals_l2, removals_l3, removals_nc, removals_pending,
               removals_unknown, removals_all_records, removals_total, minor_share_removals
        from mart_case_removals_year where jurisdiction_id = '25025' and fiscal_year = 2016
    """).fetchone()
    assert row == (2, 0, 1, 1, 1, 1, 6, 4, 0.5)
    quarantined = dict(
        cases_run.execute("select reason, rows from qa_cases_quarantined").fetchall()
    )
    assert quarantined["county redacted in the release (b(6), b(7)c)"] == 1
    assert quarantined["Departed Date missing or unreadable"] == 1
    assert any("GOTHAM" in reason for reason in quarantined)
    # Harris County TX, departed 10/05/2016 = FY2017
    assert cases_run.execute(
        "select removals_l3 from mart_case_removals_year "
        "where jurisdiction_id = '48201' and fiscal_year = 2017"
    ).fetchone() == (1,)


@CASES_RUN_GROUP
def test_case_facts_carry_their_source_and_shares_of_four_levels(cases_run):
    rows = cases_run.execute("""
        select severity_level, n, share, source from fct_referrals_by_severity
        where jurisdiction_id = '25025' and fiscal_year = 2016 and source = 'cases'
        order by severity_rank""").fetchall()
    assert rows == [
        ("L1", 2, 0.5, "cases"),
        ("L2", 0, 0.0, "cases"),
        ("L3", 1, 0.25, "cases"),
        ("NC", 1, 0.25, "cases"),
    ]
    # the interop year marts are unchanged by case facts
    assert cases_run.execute(
        "select count(*) from mart_jurisdiction_year where fiscal_year = 2016"
    ).fetchone() == (0,)


@CASES_RUN_GROUP
def test_reconciliation_sets_both_sources_side_by_side(cases_run):
    row = cases_run.execute("""
        select removals_interop, removals_cases_all_records, difference, in_both
        from mart_removals_reconciliation
        where jurisdiction_id = '25025' and fiscal_year = 2014""").fetchone()
    assert row[0] == 225 and row[1] is None and row[3] is False  # interop only (sample FY2014)
    row = cases_run.execute("""
        select removals_interop, removals_cases_all_records, in_both
        from mart_removals_reconciliation
        where jurisdiction_id = '25025' and fiscal_year = 2016""").fetchone()
    assert row == (None, 6, False)


def test_unknown_severity_code_fails_the_run_naming_file_and_row(tmp_path, sample_run):
    bad = write_csv(
        tmp_path / "codes.csv",
        ROWS[:3]
        + [
            [
                "01/01/2016",
                "MASSACHUSETTS",
                "SUFFOLK",
                "4",
                "1 Convicted Criminal",
                "",
                "",
                "SC",
                "z",
                "",
            ]
        ],
    )
    result = CliRunner().invoke(
        main,
        ["run", "--source", f"cases={bad}", "--warehouse", str(tmp_path / "wh")],
        catch_exceptions=False,
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "FAILED cases_codes_known" in output
    assert f"{bad}: row 4 (1 rows): Case Threat Level='4'" in output


def test_bench_prints_the_json_line_with_every_field(monkeypatch):
    import benchmarks.bench as bench

    fake = {
        "rows": 1000,
        "file_mb": 0.1,
        "machine": "m",
        "validation_s": 1.0,
        "validation_share": 0.1,
        "pandas_peak_rss_mb": 1,
        "pipeline_s": 10.0,
        "data_path_s": 0.5,
        "fixed_s": 9.5,
        "duckdb_floor_s": 0.1,
        "pandas_s": 0.2,
        "ratio_vs_floor": 5.0,
        "ratio_vs_pandas": 2.5,
        "peak_rss_mb": 300,
        "sample_run_s": 20.0,
        "noop_run_s": 19.0,
        "one_source_run_s": 19.5,
        "dbt_build_s": 6.0,
    }
    monkeypatch.setattr(bench, "run", lambda rows, **_: {**fake, "rows": rows})
    result = CliRunner().invoke(main, ["bench", "--rows", "1000"])
    last = json.loads(result.output.strip().splitlines()[-1])
    assert list(last) == [
        "rows",
        "pipeline_s",
        "data_path_s",
        "fixed_s",
        "duckdb_floor_s",
        "pandas_s",
        "ratio_vs_floor",
        "ratio_vs_pandas",
        "peak_rss_mb",
        "sample_run_s",
        "noop_run_s",
        "one_source_run_s",
        "dbt_build_s",
    ]


def test_bench_measures_a_small_run_for_real(tmp_path, monkeypatch):
    """A smoke run of the real benchmark at a small N: the fields are numbers and consistent,
    and each run's peak memory is its own, not the high-water mark of the bench process."""
    import benchmarks.bench as bench

    monkeypatch.setattr(bench, "BENCH_DATA", tmp_path)
    # the bench process grows past any run's peak first (as generating 10M rows or the pandas
    # baseline makes it): a run started from it by vfork/exec would report this figure
    balloon = bytearray(1200 * 1024 * 1024)
    for i in range(0, len(balloon), 4096):
        balloon[i] = 1
    del balloon
    result = bench.run(2000, with_pandas=True, repeat=1)
    assert result["rows"] == 2000
    assert result["pipeline_s"] > 0 and result["fixed_s"] > 0 and result["duckdb_floor_s"] > 0
    assert result["data_path_s"] >= 0
    assert abs(result["data_path_s"] + result["fixed_s"] - result["pipeline_s"]) < 0.05
    assert result["peak_rss_mb"] > 50 and 0 < result["validation_share"] < 1
    # the incremental run: one more fiscal year of rows/6 records in the same warehouse
    assert result["incremental_rows"] == 333 and result["incremental_s"] > 0
    assert result["incremental_vs_full"] == pytest.approx(
        result["incremental_s"] / result["pipeline_s"], abs=0.01
    )
    assert (
        abs(
            result["incremental_data_path_s"]
            + result["incremental_fixed_s"]
            - result["incremental_s"]
        )
        < 0.05
    )
    assert result["full_job_s"] > 0 and result["full_job_peak_rss_mb"] > 50
    assert result["ingest_s"] > 0 and result["incremental_ingest_s"] > 0
    # what a user waits for: the sample run, the same run again, one source changed, and the
    # peer (dbt build alone on the same raw tables), each a real process that succeeded
    for key in ("sample_run_s", "one_source_run_s", "dbt_build_s"):
        assert 0.5 < result[key] < 600, key
    # the same run again finds nothing changed: it decides before importing Dagster or dbt
    assert 0 < result["noop_run_s"] < result["sample_run_s"] / 4
    # each run's own peak, never the bench process's inherited one
    bench_peak = result["bench_peak_rss_mb"]
    assert bench_peak >= 1200
    peaks = result["run_peaks_rss_mb"]
    assert set(peaks) == {
        "pipeline",
        "incremental",
        "sample_run",
        "noop_run",
        "one_source_run",
        "dbt_build",
        "full_job",
    }
    for name, peak in peaks.items():
        assert 50 < peak < bench_peak, (name, peak, bench_peak)
    assert 30 < result["pandas_peak_rss_mb"] < bench_peak  # the baseline's own peak too
    assert result["peak_rss_mb"] == max(peaks["pipeline"], peaks["incremental"])
