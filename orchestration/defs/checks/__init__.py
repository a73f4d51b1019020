"""Asset checks, by the stage they guard: raw tables, name resolution, case loads, marts."""

import dagster as dg

from orchestration.defs.checks import cases, jurisdictions, marts, raw
from orchestration.defs.checks.common import SuiteFrame, ahead_of


def all_checks(suite_marts: list[str]) -> list:
    """Every check of the code location; ``suite_marts`` are the models that declare the GX
    mart suite in dbt."""
    return [*cases.CHECKS, *raw.CHECKS, *jurisdictions.CHECKS, *marts.checks(suite_marts)]


def after_dbt(suite_marts: list[str]) -> dict[dg.AssetKey, dict[str, SuiteFrame]]:
    """By dbt model, the GX suites the dbt step starts once dbt has built it (validate_ahead):
    the checks after dbt then collect their outcomes instead of validating one after another."""
    return ahead_of([*cases.SUITE_CHECKS, *marts.suite_checks(suite_marts)])
