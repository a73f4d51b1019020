"""The real public files in ../shared/reference (present in CI): one run on them, and facts
checked from the files themselves."""

import csv

import duckdb
import pytest

from orchestration.runner import execute
from tests.conftest import REFERENCE_DIR

pytestmark = pytest.mark.skipif(
    not REFERENCE_DIR.is_dir(), reason=f"{REFERENCE_DIR} (the real reference files) is absent"
)


@pytest.fixture(scope="module")
def real_run(dbt_manifest, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("real_warehouse")
    report = execute(
        warehouse,
        {
            "population": REFERENCE_DIR / "co-est2019-alldata.csv",
            "noncitizen": REFERENCE_DIR / "acs_noncitizen_pop_county.csv",
            "activations": REFERENCE_DIR / "securecommunities.dta",
            "cases": [
                REFERENCE_DIR / "arrests_with_state.csv",
                REFERENCE_DIR / "bookins_with_state.csv",
            ],
        },
    )
    assert report.success, (report.step_errors, report.checks_failed)
    con = duckdb.connect(str(warehouse / "marts.duckdb"), read_only=True)
    yield report, con
    con.close()


def census_counties() -> dict[str, str]:
    with (REFERENCE_DIR / "co-est2019-alldata.csv").open(encoding="latin-1", newline="") as f:
        return {
            r["STATE"] + r["COUNTY"]: r["CTYNAME"]
            for r in csv.DictReader(f)
            if r["SUMLEV"] == "050"
        }


def test_every_census_county_appears_once_with_its_name_intact(real_run):
    _, con = real_run
    counties = census_counties()
    rows = dict(
        con.execute(
            "select jurisdiction_id, name from dim_jurisdiction where in_population_source"
        ).fetchall()
    )
    assert rows == counties
    assert len(counties) == 3142
    assert rows["35013"] == "Doña Ana County"
    non_ascii = {k: v for k, v in counties.items() if not v.isascii()}
    assert non_ascii and all(rows[k] == v for k, v in non_ascii.items())


def test_rollout_spans_the_whole_program_and_ends_at_full_coverage(real_run):
    _, con = real_run
    first = con.execute(
        "select activation_date::varchar, counties_activated from mart_rollout "
        "order by activation_date limit 1"
    ).fetchone()
    assert first == ("2008-10-27", 1)  # Harris County, TX
    assert con.execute(
        "select jurisdiction_id from dim_jurisdiction where activation_date = '2008-10-27'"
    ).fetchall() == [("48201",)]
    last = con.execute(
        "select activation_date::varchar, counties_activated, counties_total, "
        "states_fully_activated, states_total, population_share_covered "
        "from mart_rollout order by activation_date desc limit 1"
    ).fetchone()
    assert last == ("2013-01-22", 3142, 3142, 51, 51, 1.0)
    # cumulative columns never go down
    assert con.execute("""
        select count(*) from (
          select counties_activated - lag(counties_activated) over (order by activation_date) d,
                 population_share_covered
                   - lag(population_share_covered) over (order by activation_date) p
          from mart_rollout) where d < 0 or p < 0""").fetchone() == (0,)


def test_retired_panel_codes_reach_their_successors(real_run):
    _, con = real_run
    rows = dict(
        con.execute(
            "select jurisdiction_id, panel_county_codes from dim_jurisdiction "
            "where jurisdiction_id in ('46102', '02158', '12086')"
        ).fetchall()
    )
    assert rows == {"46102": "46113", "02158": "02270", "12086": "12025 | 12086"}


def test_unknown_panel_code_is_a_warning_not_a_blocker(real_run):
    report, _ = real_run
    warnings = {name: text for name, text, blocking in report.checks_failed if not blocking}
    assert "41006" in warnings["sc_activation_counties_known"]
    assert not [n for n, _, blocking in report.checks_failed if blocking]


def test_noncitizen_rates_use_the_real_acs(real_run):
    _, con = real_run
    with (REFERENCE_DIR / "acs_noncitizen_pop_county.csv").open(newline="") as f:
        acs = {(r["fips"], r["year"]): r["noncit_pop"] for r in csv.DictReader(f)}
    row = con.execute(
        "select noncitizen_population, removals_total, "
        "removals_per_100k_noncitizens from mart_jurisdiction_year "
        "where jurisdiction_id = '25025' and fiscal_year = 2012"
    ).fetchone()
    assert row[0] == int(acs[("25025", "2012")])
    assert row[2] == pytest.approx(row[1] * 100_000 / row[0])


def _fiscal_year(iso: str) -> int:
    year, month = int(iso[:4]), int(iso[5:7])
    return year + 1 if month >= 10 else year


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_case_event_state_mart_matches_the_arrest_and_bookin_files(real_run):
    _, con = real_run
    arrests, bookins = _rows("arrests_with_state.csv"), _rows("bookins_with_state.csv")
    assert (len(arrests), len(bookins)) == (32549, 36811)
    # every event is in the state mart, by state as published (AMBIGUOUS, OTHER, NA kept)
    expected: dict[tuple, int] = {}
    for kind, rows, date, method in (
        ("arrest", arrests, "arrest_date", "arrest_method"),
        ("book-in", bookins, "book_in_date", "apprehension_method"),
    ):
        for r in rows:
            key = (r["state"], _fiscal_year(r[date]), kind, r[method])
            expected[key] = expected.get(key, 0) + 1
    got = {
        tuple(k): n
        for *k, n in con.execute(
            "select state, fiscal_year, event_kind, method, events from mart_case_events_state_year"
        ).fetchall()
    }
    assert got == expected
    # arrests from county jails (CAP Local Incarceration), WA, FY2017, with severity counts
    local = [
        r
        for r in arrests
        if r["state"] == "WA"
        and r["arrest_method"] == "CAP Local Incarceration"
        and _fiscal_year(r["arrest_date"]) == 2017
    ]
    no_conviction = sum(r["most_serious_conviction"] == "NA" for r in local)
    row = con.execute("""
        select events, no_conviction_recorded, no_conviction_share, no_conviction_share_low,
               no_conviction_share_high, events_serious + events_other + events_minor,
               convictions_recorded
        from mart_case_events_state_year
        where state = 'WA' and fiscal_year = 2017 and event_kind = 'arrest'
          and method = 'CAP Local Incarceration'""").fetchone()
    assert row[0] == len(local) == 1137 and row[1] == no_conviction
    assert row[2] == pytest.approx(no_conviction / len(local))
    assert row[3] < row[2] < row[4] and row[5] + row[1] == len(local) and row[6] is True


def test_years_without_recorded_convictions_are_unknown_not_no_conviction(real_run):
    report, con = real_run
    # FY2012-2014: every conviction NA in both files (not recorded then), checked from the file
    arrests = _rows("arrests_with_state.csv")
    for fy in (2012, 2013, 2014):
        assert all(
            r["most_serious_conviction"] == "NA"
            for r in arrests
            if _fiscal_year(r["arrest_date"]) == fy
        )
    assert con.execute("""
        select fiscal_year, event_kind from qa_case_conviction_coverage
        where not convictions_recorded order by 1, 2""").fetchall() == [
        (fy, kind) for fy in (2012, 2013, 2014) for kind in ("arrest", "book-in")
    ]
    nulls = con.execute("""
        select count(*), count(no_conviction_share), count(no_conviction_recorded),
               count(minor_share_low)
        from mart_case_events_state_year where fiscal_year between 2012 and 2014""").fetchone()
    assert nulls[0] > 0 and nulls[1:] == (0, 0, 0)
    warnings = {name: text for name, text, blocking in report.checks_failed if not blocking}
    assert "uwchr_ero_arrests FY2013" in warnings["case_convictions_recorded"]


def test_case_event_county_mart_places_jails_in_their_county(real_run):
    _, con = real_run
    arrests = _rows("arrests_with_state.csv")
    franklin = sum(
        r["apprehension_landmark"] == "FRANKLIN COUNTY JAIL" and r["state"] == "WA" for r in arrests
    )
    multnomah = sum(
        r["apprehension_landmark"] == "MULTNOMAH COUNTY JAILS (INVERNESS & MCDC)" for r in arrests
    )
    got = dict(
        con.execute("""
            select jurisdiction_id, sum(events) from mart_case_events_county_year
            where event_kind = 'arrest' and jurisdiction_id in ('53021', '41051')
            group by 1""").fetchall()
    )
    # Franklin County WA has no other jail landmark; Multnomah also gets its sheriff's jails
    assert got["53021"] == franklin == 1478
    assert got["41051"] >= multnomah == 1006
    # offices, operations and non-custodial arrests are counted at state level, not dropped
    county, state_level, total = con.execute("""
        select sum(events_in_county), sum(events_state_level), sum(events)
        from mart_case_events_state_year where event_kind = 'arrest'""").fetchone()
    assert county + state_level == total == len(arrests)
    assert (
        county
        == con.execute(
            "select sum(events) from mart_case_events_county_year where event_kind = 'arrest'"
        ).fetchone()[0]
    )
    sea = sum(r["apprehension_landmark"] == "SEA CAP" for r in arrests)
    assert con.execute(
        "select place_class, records from qa_case_places "
        "where published_place = 'SEA CAP' and published_state = 'WA'"
    ).fetchone() == ("office or operation", sea)
