"""Checks on a case-record load: every code and conviction category known (all rows, through
the one-pass counts), the completeness gate against the last published load, a GX suite on a
sample, and GX on the counted records of the fiscal years the load rebuilt (all blocking); and
a warning where a layout's release recorded no convictions in a fiscal year."""

import csv

import dagster as dg

from orchestration.defs.checks.common import (
    SuiteCheck,
    read_frame,
    suite_check,
    validate,
)
from orchestration.defs.keys import CASE_AGGREGATES, RAW_CASES, mart_key
from orchestration.defs.resources import WarehouseResource
from orchestration.fiscal import current_fiscal_year, fiscal_year_range
from orchestration.ingest.cases.completeness import accepted, compared_years, drops
from orchestration.ingest.cases.layouts import LAYOUTS, LAYOUTS_BY_NAME
from orchestration.ingest.raw_tables import scalar
from orchestration.paths import CONVICTION_SEVERITY


@dg.asset_check(
    asset=RAW_CASES,
    name="cases_codes_known",
    blocking=True,
    description="Every row of the load (through its one-pass counts, "
    "raw.cases_load): "
    "threat level and criminality codes are known "
    "(blank or redacted = missing). An unknown code would otherwise be "
    "counted as UNKNOWN severity without anyone noticing.",
)
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
            row = scalar(
                con,
                "select min(_source_row) from raw.cases_load_records where _source_file = ? and "
                '"Case Threat Level" is not distinct from ? and '
                '"Case Criminality" is not distinct from ?',
                [file, tl, cr],
            )
            examples.append(
                f"{file}: row {row} ({n} rows): Case Threat Level={tl!r}, Case Criminality={cr!r}"
            )
    return dg.AssetCheckResult(
        passed=not bad,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "all codes known"
            if not bad
            else "unknown severity codes in the case records: " + "; ".join(examples[:5])
        ),
        metadata={"unknown_code_groups": len(bad), "examples": dg.MetadataValue.json(examples)},
    )


# a most serious conviction that says none was recorded (not a category)
NO_CONVICTION = ("", "NA")


def known_convictions() -> set[str]:
    """The categories the severity seed classes (seeds/case_conviction_severity.csv)."""
    with CONVICTION_SEVERITY.open(encoding="utf-8", newline="") as f:
        return {row["most_serious_conviction"] for row in csv.DictReader(f)}


@dg.asset_check(
    asset=RAW_CASES,
    name="cases_convictions_known",
    blocking=True,
    description="Every most serious conviction category of the load (every row, through the "
    "one-pass counts) is classed by seeds/case_conviction_severity.csv (blank or NA = no "
    "conviction recorded). An unclassed category would otherwise drop out of the severity "
    "counts; add it to the seed with its class.",
)
def cases_convictions_known(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    known = known_convictions()
    with warehouse.connect(read_only=True) as con:
        seen = con.execute("""
            select trim(most_serious_conviction), sum(n), any_value(_source_file),
                   any_value(_layout)
            from raw.cases_load
            where most_serious_conviction is not null
            group by 1 order by 2 desc""").fetchall()
        bad = [row for row in seen if row[0] not in known and row[0] not in NO_CONVICTION]
        examples = []
        for category, n, file, layout in bad[:5]:  # only on failure: find the first row again
            column = LAYOUTS_BY_NAME[layout].conviction or ""
            row = scalar(
                con,
                "select min(_source_row) from raw.cases_load_records where _source_file = ? "
                f'and trim("{column}") = ?',
                [file, category],
            )
            examples.append(f"{file}: row {row} ({n} rows): {column}={category!r}")
    return dg.AssetCheckResult(
        passed=not bad,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"all {len(seen)} conviction categories known"
            if not bad
            else f"{len(bad)} conviction categor(ies) not in "
            "seeds/case_conviction_severity.csv: " + "; ".join(examples)
        ),
        metadata={"unknown_categories": len(bad), "examples": dg.MetadataValue.json(examples)},
    )


@dg.asset_check(
    asset=mart_key("qa_case_conviction_coverage"),
    name="case_convictions_recorded",
    blocking=False,
    description="Warning: the layouts x fiscal years whose release recorded no most serious "
    "conviction for any record (qa_case_conviction_coverage). Their severity counts and "
    "shares are NULL (unknown), not 100% 'no conviction'.",
)
def case_convictions_recorded(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        missing = con.execute("""
            select layout, fiscal_year, records from marts.qa_case_conviction_coverage
            where not convictions_recorded order by layout, fiscal_year""").fetchall()
    lines = [f"{layout} FY{fy} ({n:,} records)" for layout, fy, n in missing]
    return dg.AssetCheckResult(
        passed=not missing,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            "convictions recorded in every layout and fiscal year"
            if not missing
            else "no conviction recorded for any record (shares NULL, not 'no conviction'): "
            + "; ".join(lines)
        ),
        metadata={"not_recorded": dg.MetadataValue.json(lines)},
    )


