"""The reference layouts on small fixture files written here in their published layouts."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from orchestration.defs.checks.raw import ACTIVATION_FRAME_SQL
from orchestration.ingest.errors import InputFileError
from orchestration.ingest.reference import (
    load_raw_activations,
    load_raw_noncitizen,
    load_raw_population,
    read_activation_panel,
)
from orchestration.validation.worker import run_suite

pytestmark = pytest.mark.fast  # make test-fast

POP_HEADER = (
    "SUMLEV,REGION,DIVISION,STATE,COUNTY,STNAME,CTYNAME,CENSUS2010POP,ESTIMATESBASE2010,"
    + ",".join(f"POPESTIMATE{y}" for y in range(2010, 2020))
    + ",NPOPCHG_2010\r\n"
)


def pop_row(sumlev, state, county, stname, name, base):
    values = ",".join(str(base + i) for i in range(10))
    return f"{sumlev},4,8,{state},{county},{stname},{name},{base},{base},{values},7\r\n"


def write_population(path, rows, encoding="latin-1"):
    path.write_bytes((POP_HEADER + "".join(rows)).encode(encoding))
    return path


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "b.duckdb"))
    yield c
    c.close()


def test_population_latin1_name_survives_and_utf8_copy_reads_the_same(tmp_path, con):
    rows = [
        pop_row("040", "35", "000", "New Mexico", "New Mexico", 2059179),
        pop_row("050", "35", "013", "New Mexico", "Doña Ana County", 209233),
    ]
    latin = write_population(tmp_path / "latin.csv", rows)
    assert b"Do\xf1a Ana" in latin.read_bytes()
    load_raw_population(con, latin, "t")
    assert con.execute(
        "select ctyname from raw.census_population where county = '013'"
    ).fetchone() == ("Doña Ana County",)
    utf8 = write_population(tmp_path / "utf8.csv", rows, encoding="utf-8")
    load_raw_population(con, utf8, "t")
    assert con.execute(
        "select ctyname, popestimate2019, _source_line from raw.census_population "
        "where county = '013'"
    ).fetchone() == ("Doña Ana County", "209242", 3)


def test_population_missing_estimate_column_is_named(tmp_path, con):
    path = tmp_path / "p.csv"
    path.write_text(POP_HEADER.replace(",POPESTIMATE2015", ""), encoding="latin-1")
    with pytest.raises(InputFileError, match=r"line 1, column 'popestimate2015'"):
        load_raw_population(con, path, "t")


def population_suite(con, tmp_path, rows):
    from orchestration.defs.checks.raw import POPULATION_COUNTS
    from orchestration.ingest.reference import known_county_fips

    load_raw_population(con, write_population(tmp_path / "p.csv", rows), "t")
    casts = ", ".join(f"try_cast({c} as bigint) as {c}__int" for c in POPULATION_COUNTS)
    frame = con.execute(f"select *, {casts} from raw.census_population").df()
    frame["fips_known"] = [
        s == "040" or f"{a}{b}" in known_county_fips()
        for s, a, b in zip(frame.sumlev, frame.state, frame.county, strict=True)
    ]
    return run_suite(frame, "census_population_raw", "raw.census_population")


def test_population_suite_passes_real_shapes_and_catches_bad_rows(tmp_path, con):
    good = [
        pop_row("040", "25", "000", "Massachusetts", "Massachusetts", 6547629),
        pop_row("050", "25", "025", "Massachusetts", "Suffolk County", 722023),
    ]
    assert population_suite(con, tmp_path, good).success
    bad = good + [
        pop_row("050", "25", "999", "Massachusetts", "Nowhere County", 5),
        pop_row("050", "25", "025", "Massachusetts", "Suffolk County", 722023),
        pop_row("050", "25", "27", "Massachusetts", "Worcester County", -3),
    ]
    failed = {(o.expectation, o.column) for o in population_suite(con, tmp_path, bad).failures}
    assert ("expect_column_values_to_be_in_set", "fips_known") in failed
    assert ("expect_compound_columns_to_be_unique", "state,county") in failed
    assert ("expect_column_values_to_match_regex", "county") in failed
    assert ("expect_column_values_to_match_regex", "census2010pop") in failed


def test_noncitizen_na_is_not_published_and_margin_is_kept(tmp_path, con):
    path = tmp_path / "acs.csv"
    path.write_text(
        '"","year","fips","noncit_pop","moe"\n"1",2012,"25025",13972,764\n"2",2012,"72001",NA,NA\n',
        encoding="utf-8",
    )
    load_raw_noncitizen(con, path, "t")
    assert con.execute(
        "select fips, year, noncit_pop, moe from raw.acs_noncitizen order by 1"
    ).fetchall() == [("25025", "2012", "13972", "764"), ("72001", "2012", None, None)]


def write_panel(path, rows):
    frame = pd.DataFrame(
        rows, columns=["statefips", "county", "year", "date_secure", "date_statewide_secure"]
    )
    frame["statefips"] = frame["statefips"].astype("int8")
    frame["county"] = frame["county"].astype("int32")
    frame["year"] = frame["year"].astype("float32")
    for c in ("date_secure", "date_statewide_secure"):
        frame[c] = pd.to_datetime(frame[c])
    frame.to_stata(
        path,
        write_index=False,
        version=118,
        convert_dates={"date_secure": "td", "date_statewide_secure": "td"},
    )
    return path


def test_activation_panel_keeps_missing_before_activation_and_pads_fips(tmp_path, con):
    path = write_panel(
        tmp_path / "sc.dta",
        [
            (25, 25025, 2007, None, None),
            (25, 25025, 2008, "2008-11-05", "2012-05-15"),
            (25, 25025, 2009, "2008-11-05", "2012-05-15"),
            (2, 2270, 2012, "2012-04-10", "2012-04-10"),
        ],
    )
    load_raw_activations(con, path, "t")
    rows = con.execute(ACTIVATION_FRAME_SQL).fetchall()
    cols = [d[0] for d in con.description]
    first = dict(zip(cols, rows[0], strict=True))
    assert first["jurisdiction_id"] == "25025" and first["date_secure"] is None
    assert first["_source_line"] == 1 and first["state_matches_county"] is True
    alaska = dict(zip(cols, rows[3], strict=True))
    assert alaska["jurisdiction_id"] == "02270" and alaska["date_secure"] == dt.date(2012, 4, 10)


def test_activation_panel_that_is_not_stata_is_refused(tmp_path):
    path = tmp_path / "sc.dta"
    path.write_bytes(b"county,year\n25025,2008\n")
    with pytest.raises(InputFileError, match="not readable as a Stata .dta file"):
        read_activation_panel(path)


def test_activation_suite_catches_a_county_outside_its_state_and_a_date_outside_rollout(
    tmp_path, con
):
    path = write_panel(
        tmp_path / "sc.dta",
        [
            (25, 25025, 2009, "2008-11-05", "2012-05-15"),
            (48, 25027, 2009, "2008-11-05", "2012-05-15"),
            (48, 48201, 2009, "2019-01-01", "2012-05-15"),
        ],
    )
    load_raw_activations(con, path, "t")
    frame = con.execute(ACTIVATION_FRAME_SQL).df()
    failed = {
        o.column
        for o in run_suite(frame, "sc_activation_panel_raw", "raw.sc_activation_panel").failures
    }
    assert failed == {"state_matches_county", "date_secure (derived: date_secure__year)"}
