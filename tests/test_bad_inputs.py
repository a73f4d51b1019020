"""Bad input, case by case (docs/RELIABILITY.md lists them): each refused run names the file, the
line and the column, exits non-zero and leaves the published file byte for byte as it was; each
accepted oddity is accepted and reported."""

import gzip
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.ingest.errors import InputFileError
from orchestration.ingest.figures import load_raw_figures
from orchestration.ingest.g287 import load_raw_g287
from orchestration.ingest.interop import INTEROP_COLUMNS, parse_interop_csv
from orchestration.paths import REPO_ROOT, SAMPLE_INTEROP
from orchestration.run.report import root_cause

SAMPLE = SAMPLE_INTEROP.read_text(encoding="utf-8").splitlines()
HEADER, ROWS = SAMPLE[0], SAMPLE[1:]
SUFFOLK_2012 = 238  # index in ROWS of "MA,Suffolk County,...,2012-09-30" (file line 240)
assert ROWS[SUFFOLK_2012].startswith("MA,Suffolk County,2008-11-05,2012-09-30,68230,")


def text(lines: list[str], end: str = "\n") -> str:
    return end.join(lines) + end


def with_row(index: int, edit: Callable[[list[str]], None]) -> list[str]:
    rows = list(ROWS)
    fields = rows[index].split(",")
    edit(fields)
    rows[index] = ",".join(fields)
    return [HEADER, *rows]


def set_field(column: str, value: str) -> Callable[[list[str]], None]:
    def edit(fields: list[str]) -> None:
        fields[INTEROP_COLUMNS.index(column)] = value

    return edit


@dataclass(frozen=True)
class Case:
    id: str
    write: Callable[[Path], Path]  # writes the bad file into a folder, returns it
    expect: tuple[str, ...]  # substrings of the output, with {file} for the file's path
    source: str = "interop"


def latin1_e(column: str) -> Callable[[list[str]], None]:
    """Append a Latin-1 "é" (byte 0xe9, not UTF-8) to ``column`` (written with surrogateescape)."""

    def edit(fields: list[str]) -> None:
        fields[INTEROP_COLUMNS.index(column)] += "\udce9"

    return edit


def whole_case_file_with(line: int, old: bytes, new: bytes) -> Callable[[Path], Path]:
    """The whole sample case file (20,000 records) with ``old`` replaced by ``new`` on ``line``."""

    def write(folder: Path) -> Path:
        lines = (REPO_ROOT / "data/sample/cases.csv").read_bytes().split(b"\n")
        assert old in lines[line - 1]
        lines[line - 1] = lines[line - 1].replace(old, new)
        path = folder / "cases.csv"
        path.write_bytes(b"\n".join(lines))
        return path

    return write


def csv_file(content: str | bytes, name: str = "reports.csv") -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


