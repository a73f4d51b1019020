"""End to end on the embedded sample: the published marts hold the numbers worked out by hand
from data/sample/interop_reports.csv (line numbers refer to that file)."""

import json

import duckdb
import pytest

from orchestration.paths import DBT_PROJECT_DIR

pytestmark = pytest.mark.fast  # make test-fast


@pytest.fixture(scope="module")
def published(sample_run):
    assert sample_run.report.success, sample_run.report
    con = duckdb.connect(str(sample_run.serving), read_only=True)
    yield con
    con.close()


def one(con, sql, *params):
    return con.execute(sql, list(params)).fetchone()


def test_run_succeeds_with_every_blocking_check_and_dbt_test_passing(sample_run):
    report = sample_run.report
    assert report.success and not report.step_errors and not report.skipped_steps
    blocking_failed = [name for name, _, blocking in report.checks_failed if blocking]
    assert blocking_failed == []
    # dbt tests arrive as asset checks; the GX suites too.
    assert {
        "interop_raw_suite",
        "mart_jurisdiction_year_suite",
        "mart_state_year_suite",
        "mart_national_year_suite",
        "assert_shares_sum_to_one",
        "g287_raw_suite",
        "assert_287g_agency_years_all_accounted",
    } <= set(report.checks_passed)
    # every dbt data test of the project came back as a passed check (unit tests are not checks)
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    dbt_tests = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    not_passed = dbt_tests - set(report.checks_passed)
    assert len(dbt_tests) >= 49 and not not_passed, not_passed
    # The one restatement in the sample and its one unplaceable 287(g) agency are warnings, not
    # blockers.
    assert sorted(name for name, _, _ in report.checks_failed) == [
        "all_287g_agencies_placed",
        "interop_restatements_suite",
    ]


def test_suffolk_fy2012_is_the_difference_of_the_fiscal_year_end_reports(published):
    # line 240 (2012-09-30) minus line 148 (2011-09-30); the "Suffolk Co." report of 2012-03-31
    # (line 183) is mid-year and does not enter the difference.
    row = one(
        published,
        """
        select jurisdiction_name, state, activation_date::varchar, flow_from::varchar,
               flow_through::varchar, submissions,
               referrals_total, referrals_l1, referrals_l2, referrals_l3, referrals_nc,
               removals_total, removals_l1, removals_l2, removals_l3, removals_nc,
               minor_share_removals, removal_share_l1, minor_share_referrals
        from mart_jurisdiction_year where jurisdiction_id = '25025' and fiscal_year = 2012""",
    )
    assert row[:6] == (
        "Suffolk County",
        "MA",
        "2008-11-05",
        "2011-10-01",
        "2012-09-30",
        68230 - 50172,
    )
    assert row[6:11] == (4368 - 3197, 709 - 505, 614 - 466, 1340 - 982, 1705 - 1244)
    assert row[11:16] == (870 - 630, 219 - 166, 118 - 92, 346 - 237, 187 - 135)
    assert row[16] == pytest.approx((109 + 52) / 240, abs=1e-12)
    assert row[17] == pytest.approx(53 / 240, abs=1e-12)
    assert row[18] == pytest.approx((358 + 461) / 1171, abs=1e-12)


def test_first_fiscal_year_counts_from_activation(published):
    # line 15: Suffolk's first report, 2009-09-30, cumulative since activation 2008-11-05
    assert one(
        published,
        """
        select flow_from::varchar, referrals_total, removals_total
        from mart_jurisdiction_year where jurisdiction_id = '25025' and fiscal_year = 2009
    """,
    ) == ("2008-11-05", 898, 180)


def test_state_rollup_sums_counts_then_divides(published):
    # Alaska FY2012 = 2012-09-30 minus 2011-09-30 for its three boroughs (lines 115-117, 201-203)
    removals = {"anchorage": (4, 2, 7, 3), "fairbanks": (1, 1, 3, 2), "matsu": (3, 1, 4, 0)}
    l1, l2, l3, nc = (sum(v[i] for v in removals.values()) for i in range(4))
    total = l1 + l2 + l3 + nc
    row = one(
        published,
        """
        select removals_jurisdictions, removals_total, removals_l1, removals_l2, removals_l3,
               removals_nc, minor_share_removals, referrals_total, minor_share_referrals
        from mart_state_year where state = 'AK' and fiscal_year = 2012""",
    )
    assert row[:6] == (3, total, l1, l2, l3, nc) == (3, 31, 8, 4, 14, 5)
    assert row[6] == pytest.approx(19 / 31, abs=1e-12)
    averaged = (10 / 16 + 5 / 7 + 4 / 8) / 3  # what averaging shares would wrongly give
    assert abs(row[6] - averaged) > 1e-4
    assert row[7] == (194 - 92) + (48 - 14) + (42 - 16) == 162
    assert row[8] == pytest.approx(((62 - 30) + (17 - 5) + (14 - 8) + 36 + 13 + 15) / 162)


