"""The real public files in ../shared/reference (present in CI): one run on them, and facts
checked from the files themselves."""

import csv
from collections import defaultdict

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
            "g287": REFERENCE_DIR / "pre2018-ice-removals-long.csv",
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


# --- 287(g) statistics: the mart against counts computed here from the raw CSV ---------------


def g287_rows() -> list[dict[str, str]]:
    with (REFERENCE_DIR / "pre2018-ice-removals-long.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def summed(rows: list[dict[str, str]], column: str) -> int | None:
    """Sum of the figures given; None (NULL) when none of the rows has one: blank is not 0."""
    given = [int(r[column]) for r in rows if r[column] != ""]
    return sum(given) if given else None


def test_287g_every_agency_is_placed_or_quarantined_none_dropped(real_run):
    _, con = real_run
    rows = g287_rows()
    agencies = {(r["state"], r["agency"]) for r in rows}
    assert (len(rows), len(agencies)) == (584, 73)
    placed = con.execute(
        "select fiscal_year, sum(agencies) from mart_287g_jurisdiction_year group by 1"
    ).fetchall()
    quarantined = con.execute(
        "select count(*), coalesce(sum(agency_years), 0) from qa_287g_quarantined_agencies"
    ).fetchone()
    assert sum(n for _, n in placed) + quarantined[1] == len(rows)
    # on the real file every agency is placed (the agency rules and the overrides seed)
    assert quarantined == (0, 0)
    assert dict(placed) == {fy: 73 for fy in range(2006, 2014)}


def test_287g_yearly_totals_match_the_raw_csv(real_run):
    _, con = real_run
    by_year: dict[int, list[dict[str, str]]] = defaultdict(list)
    for r in g287_rows():
        by_year[int(r["fiscal_year"])].append(r)
    expected = {fy: (summed(rs, "identified"), summed(rs, "removed")) for fy, rs in by_year.items()}
    got = {
        fy: (int(i), int(r))
        for fy, i, r in con.execute(
            "select fiscal_year, sum(identified), sum(removed) "
            "from mart_287g_jurisdiction_year group by 1"
        ).fetchall()
    }
    assert got == expected
    assert expected[2009] == (60223, 42487)  # the program's peak year


def test_287g_maricopa_sums_its_three_agencies_and_harris_its_sheriff(real_run):
    _, con = real_run
    rows = g287_rows()
    counties = {
        "04013": {
            "Maricopa County Sheriff Office",
            "City of Mesa Police Department",
            "City of Phoenix Police Department",
        },
        "48201": {"Harris County Sheriffs Office"},
    }
    for fips, names in counties.items():
        mine = [r for r in rows if r["agency"] in names]
        expected = {
            fy: (
                summed([r for r in mine if r["fiscal_year"] == str(fy)], "identified"),
                summed([r for r in mine if r["fiscal_year"] == str(fy)], "removed"),
                len(names),
            )
            for fy in range(2006, 2014)
        }
        got = {
            r[0]: r[1:]
            for r in con.execute(
                "select fiscal_year, identified, removed, agencies "
                "from mart_287g_jurisdiction_year where jurisdiction_id = ?",
                [fips],
            ).fetchall()
        }
        assert got == expected, fips
    maricopa = con.execute(
        "select identified, removed, removed_per_identified from mart_287g_jurisdiction_year "
        "where jurisdiction_id = '04013' and fiscal_year = 2008"
    ).fetchone()
    assert maricopa == (13522, 11841, pytest.approx(11841 / 13522))
    # FY2013: identified 0 -> no ratio; FY2006: no figure at all -> NULL, not 0
    assert con.execute(
        "select fiscal_year, identified, removed, removed_per_identified "
        "from mart_287g_jurisdiction_year where jurisdiction_id = '04013' "
        "and fiscal_year in (2006, 2013) order by 1"
    ).fetchall() == [(2006, None, None, None), (2013, 0, 276, None)]
    assert con.execute(
        "select identified, removed from mart_287g_jurisdiction_year "
        "where jurisdiction_id = '48201' and fiscal_year = 2009"
    ).fetchone() == (8821, 6965)


def test_287g_blanks_stay_null_through_to_the_mart(real_run):
    _, con = real_run
    rows = g287_rows()
    # Hudson County (NJ) corrections is its county's only agency: FY2008 has removals, no
    # identified figure
    (hudson,) = [
        r
        for r in rows
        if r["agency"] == "Hudson County Department of Corrections" and r["fiscal_year"] == "2008"
    ]
    assert (hudson["identified"], hudson["removed"]) == ("", "107")
    assert con.execute(
        "select identified, removed, removed_per_identified, agencies_with_figures "
        "from mart_287g_jurisdiction_year where jurisdiction_id = '34017' and fiscal_year = 2008"
    ).fetchone() == (None, 107, None, 1)
    # as many NULL identified jurisdiction-years as jurisdiction-years whose agencies all had
    # no figure (the mapping read back from the mart's agency list)
    mapping = {
        agency: fips
        for fips, names in con.execute(
            "select distinct jurisdiction_id, agency_names from mart_287g_jurisdiction_year"
        ).fetchall()
        for agency in names.split(" | ")
    }
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        groups[(mapping[r["agency"]], r["fiscal_year"])].append(r)
    for column in ("identified", "removed"):
        blank = sum(1 for rs in groups.values() if summed(rs, column) is None)
        assert blank > 0
        assert con.execute(
            f"select count(*) from mart_287g_jurisdiction_year where {column} is null"
        ).fetchone() == (blank,)


def test_287g_state_agencies_and_cities_land_where_the_rules_say(real_run):
    _, con = real_run
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "select jurisdiction_id, kind, agencies from mart_287g_jurisdiction_year "
            "where fiscal_year = 2010 and jurisdiction_id in "
            "('04000', '12031', '32003', '51683', '51153', '44000')"
        ).fetchall()
    }
    assert rows == {
        "04000": ("state-level", 2),  # AZ Department of Corrections + of Public Safety
        "12031": ("county", 1),  # Jacksonville Sheriff Office -> Duval (consolidated)
        "32003": ("county", 1),  # Las Vegas Metropolitan Police -> Clark
        "51683": ("independent city", 1),  # City of Manassas Police Department
        "51153": ("county", 3),  # Prince William: county police, sheriff, regional jail
        "44000": ("state-level", 1),  # Rhode Island State Police
    }
    # the programs side by side: Harris County, the first Secure Communities activation
    harris = con.execute(
        "select fiscal_year, sc_activation_date::varchar, sc_months_active, g287_removed "
        "from mart_programs_county_year where jurisdiction_id = '48201' "
        "and fiscal_year in (2008, 2009) order by 1"
    ).fetchall()
    assert harris == [(2008, "2008-10-27", 0, None), (2009, "2008-10-27", 12, 6965)]
    assert con.execute(
        "select count(*) from mart_programs_county_year where kind = 'state-level'"
    ).fetchone() == (0,)
