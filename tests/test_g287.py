"""287(g) statistics: the reader (lossless text, blanks stay NULL, errors naming file, line and
column), the agency -> jurisdiction rules, and the synthetic sample through the whole run."""

import csv

import duckdb
import pytest

from orchestration.ingest.errors import InputFileError
from orchestration.ingest.g287 import (
    G287_COLUMNS,
    load_agency_overrides,
    load_raw_g287,
    parse_g287_csv,
    resolve_agency,
)
from orchestration.ingest.readers.text import sha256_of
from orchestration.paths import REPO_ROOT
from orchestration.sources.catalog import load_sources

pytestmark = pytest.mark.fast  # make test-fast

HEADER = ",".join(f'"{c}"' for c in G287_COLUMNS)
ROW = (
    '"ARIZONA","Maricopa County Sheriff Office","Maricopa Co. Sheriff",2009,2008-10-01,'
    '2009-09-30,{identified},{removed},TRUE,FALSE,33.4,-112.1,"550 W Jackson St, Phoenix, AZ",'
    '"Maricopa County Sheriff Office","ICE 287(g) statistics"'
)


def write(tmp_path, text, name="g287.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_values_stay_text_and_blank_is_null_not_zero(tmp_path):
    rows_text = [ROW.format(identified=12, removed=""), ROW.format(identified=0, removed=0)]
    path = write(tmp_path, "\n".join([HEADER, *rows_text]) + "\n")
    rows = parse_g287_csv(path).rows
    assert list(rows["identified"]) == ["12", "0"]
    assert rows.loc[0, "removed"] is None  # no figure in the release
    assert rows.loc[1, "removed"] == "0"
    assert list(rows["_source_line"]) == [2, 3]
    assert rows.loc[0, "address"] == "550 W Jackson St, Phoenix, AZ"


def test_load_writes_raw_text_with_file_sha256_and_line(tmp_path):
    path = write(tmp_path, f"{HEADER}\n{ROW.format(identified=12, removed=7)}\n")
    con = duckdb.connect()
    load_raw_g287(con, path, "run-1")
    load_raw_g287(con, path, "run-2")  # a rerun replaces, never duplicates
    row = con.execute(
        "select count(*), any_value(identified), any_value(typeof(identified)), "
        "any_value(_source_line), any_value(_source_file), any_value(length(_source_sha256)) "
        "from raw.g287_agency_years"
    ).fetchone()
    assert row == (1, "12", "VARCHAR", 2, str(path.resolve()), 64)


def test_missing_column_names_file_line_and_column(tmp_path):
    header = HEADER.replace('"removed",', "")
    path = write(tmp_path, f"{header}\n")
    with pytest.raises(InputFileError) as err:
        parse_g287_csv(path)
    assert (err.value.line, err.value.column) == (1, "removed")
    assert str(path) in str(err.value) and "'removed'" in str(err.value)


def test_row_with_a_missing_field_names_its_line(tmp_path):
    good = ROW.format(identified=1, removed=1)
    bad = good.rsplit(",", 1)[0]  # one field short
    path = write(tmp_path, f"{HEADER}\n{good}\n{bad}\n")
    with pytest.raises(InputFileError, match=r"line 3: expected 15 fields"):
        parse_g287_csv(path)


def test_the_source_is_declared_with_its_pinned_url_and_sha256():
    spec = load_sources()["g287"]
    assert spec.layout == "ice_287g_agency_year"
    assert spec.urls == [
        "https://github.com/deportationdata/ice-287g/raw/"
        "92556ed51e6084d8672c45611063fc2e2956160a/data/pre2018-ice-removals-long.csv"
    ]
    assert [f.sha256 for f in spec.files] == [
        "7cfe96bae5a0e0beda0e153db9c2209aa96d1f49a8e75b0140453577e91cf0c4"
    ]
    # the pinned sha256 is the reference copy's (when the mirror is here)
    reference = REPO_ROOT.parent / "shared" / "reference" / "pre2018-ice-removals-long.csv"
    if reference.is_file():
        assert spec.status_of(reference, sha256_of(reference)) == "real"
    assert spec.default_path == REPO_ROOT / "data" / "sample" / "g287.csv"


# --- agency -> jurisdiction -------------------------------------------------------------------


@pytest.fixture(scope="module")
def place():
    from orchestration.ingest.jurisdictions import load_overrides

    overrides = load_overrides()
    return lambda state, agency: resolve_agency(state, agency, overrides)


@pytest.mark.parametrize(
    ("state", "agency", "expected_id", "kind", "method"),
    [
        # sheriffs, county jails and corrections -> their county
        ("ARIZONA", "Maricopa County Sheriff Office", "04013", "county", "county agency"),
        ("TEXAS", "Harris County Sheriffs Office", "48201", "county", "county agency"),
        ("SOUTH CAROLINA", "Lexington County Sheriff Department", "45063", "county", "county"),
        ("NEW JERSEY", "Hudson County Department of Corrections", "34017", "county", "county"),
        ("VIRGINIA", "Prince William County Police Department", "51153", "county", "county"),
        # a trailing USPS code of the row's own state disambiguates, it is not part of the name
        ("ARKANSAS", "Washington County Sheriff Office AR", "05143", "county", "county"),
        ("UTAH", "Washington County Sheriff Office UT", "49053", "county", "county"),
        # state agencies -> <state fips>000
        ("ALABAMA", "AL Department of Public Safety", "01000", "state-level", "state agency"),
        ("ARIZONA", "AZ Department of Corrections", "04000", "state-level", "state agency"),
        ("MISSOURI", "MO State Highway Patrol", "29000", "state-level", "state agency"),
        ("RHODE ISLAND", "Rhode Island State Police", "44000", "state-level", "state agency"),
        ("NEW MEXICO", "NM Corrections Department", "35000", "state-level", "state agency"),
        ("TENNESSEE", "TN Department of Safety", "47000", "state-level", "state agency"),
        ("FLORIDA", "FL Department of Law Enforcement", "12000", "state-level", "state agency"),
        # a city that is itself a county equivalent (Virginia independent city)
        (
            "VIRGINIA",
            "City of Manassas Police Department",
            "51683",
            "independent city",
            "independent",
        ),
        # the overrides seed: cities inside counties, consolidated and metropolitan agencies
        ("FLORIDA", "Jacksonville Sheriff Office", "12031", "county", "agency override"),
        ("NEVADA", "Las Vegas Metropolitan Police Dept", "32003", "county", "agency override"),
        ("ARIZONA", "City of Phoenix Police Department", "04013", "county", "agency override"),
        ("VIRGINIA", "Herndon Police Department", "51059", "county", "agency override"),
        ("TEXAS", "Farmers Branch Police Dept.", "48113", "county", "agency override"),
        ("VIRGINIA", "Prince William-Manassas Adult Detention Center", "51153", "county", "agency"),
    ],
)
def test_agencies_are_placed_by_their_rule(place, state, agency, expected_id, kind, method):
    r = place(state, agency)
    assert (r.jurisdiction_id, r.kind, r.quarantine_reason) == (expected_id, kind, None)
    assert r.method.startswith(method)
    assert r.published_name == agency


def test_an_unpublished_star_and_case_do_not_change_the_placement(place):
    assert place("ARIZONA", "PIMA COUNTY SHERIFF OFFICE*").jurisdiction_id == "04019"


@pytest.mark.parametrize(
    ("state", "agency", "reason"),
    [
        # a city police department of a city inside a county is never guessed
        ("TEXAS", "Exampleville Police Department", "city police department of 'Exampleville'"),
        # a bare city name would resolve to the county of the same name: not used
        ("NORTH CAROLINA", "Raleigh Police Department", "add the county that contains it"),
        ("TEXAS", "Nowhere County Sheriff Office", "no Nowhere County in TX"),
        ("ARIZONA", "TX Department of Public Safety", "state agency named for 'tx'"),
        ("TEXAS", "Harris County Task Force", "not a recognized kind of agency"),
        ("ATLANTIS", "Maricopa County Sheriff Office", "unknown state 'ATLANTIS'"),
        ("TEXAS", " ", "agency name is blank"),
    ],
)
def test_agencies_no_rule_places_are_quarantined_with_a_reason(place, state, agency, reason):
    r = place(state, agency)
    assert r.jurisdiction_id is None
    assert reason in r.quarantine_reason


def test_durham_police_goes_to_durham_county_by_the_seed_not_by_the_bare_name(place):
    r = place("NORTH CAROLINA", "Durham Police Department")
    assert r.jurisdiction_id == "37063"
    assert "county of its city hall" in r.method


def test_agency_overrides_seed_is_checked_as_it_is_read(tmp_path):
    seed = tmp_path / "agency_overrides.csv"
    seed.write_text("state,agency,jurisdiction_id,rule,note\nAZ,Mesa PD,4013,city,\n")
    with pytest.raises(ValueError, match="line 2, column 'jurisdiction_id'"):
        load_agency_overrides(seed)
    seed.write_text("state,agency,jurisdiction_id,rule,note\nTX,Mesa PD,04013,city,\n")
    with pytest.raises(ValueError, match="column 'state'.*not the state of 04013"):
        load_agency_overrides(seed)
    seed.write_text("state,agency,jurisdiction_id,rule,note\nAZ,Mesa PD,04013,,\n")
    with pytest.raises(ValueError, match="column 'rule'"):
        load_agency_overrides(seed)


def test_every_seed_row_is_an_agency_no_general_rule_places():
    """The seed stays small: a row a general rule would place the same way is noise."""
    from orchestration.ingest.g287 import place_agency
    from orchestration.ingest.jurisdictions import load_overrides

    seed = load_agency_overrides()
    assert 0 < len(seed) <= 20
    without_seed = {name: place_agency(state, name, {}, load_overrides()) for (state, name) in seed}
    assert all(r.jurisdiction_id is None for r in without_seed.values()), without_seed


# --- the synthetic sample through the whole run ----------------------------------------------


def test_sample_run_places_agencies_and_quarantines_the_unresolvable_one(sample_run):
    assert sample_run.report.success
    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        quarantined = con.execute(
            "select published_state, published_agency, agency_years, quarantine_reason "
            "from qa_287g_quarantined_agencies"
        ).fetchall()
        assert [q[:3] for q in quarantined] == [("TEXAS", "Exampleville Police Department", 8)]
        assert "agency overrides seed" in quarantined[0][3]
        # Mesa PD (seed) and the Maricopa sheriff share Maricopa County: sums over the
        # agencies with a figure; NULL (not 0) when neither had one (FY2006)
        maricopa = {
            r[0]: r[1:]
            for r in con.execute(
                "select fiscal_year, identified, removed, agencies, agencies_with_figures "
                "from mart_287g_jurisdiction_year where jurisdiction_id = '04013'"
            ).fetchall()
        }
    sample = list(csv.DictReader((REPO_ROOT / "data" / "sample" / "g287.csv").open()))

    def figure(agency, year, column):
        (row,) = [r for r in sample if r["agency"] == agency and r["fiscal_year"] == str(year)]
        return int(row[column]) if row[column] else None

    sheriff, mesa = "Maricopa County Sheriff Office", "City of Mesa Police Department"
    assert maricopa[2006] == (None, None, 2, 0)
    assert figure(mesa, 2012, "identified") is None  # blank in the sample
    assert maricopa[2012] == (
        figure(sheriff, 2012, "identified"),
        figure(sheriff, 2012, "removed"),
        2,
        1,
    )
    assert maricopa[2010][0] == figure(sheriff, 2010, "identified") + figure(
        mesa, 2010, "identified"
    )
    warnings = {n for n, _, blocking in sample_run.report.checks_failed if not blocking}
    assert "all_287g_agencies_placed" in warnings


# --- the GX suite on the raw table -------------------------------------------------------------


def test_raw_suite_passes_clean_rows_and_names_each_bad_value(tmp_path):
    from orchestration.defs.checks.raw import G287_FRAME_SQL
    from orchestration.validation.worker import run_suite

    good = [ROW.format(identified=12, removed=""), ROW.format(identified=0, removed=0)]
    good[1] = good[1].replace(",2009,2008-10-01,2009-09-30,", ",2010,2009-10-01,2010-09-30,")
    bad = [
        ROW.format(identified=-3, removed=1.5),  # negative, not whole; the FY2009 row again
        ROW.format(identified=1, removed=1)  # a year outside the release, no such state
        .replace(",2009,2008-10-01,2009-09-30,", ",2015,2014-10-01,2009-09-30,")
        .replace('"ARIZONA"', '"ARIZONIA"'),
    ]
    path = write(tmp_path, "\n".join([HEADER, *good, *bad]) + "\n")
    with duckdb.connect(str(tmp_path / "b.duckdb")) as con:
        load_raw_g287(con, path, "test")
        frame = con.execute(G287_FRAME_SQL).df()
    assert run_suite(frame.iloc[:2], "g287_raw", "raw.g287_agency_years").success
    outcome = run_suite(frame, "g287_raw", "raw.g287_agency_years")
    failed = {(o.expectation, o.column) for o in outcome.failures}
    assert {c.split(" ")[0] for _, c in failed} == {
        "identified",
        "removed",
        "fiscal_year",
        "fy_end",
        "state",
        "state,agency,fiscal_year",
    }
    assert outcome.blocking
    assert f"{path.resolve()}:4" in outcome.message()  # file:line of the offending row