@dg.asset_check(
    asset=RAW_CASES,
    name="cases_completeness",
    blocking=True,
    description="Completeness gate: for every fiscal year this load replaces, its "
    "record count is at most completeness_max_drop (sources.yml, 2%) "
    "below the last published load of that year. A full load that no "
    "longer holds a year the warehouse published fails too. `scomm run --accept-smaller "
    "REASON` accepts the drops of one run (a warning, recorded in the publication).",
)
def cases_completeness(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    from orchestration.sources.catalog import load_sources

    max_drop = load_sources()["cases"].completeness_max_drop
    with warehouse.connect(read_only=True) as con:
        compared = compared_years(con, context.run.run_id)
    dropped = drops(compared, max_drop)
    acceptance = accepted(context.run.tags)
    lines = [str(d) for d in dropped]
    metadata: dict[str, dg.RawMetadataValue] = {
        "max_drop": max_drop,
        "fiscal_years_compared": len(compared),
        "drops": dg.MetadataValue.json(lines),
    }
    if not dropped:
        description = (
            f"{len(compared)} fiscal year(s) compared with the last published load; "
            f"none dropped more than {max_drop:.0%}"
        )
        return dg.AssetCheckResult(passed=True, description=description, metadata=metadata)
    if acceptance is not None:  # the operator accepted them: a warning, and the publication says so
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"smaller release {acceptance} (recorded in _publication): "
            + "; ".join(lines),
            metadata={**metadata, "accepted_by": acceptance.by, "reason": acceptance.reason},
        )
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"records missing against the last published load (more than "
        f"{max_drop:.0%} fewer): "
        + "; ".join(lines)
        + '. If this smaller release is right, run again with --accept-smaller "REASON" '
        "(who and why are recorded in the publication).",
        metadata=metadata,
    )


@dg.asset_check(
    asset=RAW_CASES,
    name="cases_sample_suite",
    blocking=True,
    description="GX suite expectations/cases_sample.json on a fixed-size sample of "
    "the load: its first 10,000 records (read without "
    "scanning the rest; the full-table checks run on the one-pass "
    "counts).",
)
def cases_sample_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    # the suite describes the removals layout: its sample is drawn from the files in it
    removals = [lay.name for lay in LAYOUTS if lay.event_kind == "removal"]
    listed = ", ".join(f"'{name}'" for name in removals)
    with warehouse.connect(read_only=True) as con:
        files, others = con.execute(
            f"select count(*) filter (where layout in ({listed})), "
            f"count(*) filter (where layout not in ({listed})) from raw.cases_load_files"
        ).fetchall()[0]
    if not files:
        return dg.AssetCheckResult(
            passed=True, description="no file of the removals layout in this load"
        )
    where = (
        f" where _source_file in (select file from raw.cases_load_files where layout in ({listed}))"
        if others
        else ""
    )
    return validate(
        warehouse,
        f"select * from raw.cases_load_records{where} limit 10000",
        "cases_sample",
        "raw.cases_load_records (first 10,000 records)",
    )


def _case_aggregates_frame(warehouse: WarehouseResource) -> tuple:
    # the fiscal years this load rebuilt (all of them for a full load), and any year outside
    # the partitions (only a full load can bring one): the other years were validated when
    # they were loaded and have not changed
    first, last = fiscal_year_range()
    frame = read_frame(
        warehouse,
        f"""
        select * from intermediate.int_case_removals_by_severity
        where jurisdiction_id is not null and fiscal_year is not null
          and (fiscal_year in (select fiscal_year from raw.cases_load_scope)
               or fiscal_year not between {first} and {last})""",
    )
    return (
        frame,
        "case_aggregates",
        "intermediate.int_case_removals_by_severity",
        {"max_fiscal_year": current_fiscal_year()},
    )


# the GX suite on what dbt built from the load (started when dbt finishes, see defs/dbt.py)
SUITE_CHECKS: list[SuiteCheck] = [
    (
        CASE_AGGREGATES,
        "case_aggregates_suite",
        True,
        "GX suite expectations/case_aggregates.json on the counted records of the fiscal "
        "years this load rebuilt.",
        _case_aggregates_frame,
    )
]
case_aggregates_suite = suite_check(*SUITE_CHECKS[0])


CHECKS = [
    cases_codes_known,
    cases_convictions_known,
    cases_completeness,
    cases_sample_suite,
    case_aggregates_suite,
    case_convictions_recorded,
]