def test_restatement_is_flagged_and_never_a_negative_flow(published):
    # Travis County TX: removals_nc 546 (2012-09-30, line 259) -> 371 (2013-09-30, line 321)
    row = one(
        published,
        """
        select removals_restated, referrals_restated, removals_l1, removals_l2, removals_l3,
               removals_nc, removals_total, minor_share_removals, referrals_total
        from mart_jurisdiction_year where jurisdiction_id = '48453' and fiscal_year = 2013""",
    )
    assert row == (True, False, 387 - 287, 268 - 213, 733 - 573, None, None, None, 11088 - 8775)
    assert one(
        published,
        """
        select series, previous_cumulative, cumulative, change, source_line
        from qa_interop_restatements where jurisdiction_id = '48453'""",
    ) == ("removals_nc", 546, 371, -175, 321)
    # the restated jurisdiction-year is left out of the Texas rollup, and the rollup says so
    tx = one(
        published,
        """select referrals_jurisdictions - removals_jurisdictions
                           from mart_state_year where state = 'TX' and fiscal_year = 2013""",
    )
    assert tx == (1,)
    assert one(published, "select count(*) from fct_referrals_by_severity where n < 0") == (0,)


def test_zero_totals_give_undefined_shares_not_zero(published):
    # Loving County TX FY2009 (line 26): zero matches and zero removals
    assert one(
        published,
        """
        select referrals_total, referral_share_l1, minor_share_referrals, minor_share_removals
        from mart_jurisdiction_year where jurisdiction_id = '48301' and fiscal_year = 2009
    """,
    ) == (0, None, None, None)


def test_spellings_collapse_to_one_jurisdiction_and_agencies_are_kept(published):
    assert one(
        published,
        """select name, kind, published_names from dim_jurisdiction
                             where jurisdiction_id = '35013'""",
    ) == ("Doña Ana County", "county", "Dona Ana County | Doña Ana County")
    assert one(
        published, "select published_names from dim_jurisdiction where jurisdiction_id = '25025'"
    ) == ("Suffolk Co. | Suffolk County",)
    kinds = dict(
        published.execute(
            "select jurisdiction_id, kind from dim_jurisdiction where jurisdiction_id in "
            "('25000', '04000', '51760', '51159', '22071', '02170', '22033')"
        ).fetchall()
    )
    assert kinds == {
        "25000": "state-level",
        "04000": "state-level",
        "51760": "independent city",
        "51159": "county",
        "22071": "parish",
        "02170": "borough",
        "22033": "parish",
    }
    assert one(published, "select count(*) from dim_jurisdiction where in_interop_reports") == (62,)
    assert one(published, "select count(*) from qa_interop_quarantined_reports") == (0,)


def test_not_reported_breakdown_stays_unknown_in_raw(sample_run):
    # Fresno County's 2011-03-31 report left the removal levels blank (not 0)
    with duckdb.connect(str(sample_run.build), read_only=True) as con:
        assert con.execute("""
            select removals_l1, removals_total from raw.interop_reports
            where jurisdiction = 'Fresno County' and report_through = '2011-03-31'
        """).fetchone() == (None, "184")


def test_every_raw_row_is_either_a_fact_source_or_quarantined(sample_run):
    with duckdb.connect(str(sample_run.build), read_only=True) as con:
        raw = con.execute("select count(*) from raw.interop_reports").fetchone()[0]
        resolved, quarantined = con.execute("""
            select count(*) filter (where jurisdiction_id is not null),
                   count(*) filter (where jurisdiction_id is null)
            from intermediate.int_interop_reports_resolved""").fetchone()
    assert raw == resolved + quarantined == 389


