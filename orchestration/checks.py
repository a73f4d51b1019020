"""Asset checks: Great Expectations suites on DataFrames read from the build database.

Blocking checks (raw layout and arithmetic; every published mart) stop everything downstream, so
nothing wrong is published. Restatements and quarantined names are warnings: the affected rows are
flagged or set aside, and the run still publishes what is right.
"""


import datetime as dt

import dagster as dg
import pandas as pd

from orchestration.assets_ingest import (
    FIRST_FISCAL_YEAR,
    LAST_FISCAL_YEAR,
    RAW_ACTIVATIONS,
    RAW_CASES,
    RAW_INTEROP,
    RAW_MATCHES,
    RAW_NONCITIZEN,
    RAW_POPULATION,
)
from orchestration.faults import checkpoint
from orchestration.ingest import COUNT_COLUMNS
from orchestration.paths import DBT_PROJECT_DIR
from orchestration.reference_ingest import POPULATION_COLUMNS, known_county_fips
from orchestration.resources import WarehouseResource
from orchestration.validation import SuiteOutcome, run_suite

YEAR_MARTS = ("mart_jurisdiction_year", "mart_state_year", "mart_national_year")
CHANGES = dg.AssetKey(["intermediate", "int_interop_cumulative_changes"])


def _date_or_flag(column: str) -> str:
    """'not given' when blank, the ISO date when valid, NULL only when given but impossible."""
    return (f"case when {column} is null then 'not given' "
            f"else cast(cast(try_strptime({column}, '%Y-%m-%d') as date) as varchar) end")


def _level_sum(measure: str) -> str:
    return " + ".join(f"{measure}_{lv}__int" for lv in ("l1", "l2", "l3", "nc"))


RAW_FRAME_SQL = f"""
with typed as (
    select
        *,
        {", ".join(f"try_cast({c} as bigint) as {c}__int" for c in COUNT_COLUMNS)},
        {_date_or_flag("report_through")} as report_through__parsed,
        {_date_or_flag("activation_date")} as activation_date__parsed
    from raw.interop_reports
)
select
    *,
    matches_total__int - ({_level_sum("matches")}) as matches_total__minus_levels,
    removals_total__int - ({_level_sum("removals")}) as removals_total__minus_levels,
    date_diff('day', try_cast(activation_date__parsed as date),
              try_cast(report_through__parsed as date)) as days_since_activation,
    date_diff('day', current_date, try_cast(report_through__parsed as date))
        as report_through__days_after_today
from typed
order by _source_line
"""


def _mart_frame_sql(table: str) -> str:
    parts = []
    for measure, singular in (("referrals", "referral"), ("removals", "removal")):
        shares = [f"{singular}_share_{lv}" for lv in ("l1", "l2", "l3", "nc")]
        parts.append(f"{' + '.join(shares)} - 1 as {singular}_shares__sum_minus_one")
        parts.append(f"minor_share_{measure} - ({singular}_share_l3 + {singular}_share_nc) "
                     f"as minor_share_{measure}__minus_parts")
    return f"select *, {', '.join(parts)} from marts.{table}"


def current_fiscal_year(today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    return today.year + (1 if today.month >= 10 else 0)


def to_check_result(outcome: SuiteOutcome) -> dg.AssetCheckResult:
    """Passed/failed with the failing expectations and sample offending rows as metadata."""
    severity = dg.AssetCheckSeverity.ERROR if outcome.blocking else dg.AssetCheckSeverity.WARN
    failures = {
        f"{o.expectation}({o.column})": {
            "note": o.note,
            "unexpected_count": o.unexpected_count,
            "raised": o.raised,
            "sample_rows": o.sample_rows,
        }
        for o in outcome.failures
    }
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=severity,
        description=outcome.message()[:4000],
        metadata={
            "suite": outcome.suite,
            "table": outcome.table,
            "expectations": len(outcome.outcomes),
            "failed": len(outcome.failures),
            "raised": len(outcome.errors),
            "failures": dg.MetadataValue.json(failures),
        },
    )


def _read(warehouse: WarehouseResource, sql: str) -> pd.DataFrame:
    with warehouse.connect(read_only=True) as con:
        return con.execute(sql).df()


@dg.asset_check(asset=RAW_INTEROP, name="interop_raw_suite", blocking=True,
                description="GX suite expectations/interop_raw.json: layout, types, unique keys, "
                            "counts >= 0 and whole, totals = sum of levels, matches <= "
                            "submissions, no report before activation.")
