"""Checks on name resolution: quarantined names (warning) and one row per resolved jurisdiction
and report date (blocking: two spellings of one county in one report would double-count it);
287(g) agencies that could not be placed (warning)."""

import dagster as dg

from orchestration.defs.checks.common import quarantine_warning, read_frame, to_check_result
from orchestration.defs.keys import RAW_G287_MATCHES, RAW_MATCHES, RAW_PLACE_FIGURE_MATCHES
from orchestration.defs.resources import WarehouseResource
from orchestration.validation.worker import run_suite


@dg.asset_check(
    asset=RAW_MATCHES,
    name="all_jurisdictions_resolved",
    blocking=False,
    description="Warns when published names were quarantined (unknown or ambiguous).",
)
def all_jurisdictions_resolved(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = read_frame(
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
    return quarantine_warning(
        frame,
        "report_rows",
        "published name(s)",
        "report row(s)",
        name_columns=("published_name", "published_state"),
        qa_table="qa_interop_quarantined_reports",
    )


@dg.asset_check(
    asset=RAW_MATCHES,
    name="interop_resolved_suite",
    blocking=True,
    description="GX suite expectations/interop_resolved.json: one row per resolved "
    "jurisdiction and report date (two spellings of one jurisdiction in "
    "one report would double-count it).",
)
def interop_resolved_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = read_frame(
        warehouse,
        """
        select r._source_file, r._source_line, r.state, r.jurisdiction, m.jurisdiction_id,
               r.report_through
        from raw.interop_reports r
        join raw.jurisdiction_matches m
          on r.state is not distinct from m.published_state
         and r.jurisdiction is not distinct from m.published_name
        where m.jurisdiction_id is not null
        order by r._source_line""",
    )
    return to_check_result(run_suite(frame, "interop_resolved", "raw.interop_reports (resolved)"))


@dg.asset_check(
    asset=RAW_G287_MATCHES,
    name="all_287g_agencies_placed",
    blocking=False,
    description="Warns when 287(g) agencies could not be placed in a jurisdiction "
    "(their rows are counted in qa_287g_quarantined_agencies, never dropped).",
)
def all_287g_agencies_placed(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = read_frame(
        warehouse,
        """
        select published_state, published_agency, quarantine_reason, rows
        from raw.g287_agency_matches
        where quarantine_reason is not null
        order by all""",
    )
    return quarantine_warning(
        frame,
        "rows",
        "agency(ies)",
        "agency-year row(s)",
        name_columns=("published_agency", "published_state"),
        qa_table="qa_287g_quarantined_agencies",
    )


@dg.asset_check(
    asset=RAW_PLACE_FIGURE_MATCHES,
    name="all_place_figures_placed",
    blocking=False,
    description="Warns when places of the compiled place figures could not be placed on a county "
    "or state (ICE field offices, cities spanning several counties, unknown names): their rows "
    "are listed in qa_place_figures_quarantined, never dropped.",
)
def all_place_figures_placed(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = read_frame(
        warehouse,
        """
        select published_state, split_part(published_key, '|', 2) as published_place,
               quarantine_reason, rows
        from raw.place_figure_matches
        where quarantine_reason is not null
        order by all""",
    )
    return quarantine_warning(
        frame,
        "rows",
        "place(s)",
        "figure row(s)",
        name_columns=("published_place", "published_state"),
        qa_table="qa_place_figures_quarantined",
    )


CHECKS = [
    all_jurisdictions_resolved,
    interop_resolved_suite,
    all_287g_agencies_placed,
    all_place_figures_placed,
]
