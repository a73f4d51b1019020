"""Parsing the canonical CSV: lossless text, line numbers, and clear errors for non-layouts."""

import duckdb
import pytest

from orchestration.ingest.errors import InputFileError
from orchestration.ingest.interop import INTEROP_COLUMNS, load_raw_interop, parse_interop_csv

pytestmark = pytest.mark.fast  # make test-fast

HEADER = ",".join(INTEROP_COLUMNS)
ROW = "MA,Suffolk County,2008-11-05,2009-09-30,14042,128,121,267,382,898,52,19,68,41,180"


def write(tmp_path, text, name="in.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_values_stay_text_blank_is_null_and_lines_are_kept(tmp_path):
    loving = "TX,Loving County,2009-06-16,2009-09-30,5,,,,,0,0,0,0,0,0"
    path = write(tmp_path, f"{HEADER}\n{ROW}\n\n{loving}\n")
    parsed = parse_interop_csv(path)
    rows = parsed.rows
    assert list(rows["jurisdiction"]) == ["Suffolk County", "Loving County"]
    assert list(rows["_source_line"]) == [2, 4]  # the blank line 3 is skipped, not renumbered
    assert rows.loc[0, "submissions"] == "14042"
    assert rows.loc[1, "matches_l1"] is None  # blank = not reported, not 0


def test_utf8_bom_and_windows_line_endings_are_read(tmp_path):
    path = write(tmp_path, "\ufeff" + f"{HEADER}\r\n{ROW}\r\n")
    rows = parse_interop_csv(path).rows
    assert rows.loc[0, "state"] == "MA" and rows.loc[0, "removals_total"] == "180"


def test_columns_in_another_order_and_extra_columns_are_accepted(tmp_path):
    cols = list(reversed(INTEROP_COLUMNS)) + ["agency_ori"]
    values = list(reversed(ROW.split(","))) + ["MA0130100"]
    path = write(tmp_path, ",".join(cols) + "\n" + ",".join(values) + "\n")
    parsed = parse_interop_csv(path)
    assert parsed.extra_columns == ("agency_ori",)
    assert parsed.rows.loc[0, "jurisdiction"] == "Suffolk County"
    assert parsed.rows.loc[0, "_extra_columns"] == '{"agency_ori": "MA0130100"}'


def test_missing_column_names_file_line_and_column(tmp_path):
    header = HEADER.replace(",removals_nc", "")
    path = write(tmp_path, header + "\n")
    with pytest.raises(InputFileError) as err:
        parse_interop_csv(path)
    assert str(path) in str(err.value)
    assert "line 1" in str(err.value) and "'removals_nc'" in str(err.value)


def test_row_with_wrong_field_count_names_its_line(tmp_path):
    path = write(tmp_path, f"{HEADER}\n{ROW}\n{ROW},extra\n")
    with pytest.raises(InputFileError, match=r"line 3: expected 15 fields"):
        parse_interop_csv(path)


def test_latin1_bytes_are_refused_with_the_line(tmp_path):
    path = write(
        tmp_path,
        f"{HEADER}\n{ROW}\n" + ROW.replace("Suffolk County", "Doña Ana County"),
        encoding="latin-1",
    )
    with pytest.raises(InputFileError, match="not UTF-8"):
        parse_interop_csv(path)


def test_empty_and_header_only_files_are_refused(tmp_path):
    with pytest.raises(InputFileError, match="empty file"):
        parse_interop_csv(write(tmp_path, "", "empty.csv"))
    with pytest.raises(InputFileError, match="no data rows"):
        parse_interop_csv(write(tmp_path, HEADER + "\n", "header.csv"))


def test_load_replaces_raw_rows_so_a_rerun_never_duplicates(tmp_path):
    path = write(tmp_path, f"{HEADER}\n{ROW}\n")
    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    load_raw_interop(con, path, "run-1")
    load_raw_interop(con, path, "run-2")
    rows = con.execute(
        "select count(*), any_value(_load_id), any_value(_source_sha256), any_value(_source_line)"
        " from raw.interop_reports"
    ).fetchone()
    assert rows[0] == 1 and rows[1] == "run-2" and len(rows[2]) == 64 and rows[3] == 2


def test_a_transaction_commits_rolls_back_and_keeps_the_cause_when_rollback_fails(tmp_path):
    from orchestration.ingest.raw_tables import transaction

    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    con.execute("create table t (x integer)")
    with transaction(con):
        con.execute("insert into t values (1)")
    with pytest.raises(ValueError, match="mid-block"), transaction(con):
        con.execute("insert into t values (2)")
        raise ValueError("mid-block")
    assert con.execute("select list(x) from t").fetchone() == ([1],)
    # the transaction already ended when the error comes (as after DuckDB's fatal error): the
    # rollback fails, and the error raised is still the cause, not "no transaction is active"
    with pytest.raises(ValueError, match="the cause"), transaction(con):
        con.execute("commit")
        raise ValueError("the cause")
    con.close()