def interop_raw_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = _read(warehouse, RAW_FRAME_SQL)
    outcome = run_suite(frame, "interop_raw", "raw.interop_reports")
    checkpoint("validation")
    return to_check_result(outcome)


@dg.asset_check(asset=RAW_MATCHES, name="all_jurisdictions_resolved", blocking=False,
                description="Warns when published names were quarantined (unknown or ambiguous).")
def all_jurisdictions_resolved(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = _read(
        warehouse,
        """
        select m.published_state, m.published_name, m.quarantine_reason, count(*) as report_rows
        from raw.jurisdiction_matches m
        join raw.interop_reports r
          on r.state is not distinct from m.published_state
         and r.jurisdiction is not distinct from m.published_name
        where m.quarantine_reason is not null
        group by all order by all
        """,
    )
    rows = frame.to_dict("records")
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        description=(f"{len(rows)} published name(s) quarantined, "
                     f"{int(frame['report_rows'].sum()) if rows else 0} report row(s) set aside"),
        metadata={"quarantined": dg.MetadataValue.json(rows[:50])},
    )


@dg.asset_check(asset=RAW_MATCHES, name="interop_resolved_suite", blocking=True,
                description="GX suite expectations/interop_resolved.json: one row per resolved "
                            "jurisdiction and report date (two spellings of one jurisdiction in "
                            "one report would double-count it).")
def interop_resolved_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = _read(warehouse, """
        select r._source_file, r._source_line, r.state, r.jurisdiction, m.jurisdiction_id,
               r.report_through
        from raw.interop_reports r
        join raw.jurisdiction_matches m
          on r.state is not distinct from m.published_state
         and r.jurisdiction is not distinct from m.published_name
        where m.jurisdiction_id is not null
        order by r._source_line""")
    return to_check_result(run_suite(frame, "interop_resolved", "raw.interop_reports (resolved)"))


@dg.asset_check(asset=CHANGES, name="interop_restatements_suite", blocking=False,
                description="GX suite expectations/interop_restatements.json: cumulative series "
                            "never go down (a decrease is a restatement; warning).")
def interop_restatements_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = _read(warehouse, "select * from intermediate.int_interop_cumulative_changes")
    return to_check_result(
        run_suite(frame, "interop_restatements", "intermediate.int_interop_cumulative_changes")
    )


def _mart_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["marts", table]), name=f"{table}_suite", blocking=True,
                    description=f"GX suite expectations/marts.json on marts.{table}: shares in "
                                "[0, 1] summing to 1, minor share = L3 + NC, counts >= 0, "
                                "fiscal years in range. Failing stops the publish.")
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        frame = _read(warehouse, _mart_frame_sql(table))
        outcome = run_suite(frame, "marts", f"marts.{table}",
                            parameters={"max_fiscal_year": current_fiscal_year()})
        return to_check_result(outcome)

    return _check


MART_CHECKS = [_mart_check(t) for t in YEAR_MARTS]

POPULATION_COUNTS = [c for c in POPULATION_COLUMNS if c.startswith(("census", "popestimate"))]


@dg.asset_check(asset=RAW_POPULATION, name="census_population_raw_suite", blocking=True,
                description="GX suite expectations/census_population_raw.json: well-formed and "
                            "known FIPS, one row per key, populations whole and positive.")
def census_population_raw_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    casts = ", ".join(f"try_cast({c} as bigint) as {c}__int" for c in POPULATION_COUNTS)
    frame = _read(warehouse, f"select *, {casts} from raw.census_population order by _source_line")
    known = known_county_fips()
    frame["fips_known"] = [
        sumlev == "040" or f"{state}{county}" in known
        for sumlev, state, county in zip(frame["sumlev"], frame["state"], frame["county"],
                                         strict=True)
    ]
    return to_check_result(run_suite(frame, "census_population_raw", "raw.census_population"))


@dg.asset_check(asset=RAW_NONCITIZEN, name="acs_noncitizen_raw_suite", blocking=True,
                description="GX suite expectations/acs_noncitizen_raw.json: known 5-digit FIPS, "
                            "years, one row per county-year, counts and MOE whole and >= 0.")
