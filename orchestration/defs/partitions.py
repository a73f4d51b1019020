"""Case records are partitioned by fiscal year (October-September, named by the year it ends):
an incremental load of one year's release reads that release only and replaces that year. The
range is the one in dbt_project.yml (orchestration.fiscal.fiscal_year_range)."""

from collections.abc import Mapping

import dagster as dg

from orchestration.fiscal import fiscal_year_range

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def case_fiscal_years() -> dg.StaticPartitionsDefinition:
    first, last = fiscal_year_range()
    return dg.StaticPartitionsDefinition([str(y) for y in range(first, last + 1)])


def fiscal_year_tags(first: int | None = None, last: int | None = None) -> dict[str, str]:
    """Run tags selecting fiscal years first..last of the case partitions (default: all of
    them, a full load)."""
    lo, hi = fiscal_year_range()
    return {RANGE_START: str(first or lo), RANGE_END: str(last or hi)}


def is_full_load(tags: Mapping[str, str]) -> bool:
    """True for a run over every case partition (or an unpartitioned one)."""
    if "dagster/partition" in tags:
        return False
    lo, hi = (str(y) for y in fiscal_year_range())
    return tags.get(RANGE_START, lo) == lo and tags.get(RANGE_END, hi) == hi


def run_fiscal_years(context: dg.AssetExecutionContext) -> list[int] | None:
    """The fiscal years this run loads, or None when it covers every partition (a full
    load)."""
    keys = context.partition_keys
    if set(keys) == set(case_fiscal_years().get_partition_keys()):
        return None
    return [int(k) for k in keys]