def population_variant(edit: Callable[[str], str]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        original = (REPO_ROOT / "data/sample/population.csv").read_bytes().decode("latin-1")
        path = folder / "population.csv"
        path.write_bytes(edit(original).encode("latin-1"))
        return path

    return write


def noncitizen_variant(edit: Callable[[str], str]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        original = (REPO_ROOT / "data/sample/noncitizen.csv").read_text(encoding="utf-8")
        path = folder / "noncitizen.csv"
        path.write_text(edit(original), encoding="utf-8")
        return path

    return write


def xlsx_named_csv(folder: Path) -> Path:
    path = folder / "reports.csv"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return path


def past_64_kib(lines: list[str]) -> list[str]:
    """The sample with a padding column (an extra column, accepted), so the file is larger
    than the 64 KiB the first sniff reads: what follows is only seen by the whole-file scan."""
    padded = [lines[0] + ",padding", *(line + "," + "x" * 120 for line in lines[1:])]
    assert len(text(padded).encode()) > 64 * 1024
    return padded


def activations_variant(column: str, value: str) -> Callable[[Path], Path]:
    """The sample Stata panel with ``column`` of its first activated county-year set to
    ``value`` (observation 1 + its index: the panel's "line")."""

    def write(folder: Path) -> Path:
        frame = pd.read_stata(REPO_ROOT / "data/sample/activations.dta")
        first = frame.index[frame[column].notna()][0]
        assert first == ACTIVATION_OBSERVATION - 1
        frame.loc[first, column] = pd.Timestamp(value)
        path = folder / "activations.dta"
        frame.to_stata(path, write_index=False, convert_dates={c: "td" for c in ACTIVATION_DATES})
        return path

    return write


ACTIVATION_DATES = ("date_secure", "date_statewide_secure")
ACTIVATION_OBSERVATION = 5  # the first county-year of the sample panel with a date_secure

CASE_LINES = (REPO_ROOT / "data/sample/cases.csv").read_text(encoding="utf-8").splitlines()[:1200]


def case_parquet_with_nul(row: int, column: str) -> Callable[[Path], Path]:
    """The 1,199 sample records as Parquet, with data row ``row`` of ``column`` 'DRUGS' + NUL."""

    def write(folder: Path) -> Path:
        plain = folder / "plain.csv"
        plain.write_text(text(CASE_LINES), encoding="utf-8")
        path = folder / "cases.parquet"
        duckdb.sql(f"""copy (select * replace (
            case when "Unique Identifier" = 'U{row - 1:010d}' then 'DRUGS' || chr(0)
                 else "{column}" end as "{column}")
            from read_csv('{plain}', all_varchar = true)) to '{path}'""")
        plain.unlink()
        return path

    return write


def case_variant(
    index: int, column: int, value: str, name: str = "cases.csv", encoding: str = "utf-8"
) -> Callable[[Path], Path]:
    """1,199 records of the sample case file (about 110 KB), with field ``column`` of line
    ``index + 1`` set to ``value``; written as .csv, .csv.gz (gzip) or .parquet (the date a
    DATE, the threat level an integer, as typed releases are)."""

    def write(folder: Path) -> Path:
        lines = list(CASE_LINES)
        fields = lines[index].split(",")
        fields[column] = value
        lines[index] = ",".join(fields)
        data = text(lines).encode(encoding)
        path = folder / name
        if name.endswith(".gz"):
            path.write_bytes(gzip.compress(data))
        elif name.endswith(".parquet"):
            plain = folder / "plain.csv"
            plain.write_bytes(data)
            duckdb.sql(f"""copy (select * replace (
                cast(strptime("Departed Date", '%m/%d/%Y') as date) as "Departed Date",
                try_cast("Case Threat Level" as integer) as "Case Threat Level")
                from read_csv('{plain}', all_varchar = true)) to '{path}'""")
            plain.unlink()
        else:
            path.write_bytes(data)
        return path

    return write


REFUSED = [
    Case("empty_file", csv_file(""), ("{file}, line 1", "empty file")),
    Case("header_only", csv_file(HEADER + "\n"), ("{file}, line 2", "no data rows")),
    Case(
        "missing_required_column",
        csv_file(text([",".join(c for c in line.split(",")[:14]) for line in SAMPLE])),
        ("{file}, line 1, column 'removals_total'", "missing required column"),
    ),
    Case(
        "wrong_delimiter",
        csv_file(text([line.replace(",", ";") for line in SAMPLE])),
        ("{file}, line 1, column 'state'", "semicolon-delimited"),
    ),
    Case(
        "latin1_bytes_in_utf8_file",
        csv_file(
            text(SAMPLE).replace("Doña Ana", "Do\udcf1a Ana").encode("utf-8", "surrogateescape")
        ),
        ("{file}, line 66, column 'jurisdiction': not UTF-8 text (byte 0xf1 at byte",),
    ),
    Case(  # the decoder reads ahead of the parser: reported as line 1 before
        "non_utf8_byte_on_line_3",
        csv_file(text(with_row(1, latin1_e("jurisdiction"))).encode("utf-8", "surrogateescape")),
        ("{file}, line 3, column 'jurisdiction': not UTF-8 text (byte 0xe9 at byte",),
    ),
    Case(  # reported as line 288 before
        "non_utf8_byte_on_line_300",
        csv_file(text(with_row(298, latin1_e("jurisdiction"))).encode("utf-8", "surrogateescape")),
        ("{file}, line 300, column 'jurisdiction': not UTF-8 text (byte 0xe9 at byte",),
    ),
    Case(  # reported as "line 390: unexpected end of data" before
        "unbalanced_quote_on_line_3",
        csv_file(text(with_row(1, set_field("jurisdiction", '"Autauga County')))),
        (
            "{file}, line 3: not readable as CSV: a quote in the record starting on this line "
            "is never closed (the parser read to the end of the file, line 390",
        ),
    ),
    Case(
        "truncated_last_line",
        csv_file(text(SAMPLE)[:-30]),
        ("{file}, line 390", "expected 15 fields"),
    ),
    Case(
        "thousands_separator",
        csv_file(text(with_row(SUFFOLK_2012, set_field("submissions", '"68,230"')))),
        (
            "expect_column_values_to_match_regex on raw.interop_reports.submissions",
            "{file}:240",
            "submissions='68,230'",
        ),
    ),
    Case(
        "number_as_float",
        csv_file(text(with_row(SUFFOLK_2012, set_field("matches_l1", "709.0")))),
        ("raw.interop_reports.matches_l1", "{file}:240", "matches_l1='709.0'"),
    ),
    Case(
        "number_as_text",
        csv_file(text(with_row(SUFFOLK_2012, set_field("removals_l2", "n/a")))),
        ("raw.interop_reports.removals_l2", "{file}:240", "removals_l2='n/a'"),
    ),
    Case(
        "negative_count",
        csv_file(text(with_row(SUFFOLK_2012, set_field("removals_l1", "-219")))),
        (
            "expect_column_values_to_be_between on raw.interop_reports.removals_l1",
            "{file}:240",
            "removals_l1='-219'",
        ),
    ),
    Case(
        "total_disagrees_with_levels",
        csv_file(text(with_row(SUFFOLK_2012, set_field("matches_total", "4369")))),
        ("raw.interop_reports.matches_total (derived: matches_total__minus_levels)", "{file}:240"),
    ),
    Case(
        "duplicate_key",
        csv_file(text([*SAMPLE, ROWS[SUFFOLK_2012]])),
        (
            "expect_compound_columns_to_be_unique on raw.interop_reports."
            "state,jurisdiction,report_through",
            "{file}:240",
            "{file}:391",
        ),
    ),
    Case(
        "date_in_another_format",
        csv_file(text(with_row(SUFFOLK_2012, set_field("report_through", "09/30/2012")))),
        ("raw.interop_reports.report_through", "{file}:240", "report_through='09/30/2012'"),
    ),
    Case(
        "impossible_date",
        csv_file(text(with_row(SUFFOLK_2012, set_field("report_through", "2012-02-30")))),
        ("raw.interop_reports.report_through (derived: report_through__parsed)", "{file}:240"),
    ),
    Case(
        "report_before_activation",
        csv_file(text(with_row(SUFFOLK_2012, set_field("report_through", "2008-10-31")))),
        ("raw.interop_reports.days_since_activation", "{file}:240"),
    ),
    Case(
        "future_fiscal_year",
        csv_file(text(with_row(SUFFOLK_2012, set_field("report_through", "2031-09-30")))),
        (
            "raw.interop_reports.report_through (derived: report_through__days_after_today)",
            "{file}:240",
        ),
    ),
    Case(
        "two_spellings_of_one_jurisdiction_in_one_report",
        csv_file(text([*SAMPLE, ROWS[SUFFOLK_2012].replace("Suffolk County", "Suffolk Co.")])),
        (
            "interop_resolved_suite",
            "jurisdiction_id,report_through",
            "{file}:240",
            "{file}:391",
            "jurisdiction='Suffolk Co.'",
        ),
    ),
    Case(
        "gzip_file_named_csv",
        csv_file(gzip.compress(text(SAMPLE).encode())),
        ("{file}, line 1", "gzip-compressed"),
    ),
    Case("xlsx_workbook_named_csv", xlsx_named_csv, ("{file}, line 1", "ZIP archive")),
    Case(
        "population_missing_column",
        population_variant(lambda t: t.replace(",POPESTIMATE2015", "", 1)),
        ("{file}, line 1, column 'popestimate2015'",),
        source="population",
    ),
    Case(
        "population_negative",
        population_variant(lambda t: t.replace(",Suffolk County,322059,", ",Suffolk County,-5,")),
        ("raw.census_population.census2010pop", "{file}:54", "census2010pop='-5'"),
        source="population",
    ),
    Case(
        "noncitizen_malformed_fips",
        noncitizen_variant(lambda t: t.replace('"25025"', '"2525"', 1)),
        ("raw.acs_noncitizen.fips", "{file}:392", "fips='2525'"),
        source="noncitizen",
    ),
    # dates, counts and types at the door (issue 13): refused by the reader, one line
    Case(
        "activation_date_1899",
        csv_file(text(with_row(SUFFOLK_2012, set_field("activation_date", "1899-12-31")))),
        (
            "{file}, line 240, column 'activation_date': date '1899-12-31' is outside "
            "Secure Communities' years (2008-01-01 to 2035-09-30",
        ),
    ),
    Case(
        "report_through_1899",
        csv_file(text(with_row(SUFFOLK_2012, set_field("report_through", "1899-12-31")))),
        ("{file}, line 240, column 'report_through': date '1899-12-31' is outside",),
    ),
    Case(
        "count_of_2_to_the_70",
        csv_file(text(with_row(SUFFOLK_2012, set_field("matches_l1", str(2**70))))),
        (
            "{file}, line 240, column 'matches_l1': count '1180591620717411303424' does not "
            "fit its column's type (a 64-bit integer",
        ),
    ),
    Case(
        "nul_byte_after_64_kib",
        csv_file(text(past_64_kib(with_row(-1, set_field("jurisdiction", "Wayne\x00 County"))))),
        ("{file}, line 390", "contains a NUL byte"),
    ),
    Case(
        "utf16_with_byte_order_mark",
        csv_file(text(SAMPLE).encode("utf-16")),
        (
            "{file}, line 1",
            "is UTF-16 text (little-endian, with a byte order mark), not UTF-8; convert it to "
            "UTF-8 with e.g. `iconv -f UTF-16 -t UTF-8 reports.csv > reports-utf8.csv`",
        ),
    ),
    Case(
        "utf16_without_byte_order_mark",
        csv_file(text(SAMPLE).encode("utf-16-le")),
        ("{file}, line 1", "UTF-16 text (little-endian, without", "iconv -f UTF-16LE -t UTF-8"),
    ),
    Case(
        "population_count_of_2_to_the_70",
        population_variant(
            lambda t: t.replace(",Suffolk County,322059,", f",Suffolk County,{2**70},")
        ),
        ("{file}, line 54, column 'census2010pop': count '1180591620717411303424'",),
        source="population",
    ),
    Case(
        "noncitizen_year_1899",
        noncitizen_variant(lambda t: t.replace(',2009,"25025"', ',1899,"25025"', 1)),
        ("{file}, line 392, column 'year': year '1899' is outside the fiscal years",),
        source="noncitizen",
    ),
    Case(
        "activations_date_1899",
        activations_variant("date_secure", "1899-12-31"),
        (
            f"{{file}}, line {ACTIVATION_OBSERVATION}, column 'date_secure': date "
            "'1899-12-31' is outside Secure Communities' years",
        ),
        source="activations",
    ),
    Case(
        "case_event_date_1899",
        case_variant(1000, 0, "12/31/1899"),
        (
            "{file}, line 1001, column 'Departed Date': date '12/31/1899' is outside the "
            "fiscal years the warehouse accepts (FY2003 to FY2035",
        ),
        source="cases",
    ),
    Case(
        "case_nul_byte_after_64_kib",
        case_variant(1000, 2, "ISA\x00BELLA"),
        ("{file}, line 1001", "contains a NUL byte"),
        source="cases",
    ),
    Case(
        "case_nul_byte_inside_gzip",
        case_variant(1000, 2, "ISA\x00BELLA", "cases.csv.gz"),
        ("{file}, line 1001", "contains a NUL byte", "of its decompressed text"),
        source="cases",
    ),
    Case(  # DuckDB's sniffer dump ("CSV Error on Line: 5 …") before
        "case_latin1_byte_in_the_sniffed_rows",
        case_variant(4, 9, "MÉXICO", encoding="latin-1"),
        ("{file}, line 5, column 'Citizenship Country': not UTF-8 text (byte 0xc9 at byte",),
        source="cases",
    ),
    Case(  # a column no count reads: loaded as it was before, the raw view unreadable
        "case_latin1_byte_on_line_5001",
        whole_case_file_with(5001, b"MEXICO", b"M\xc9XICO"),
        ("{file}, line 5001, column 'Citizenship Country': not UTF-8 text (byte 0xc9 at byte",),
        source="cases",
    ),
    Case(
        "case_latin1_byte_inside_gzip",
        case_variant(1000, 9, "MÉXICO", "cases.csv.gz", encoding="latin-1"),
        (
            "{file}, line 1001, column 'Citizenship Country': not UTF-8 text (byte 0xc9 at byte",
            "of its decompressed text",
        ),
        source="cases",
    ),
    Case(  # DuckDB's sniffer read the header as one column: "missing required column(s)" before
        "case_unbalanced_quote_on_line_3",
        case_variant(2, 3, '"'),
        ("{file}, line 3: not readable as CSV", "unbalanced quote"),
        source="cases",
    ),
    Case(  # the sniffer's own error ("Error when sniffing file") before
        "case_unbalanced_quote_on_line_15001",
        whole_case_file_with(15001, b"ISABELLA,,3", b'ISABELLA,",3'),
        ("{file}, line 15001: not readable as CSV", "unbalanced quote"),
        source="cases",
    ),
    Case(
        "case_unbalanced_quote_inside_gzip",
        case_variant(2, 3, '"', "cases.csv.gz"),
        ("{file}, line 3: not readable as CSV", "unbalanced quote"),
        source="cases",
    ),
    Case(
        "case_utf16",
        case_variant(1, 2, "ISABELLA", "cases.csv", encoding="utf-16"),
        ("{file}, line 1", "UTF-16"),
        source="cases",
    ),
    Case(  # a column no count reads: only the counted ones were checked before
        "case_parquet_nul_in_a_column_no_count_reads",
        case_parquet_with_nul(1000, "MSC NCIC Charge"),
        ("{file}, row 1000, column 'MSC NCIC Charge': value 'DRUGS\\x00' contains a NUL byte",),
        source="cases",
    ),
    Case(
        "case_parquet_typed_date_out_of_range",
        case_variant(1000, 0, "12/31/1899", "cases.parquet"),
        ("{file}, row 1000, column 'Departed Date': date '1899-12-31' is outside",),
        source="cases",
    ),
    Case(
        "activations_not_stata",
        csv_file(b"county,year\n25025,2008\n", "activations.dta"),
        ("{file}", "not readable as a Stata .dta file"),
        source="activations",
    ),
]


@pytest.fixture
def seeded(sample_run, tmp_path):
    """A warehouse with an earlier good publication (the sample run's)."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(sample_run.serving, warehouse / "marts.duckdb")
    return warehouse


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", REFUSED, ids=[c.id for c in REFUSED])
def test_bad_input_is_refused_with_file_line_column_and_nothing_published(case, seeded, tmp_path):
    bad = case.write(tmp_path)
    before = sha256(seeded / "marts.duckdb")
    result = CliRunner().invoke(
        main,
        ["run", "--source", f"{case.source}={bad}", "--warehouse", str(seeded)],
        catch_exceptions=False,
    )
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 1, result.output
    for expected in case.expect:
        assert " ".join(expected.format(file=bad).split()) in output, result.output
    assert "Traceback" not in result.output and "Stack Trace" not in result.output
    assert "CSV Error" not in output and "Possible Solution" not in output  # DuckDB's dump
    assert "nothing was published" in output
    assert sha256(seeded / "marts.duckdb") == before


def parsed_like_the_sample(path: Path) -> None:
    sample = parse_interop_csv(SAMPLE_INTEROP).rows[list(INTEROP_COLUMNS)]
    got = parse_interop_csv(path).rows[list(INTEROP_COLUMNS)]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), sample.reset_index(drop=True))


def test_columns_in_another_order_read_the_same(tmp_path):
    frame = pd.read_csv(SAMPLE_INTEROP, dtype=str, keep_default_na=False)
    path = tmp_path / "reordered.csv"
    frame[list(reversed(frame.columns))].to_csv(path, index=False)
    parsed_like_the_sample(path)


def test_utf8_bom_and_windows_line_endings_read_the_same(tmp_path):
    path = tmp_path / "bom_crlf.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text(SAMPLE, end="\r\n").encode("utf-8"))
    parsed_like_the_sample(path)


def test_quoted_field_with_an_embedded_newline_is_one_value_on_its_start_line(tmp_path):
    lines = with_row(SUFFOLK_2012, set_field("jurisdiction", '"Suffolk\nCounty"'))
    path = tmp_path / "newline.csv"
    path.write_text(text(lines), encoding="utf-8")
    rows = parse_interop_csv(path).rows
    assert rows.loc[SUFFOLK_2012, "jurisdiction"] == "Suffolk\nCounty"
    assert rows.loc[SUFFOLK_2012, "_source_line"] == 240
    assert rows.loc[SUFFOLK_2012 + 1, "_source_line"] == 242  # the record took two lines
    assert len(rows) == len(ROWS)


def test_extra_unknown_column_is_accepted_kept_and_reported(seeded, tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text(
        text([HEADER + ",agency_ori"] + [r + ",MA0130100" for r in ROWS]), encoding="utf-8"
    )
    result = CliRunner().invoke(
        main,
        ["run", "--source", f"interop={path}", "--warehouse", str(seeded)],
        catch_exceptions=False,
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "extra column(s) ['agency_ori'] accepted and kept in _extra_columns" in output
    assert "interop rows: 389 read = 389 loaded + 0 quarantined" in output


def test_hundreds_of_megabytes_of_random_bytes_fail_fast_in_bounded_memory(seeded, tmp_path):
    path = tmp_path / "random.csv"
    with path.open("wb") as f:
        for _ in range(300):
            f.write(os.urandom(1 << 20))
    before = sha256(seeded / "marts.duckdb")
    started = time.monotonic()
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "scomm"),
            "run",
            "--source",
            f"interop={path}",
            "--warehouse",
            str(seeded),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    output = " ".join(proc.stdout.split())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{path}, line" in output and "NUL bytes" in output
    assert elapsed < 60, elapsed  # a whole run's start-up included; reading stops at 64 KiB
    assert peak_mb < 1500, peak_mb
    assert sha256(seeded / "marts.duckdb") == before


def test_a_step_error_with_terminal_colours_is_reported_as_plain_text():
    # dbt's log lines carry colour codes; a refusal quoting them must print as text
    class Error:
        def __init__(self, cls_name, message, cause=None):
            self.cls_name, self.message, self.cause = cls_name, message, cause

    dbt = Error(
        "DagsterDbtCliRuntimeError",
        "\x1b[31mDatabase Error in model stg_interop__reports\x1b[0m: Conversion Error",
    )
    wrapped = Error("DagsterExecutionStepExecutionError", "Error in step", dbt)
    assert root_cause(wrapped) == ("Database Error in model stg_interop__reports: Conversion Error")


G287_SAMPLE = REPO_ROOT / "data/sample/g287.csv"
FIGURES_HEADER = "scope,period_start,period_end,metric,value,note,source_url,source_kind"
FIGURE_ROW = "SC national cumulative,2008-10-27,2009-08-31,ident_matches,82890,,http://x/,primary"


@pytest.mark.parametrize(
    ("load", "content", "expected"),
    [
        (
            load_raw_g287,
            G287_SAMPLE.read_text(encoding="utf-8").replace(
                ",2006,2005-10-01,2006-09-30,", ",2006,1899-12-31,2006-09-30,", 1
            ),
            "line 2, column 'fy_start': date '1899-12-31' is outside the fiscal years the "
            "warehouse accepts (FY2003 to FY2035: 2002-10-01 to 2035-09-30",
        ),
        (
            load_raw_g287,
            G287_SAMPLE.read_text(encoding="utf-8").replace(
                "Maricopa Co. Sheriff,2006,", "Maricopa Co. Sheriff,1899,", 1
            ),
            "line 2, column 'fiscal_year': year '1899' is outside",
        ),
        (
            load_raw_figures,
            text([FIGURES_HEADER, FIGURE_ROW, FIGURE_ROW.replace("2009-08-31", "2999-08-31")]),
            "line 3, column 'period_end': date '2999-08-31' is outside",
        ),
        (
            load_raw_figures,
            text([FIGURES_HEADER, FIGURE_ROW.replace("82890", str(2**64))]),
            "line 2, column 'value': count '18446744073709551616' does not fit",
        ),
    ],
    ids=["g287_fy_start_1899", "g287_fiscal_year_1899", "figure_period_2999", "figure_2_to_64"],
)
def test_287g_and_figures_dates_and_counts_are_checked_by_the_reader(
    load, content, expected, tmp_path
):
    path = tmp_path / "input.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError) as refused:
        load(duckdb.connect(), path, "t")
    assert str(refused.value).startswith(f"{path}, {expected}")
    assert "\n" not in str(refused.value)