def acs_noncitizen_raw_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = _read(warehouse, """
        select *, try_cast(year as bigint) as year__int,
               try_cast(noncit_pop as bigint) as noncit_pop__int,
               try_cast(moe as bigint) as moe__int
        from raw.acs_noncitizen order by _source_line""")
    known = known_county_fips()
    frame["fips_known"] = [f in known for f in frame["fips"]]
    return to_check_result(run_suite(frame, "acs_noncitizen_raw", "raw.acs_noncitizen"))


ACTIVATION_FRAME_SQL = """
select
    *,
    lpad(cast(cast(county as bigint) as varchar), 5, '0') as jurisdiction_id,
    cast(county as bigint) // 1000 = cast(statefips as bigint) as state_matches_county,
    year(date_secure) as date_secure__year,
    year(date_statewide_secure) as date_statewide_secure__year
from raw.sc_activation_panel
order by _source_line
"""


@dg.asset_check(asset=RAW_ACTIVATIONS, name="sc_activation_panel_raw_suite", blocking=True,
                description="GX suite expectations/sc_activation_panel_raw.json: well-formed "
                            "county codes, one row per county-year, dates within the rollout.")
def sc_activation_panel_raw_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = _read(warehouse, ACTIVATION_FRAME_SQL)
    return to_check_result(run_suite(frame, "sc_activation_panel_raw", "raw.sc_activation_panel"))


@dg.asset_check(asset=RAW_ACTIVATIONS, name="sc_activation_counties_known", blocking=False,
                description="Warns about panel county codes that are neither a Census county "
                            "code nor a retired code in seeds/county_fips_changes.csv.")
def sc_activation_counties_known(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = _read(warehouse, f"""
        select jurisdiction_id, min(_source_line) as first_source_line,
               min(date_secure) as activation_date
        from ({ACTIVATION_FRAME_SQL}) group by jurisdiction_id order by jurisdiction_id""")
    changes = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "county_fips_changes.csv", dtype=str)
    known = known_county_fips() | set(changes["old_fips"])
    frame["known"] = [j in known for j in frame["jurisdiction_id"]]
    return to_check_result(run_suite(frame, "sc_activation_counties_known",
                                     "raw.sc_activation_panel (distinct counties)"))


@dg.asset_check(asset=dg.AssetKey(["marts", "dim_jurisdiction"]), name="activation_dates_agree",
                blocking=False,
                description="GX suite expectations/activation_dates_agree.json: the activation "
                            "date in the interop statistics and the activations source agree "
                            "within 7 days (warning).")
