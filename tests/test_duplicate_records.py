"""Duplicate case records are refused before anything is staged (issue 23, item 1): the same file
given twice, the same bytes under another name, overlapping files and a record identifier twice in
one file. Each is driven through the `scomm` command on real files; each run exits 1 with one
line naming the file (and line and column where there is one) and the identifiers, prints no
traceback, stages nothing as the next completeness baseline and leaves the published file byte
for byte as it was. Blank and redacted identifiers are not compared."""

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.cases.scan import load_raw_cases
from orchestration.paths import SAMPLE_CASES

SCOMM = str(Path(sys.executable).parent / "scomm")
LINES = SAMPLE_CASES.read_text(encoding="utf-8").splitlines(keepends=True)
HEADER, ROWS = LINES[0], LINES[1:]  # ROWS[i] is the record of identifier U{i:010d}, line i + 2


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def seeded(sample_run, tmp_path) -> Path:
    """A warehouse holding an earlier good publication (the sample run's)."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(sample_run.serving, warehouse / "marts.duckdb")
    return warehouse


def refused_run(warehouse: Path, *files: Path) -> str:
    """`scomm run` with ``files`` as the case files: it must exit 1, print no traceback and
    leave the published file and the completeness baseline as they were. Its output, one
    line per message."""
    before = sha256(warehouse / "marts.duckdb")
    sources = [a for f in files for a in ("--source", f"cases={f}")]
    proc = subprocess.run(
        [SCOMM, "run", *sources, "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = " ".join(proc.stdout.split())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert sha256(warehouse / "marts.duckdb") == before
    with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
        staged = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name in ('cases_load_counts', 'cases_load_files')"
        ).fetchone()
    assert staged == (0,), "a refused load was staged"
    return output


def test_the_same_case_file_given_twice_is_refused(seeded):
    output = refused_run(seeded, SAMPLE_CASES, SAMPLE_CASES)
    assert f"{SAMPLE_CASES}: given twice as a case file of this load" in output


def test_a_copy_of_a_case_file_under_another_name_is_refused(seeded, tmp_path):
    copy = tmp_path / "cases-copy.csv"
    shutil.copy(SAMPLE_CASES, copy)
    output = refused_run(seeded, SAMPLE_CASES, copy)
    assert f"{copy}: the same content as {SAMPLE_CASES} (sha256 {sha256(copy)[:16]}" in output


def test_overlapping_case_files_are_refused_naming_both_files_and_identifiers(seeded, tmp_path):
    # records 2001-3000 are in both files (identifiers U0000002000 .. U0000002999)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(HEADER + "".join(ROWS[:3000]), encoding="utf-8")
    second.write_text(HEADER + "".join(ROWS[2000:]), encoding="utf-8")
    output = refused_run(seeded, first, second)
    found = re.search(
        rf"{re.escape(str(second))}, line (\d+), column 'Unique Identifier': record "
        rf"'(U\d+)' appears 2 times in this load \(first: {re.escape(str(first))}, line (\d+)\); "
        r"1,000 identifier\(s\) appear more than once, 1,000 extra record\(s\)",
        output,
    )
    assert found, output
    line, record, first_line = int(found[1]), found[2], int(found[3])
    # the lines named hold that record, in each file
    assert second.read_text().splitlines()[line - 1].split(",")[8] == record
    assert first.read_text().splitlines()[first_line - 1].split(",")[8] == record
    assert f"in {first}, {second})" in output


def test_a_record_identifier_twice_in_one_file_is_refused_at_its_line(seeded, tmp_path):
    repeated = tmp_path / "repeated.csv"
    repeated.write_text(HEADER + "".join(ROWS[:49]) + ROWS[6] + "".join(ROWS[49:100]))
    output = refused_run(seeded, repeated)
    assert (
        f"{repeated}, line 51, column 'Unique Identifier': record 'U0000000006' appears 2 "
        f"times in this load (first: {repeated}, line 8); 1 identifier(s) appear more than "
        "once, 1 extra record(s)"
    ) in output


def test_blank_and_redacted_identifiers_are_not_compared(tmp_path):
    # a release that withholds every identifier repeats the same marker on every row
    withheld = tmp_path / "withheld.csv"
    marked = [re.sub(r",U\d{10},", ",(b)(7)e),", row) for row in ROWS[:100]]
    blank = [re.sub(r",U\d{10},", ",,", row) for row in ROWS[100:200]]
    withheld.write_text(HEADER + "".join(marked + blank), encoding="utf-8")
    assert load_raw_cases(duckdb.connect(), [withheld], "load") == 200
