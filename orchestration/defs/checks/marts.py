"""Checks on what dbt built: the GX mart suite on every model that declares one in dbt
(`meta: {expectation_suite: marts}`, read from the manifest), restatements in the cumulative
series and the two activation-date sources agreeing (warnings)."""

import dagster as dg

from orchestration.defs.checks.common import SuiteCheck, SuiteFrame, read_frame, suite_check
from orchestration.defs.keys import CHANGES, mart_key
from orchestration.defs.resources import WarehouseResource
from orchestration.fiscal import current_fiscal_year


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


def _restatements_frame(warehouse: WarehouseResource) -> tuple:
    frame = read_frame(warehouse, "select * from intermediate.int_interop_cumulative_changes")
    return frame, "interop_restatements", "intermediate.int_interop_cumulative_changes"


def _activation_dates_frame(warehouse: WarehouseResource) -> tuple:
    frame = read_frame(warehouse, "select * from marts.dim_jurisdiction")
    return frame, "activation_dates_agree", "marts.dim_jurisdiction"


def _mart_frame(table: str) -> SuiteFrame:
    def frame_of(warehouse: WarehouseResource) -> tuple:
        frame = read_frame(warehouse, _mart_frame_sql(table))
        return frame, "marts", f"marts.{table}", {"max_fiscal_year": current_fiscal_year()}

    return frame_of


def suite_checks(suite_marts: list[str]) -> list[SuiteCheck]:
    """The GX suites on what dbt built: the mart suite on each model dbt declares it for, and
    the two warnings."""
    return [
        *(
            (
                mart_key(table),
                f"{table}_suite",
                True,
                f"GX suite expectations/marts.json on marts.{table}: shares in [0, 1] summing "
                "to 1, minor share = L3 + NC, counts >= 0, fiscal years in range. Failing "
                "stops the publish.",
                _mart_frame(table),
            )
            for table in suite_marts
        ),
        (
            CHANGES,
            "interop_restatements_suite",
            False,
            "GX suite expectations/interop_restatements.json: cumulative series never go "
            "down (a decrease is a restatement; warning).",
            _restatements_frame,
        ),
        (
            dg.AssetKey(["marts", "dim_jurisdiction"]),
            "activation_dates_agree",
            False,
            "GX suite expectations/activation_dates_agree.json: the activation date in the "
            "interop statistics and the activations source agree within 7 days (warning).",
            _activation_dates_frame,
        ),
    ]


def checks(suite_marts: list[str]) -> list:
    """The mart checks: one GX suite per model dbt declares it for, and the two warnings."""
    return [suite_check(*spec) for spec in suite_checks(suite_marts)]