def activation_dates_agree(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = _read(warehouse, "select * from marts.dim_jurisdiction")
    return to_check_result(run_suite(frame, "activation_dates_agree", "marts.dim_jurisdiction"))


CASE_AGGREGATES = dg.AssetKey(["intermediate", "int_case_removals_by_severity"])


@dg.asset_check(asset=RAW_CASES, name="cases_codes_known", blocking=True,
                description="Every row of the load (through its one-pass counts, "
                            "raw.cases_load): "
                            "threat level and criminality codes are known "
                            "(blank or redacted = missing). An unknown code would otherwise be "
                            "counted as UNKNOWN severity without anyone noticing.")
def cases_codes_known(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        bad = con.execute("""
            select case_threat_level, case_criminality, sum(n) as n,
                   any_value(_source_file) as file
            from raw.cases_load
            where (nullif(trim(case_threat_level), '') is not null
                   and trim(case_threat_level) not in ('1', '2', '3', 'b(6), b(7)c'))
               or (nullif(trim(case_criminality), '') is not null
                   and trim(case_criminality) not in (
                       '1 Convicted Criminal', '2 Pending Criminal Charges',
                       '3 Other Immigration Violator', 'b(6), b(7)c'))
            group by all order by n desc limit 20""").fetchall()
        examples = []
        for tl, cr, n, file in bad[:5]:  # only on failure: find the first row again
            row = con.execute(
                'select min(_source_row) from raw.cases_load_records where _source_file = ? and '
                '"Case Threat Level" is not distinct from ? and '
                '"Case Criminality" is not distinct from ?', [file, tl, cr]).fetchone()[0]
            examples.append(f"{file}: row {row} ({n} rows): Case Threat Level={tl!r}, "
                            f"Case Criminality={cr!r}")
    return dg.AssetCheckResult(
        passed=not bad, severity=dg.AssetCheckSeverity.ERROR,
        description=("all codes known" if not bad else
                     "unknown severity codes in the case records: "
                     + "; ".join(examples[:5])),
        metadata={"unknown_code_groups": len(bad), "examples": dg.MetadataValue.json(examples)})


@dg.asset_check(asset=RAW_CASES, name="cases_completeness", blocking=True,
                description="Completeness gate: for every fiscal year this load replaces, its "
                            "record count is at most completeness_max_drop (sources.yml, 2%) "
                            "below the last published load of that year. A full load that no "
                            "longer holds a year the warehouse published fails too.")
def cases_completeness(context: dg.AssetCheckExecutionContext,
                       warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from orchestration.sources import load_sources

    max_drop = load_sources()["cases"].completeness_max_drop
    with warehouse.connect(read_only=True) as con:
        compared = con.execute("""
            with previous as (
                select fiscal_year, arg_max(rows, loaded_at) as rows,
                       max(loaded_at) as loaded_at, arg_max(load_id, loaded_at) as load_id
                from raw.cases_load_counts
                where published and load_id <> $run
                group by fiscal_year
            ),
            this_load as (
                select fiscal_year, rows from raw.cases_load_counts where load_id = $run
            )
            select p.fiscal_year, p.rows, coalesce(t.rows, 0) as now, p.loaded_at, p.load_id
            from previous p
            join raw.cases_load_scope s using (fiscal_year)
            left join this_load t using (fiscal_year)
            order by p.fiscal_year""", {"run": context.run.run_id}).fetchall()
    drops = [(fy, before, now, at, load) for fy, before, now, at, load in compared
             if before > 0 and (before - now) / before > max_drop]
    lines = [f"FY{fy}: {now:,} records, {before - now:,} ({(before - now) / before:.1%}) fewer "
             f"than the load published {at:%Y-%m-%d %H:%M} (run {load[:8]}, {before:,})"
             for fy, before, now, at, load in drops]
    return dg.AssetCheckResult(
        passed=not drops, severity=dg.AssetCheckSeverity.ERROR,
        description=(f"{len(compared)} fiscal year(s) compared with the last published load; "
                     f"none dropped more than {max_drop:.0%}" if not drops else
                     f"records missing against the last published load (more than "
                     f"{max_drop:.0%} fewer): " + "; ".join(lines)
                     + ". If the release was corrected on purpose, raise "
                       "completeness_max_drop for cases in sources.yml for this load."),
        metadata={"max_drop": max_drop, "fiscal_years_compared": len(compared),
                  "drops": dg.MetadataValue.json(lines)})


@dg.asset_check(asset=RAW_CASES, name="cases_sample_suite", blocking=True,
                description="GX suite expectations/cases_sample.json on a fixed-size sample of "
                            "the load: its first 10,000 records (read without "
                            "scanning the rest; the full-table checks run on the one-pass "
                            "counts).")
def cases_sample_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = _read(warehouse, "select * from raw.cases_load_records limit 10000")
    return to_check_result(run_suite(frame, "cases_sample",
                                     "raw.cases_load_records (first 10,000 records)"))


@dg.asset_check(asset=CASE_AGGREGATES, name="case_aggregates_suite", blocking=True,
                description="GX suite expectations/case_aggregates.json on the counted records "
                            "of the fiscal years this load rebuilt.")
def case_aggregates_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    # the fiscal years this load rebuilt (all of them for a full load), and any year outside
    # the partitions (only a full load can bring one): the other years were validated when
    # they were loaded and have not changed
    frame = _read(warehouse, f"""
        select * from intermediate.int_case_removals_by_severity
        where jurisdiction_id is not null and fiscal_year is not null
          and (fiscal_year in (select fiscal_year from raw.cases_load_scope)
               or fiscal_year not between {FIRST_FISCAL_YEAR} and {LAST_FISCAL_YEAR})""")
    return to_check_result(run_suite(frame, "case_aggregates",
                                     "intermediate.int_case_removals_by_severity",
                                     parameters={"max_fiscal_year": current_fiscal_year()}))


ALL_CHECKS = [cases_codes_known, cases_completeness, cases_sample_suite, case_aggregates_suite,
              interop_raw_suite, all_jurisdictions_resolved, interop_resolved_suite,
              interop_restatements_suite,
              *MART_CHECKS, census_population_raw_suite, acs_noncitizen_raw_suite,
              sc_activation_panel_raw_suite, sc_activation_counties_known,
              activation_dates_agree]
