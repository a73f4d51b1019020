"""The real public files in ../shared/reference (present in CI): one run on them, and facts
checked from the files themselves."""

import csv

import duckdb
import pytest

from orchestration.runner import execute
from tests.conftest import REFERENCE_DIR

pytestmark = [
    pytest.mark.skipif(
        not REFERENCE_DIR.is_dir(), reason=f"{REFERENCE_DIR} (the real reference files) is absent"
    ),
    pytest.mark.xdist_group("real_run"),  # one worker, so the module's one run is made once
]


@pytest.fixture(scope="module")
def real_run(dbt_manifest, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("real_warehouse")
    report = execute(
        warehouse,
        {
            "population": REFERENCE_DIR / "co-est2019-alldata.csv",
            "noncitizen": REFERENCE_DIR / "acs_noncitizen_pop_county.csv",
            "activations": REFERENCE_DIR / "securecommunities.dta",
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