def test_national_shares_are_in_the_magnitude_of_the_published_figures(published):
    # Oct 2008 - Jun 2010 (FOIA): ~21% of removals Level 1, ~26% non-criminal
    l1, nc = one(
        published,
        """select sum(removals_l1) / sum(removals_total),
                                      sum(removals_nc) / sum(removals_total)
                               from mart_national_year where fiscal_year in (2009, 2010)""",
    )
    assert 0.15 < l1 < 0.27 and 0.20 < nc < 0.32


def test_publication_records_its_source_and_duckdb_version(published):
    run_id, version, sources = one(
        published, "select run_id, duckdb_version, sources from _publication"
    )
    assert duckdb.__version__ == version
    assert "interop_reports.csv (sha256 " in sources and run_id


def test_rates_population_and_months_active_come_from_the_reference_samples(published):
    # data/sample/population.csv line 54 (Suffolk, POPESTIMATE2012 = 325848);
    # data/sample/noncitizen.csv line 395 (25025, 2012: 13972, moe 764)
    row = one(
        published,
        """
        select population, noncitizen_population, noncitizen_population_moe,
               removals_per_100k_noncitizens, referrals_per_100k_noncitizens, months_active,
               activated_in_fiscal_year
        from mart_jurisdiction_year where jurisdiction_id = '25025' and fiscal_year = 2012""",
    )
    assert row[:3] == (325848, 13972, 764)
    assert row[3] == pytest.approx(240 * 100_000 / 13972)
    assert row[4] == pytest.approx(1171 * 100_000 / 13972)
    assert row[5:] == (12, False)
    # activated 2008-11-05: November through September of FY2009 = 11 months
    assert one(
        published,
        """
        select months_active, activated_in_fiscal_year from mart_jurisdiction_year
        where jurisdiction_id = '25025' and fiscal_year = 2009""",
    ) == (11, True)


def test_dim_covers_every_county_of_the_population_source(published):
    # 69 counties in data/sample/population.csv + the 2 state-wide agencies of the interop
    # sample, + the counties of the case-record sample that are in neither
    total, distinct, in_population, census_or_interop = one(
        published,
        """
        select count(*), count(distinct jurisdiction_id),
               count(*) filter (where in_population_source),
               count(*) filter (where in_population_source or in_interop_reports)
        from dim_jurisdiction""",
    )
    assert total == distinct and (in_population, census_or_interop) == (69, 71)
    assert one(
        published,
        """select population_2010, activation_date::varchar,
                                    statewide_activation_date::varchar, activation_date_source
                             from dim_jurisdiction where jurisdiction_id = '25025'""",
    ) == (322059, "2008-11-05", "2012-05-15", "activations")
    # a county in the reference files but never in the interop reports
    assert one(
        published,
        """select name, kind, in_interop_reports, activation_date::varchar
                             from dim_jurisdiction where jurisdiction_id = '02180'""",
    ) == ("Nome Census Area", "census area", False, "2012-09-11")


def test_rollout_counts_activated_counties_and_states(published):
    first = one(published, "select * from mart_rollout order by activation_date limit 1")
    # Harris County TX alone on 2008-10-27; its 2010 population in population.csv
    assert first[:6] == (__import__("datetime").date(2008, 10, 27), 1, 69, 1, 0, 13)
    last = one(
        published,
        "select counties_activated, states_fully_activated, "
        "population_share_covered from mart_rollout "
        "order by activation_date desc limit 1",
    )
    assert last == (69, 13, 1.0)
    # Massachusetts is fully activated on 2012-05-15 (its last counties; see activations.dta)
    ma_done = one(
        published,
        """select min(activation_date)::varchar from mart_rollout
                                where states_fully_activated >= 9""",
    )
    assert ma_done == ("2012-05-15",)


def test_dbt_reuses_the_projects_parse_instead_of_parsing_again(sample_run):
    """The run's in-process dbt starts from the project's partial-parse file (written with
    target/manifest.json): a full parse of the project costs ≈5 s of every run. It was once
    looked up relative to the working directory, so every run parsed in full unnoticed."""
    log = (sample_run.warehouse / "dbt" / "target" / "dbt.log").read_text(encoding="utf-8")
    assert "running dbt with arguments" in log  # the log this test reads is the run's own
    assert "Unable to do partial parsing" not in log
