"""Checks on what dbt built: the GX mart suite on every model that declares one in dbt
(`meta: {expectation_suite: marts}`, read from the manifest), restatements in the cumulative
series and the two activation-date sources agreeing (warnings)."""

import dagster as dg

from orchestration.defs.checks.common import read_frame, to_check_result, validate
from orchestration.defs.keys import CHANGES, mart_key
from orchestration.defs.resources import WarehouseResource
from orchestration.fiscal import current_fiscal_year
from orchestration.validation.gx import run_suite


def _mart_frame_sql(table: str) -> str:
    parts = []
    for measure, singular in (("referrals", "referral"), ("removals", "removal")):
        shares = [f"{singular}_share_{lv}" for lv in ("l1", "l2", "l3", "nc")]
        parts.append(f"{' + '.join(shares)} - 1 as {singular}_shares__sum_minus_one")
        parts.append(
            f"minor_share_{measure} - ({singular}_share_l3 + {singular}_share_nc) "
            f"as minor_share_{measure}__minus_parts"
        )
    return f"select *, {', '.join(parts)} from marts.{table}"


@dg.asset_check(
    asset=CHANGES,
    name="interop_restatements_suite",
    blocking=False,
    description="GX suite expectations/interop_restatements.json: cumulative series "
    "never go down (a decrease is a restatement; warning).",
)
def interop_restatements_suite(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return validate(
        warehouse,
        "select * from intermediate.int_interop_cumulative_changes",
        "interop_restatements",
        "intermediate.int_interop_cumulative_changes",
    )


@dg.asset_check(
    asset=dg.AssetKey(["marts", "dim_jurisdiction"]),
    name="activation_dates_agree",
    blocking=False,
    description="GX suite expectations/activation_dates_agree.json: the activation "
    "date in the interop statistics and the activations source agree "
    "within 7 days (warning).",
)
def activation_dates_agree(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return validate(
        warehouse,
        "select * from marts.dim_jurisdiction",
        "activation_dates_agree",
        "marts.dim_jurisdiction",
    )


def _mart_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=mart_key(table),
        name=f"{table}_suite",
        blocking=True,
        description=f"GX suite expectations/marts.json on marts.{table}: shares in "
        "[0, 1] summing to 1, minor share = L3 + NC, counts >= 0, "
        "fiscal years in range. Failing stops the publish.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        frame = read_frame(warehouse, _mart_frame_sql(table))
        outcome = run_suite(
            frame, "marts", f"marts.{table}", parameters={"max_fiscal_year": current_fiscal_year()}
        )
        return to_check_result(outcome)

    return _check


def checks(suite_marts: list[str]) -> list:
    """The mart checks: one GX suite per model dbt declares it for, and the two warnings."""
    return [
        *(_mart_check(t) for t in suite_marts),
        interop_restatements_suite,
        activation_dates_agree,
    ]
