"""Dagster entry point (`dagster dev` reads [tool.dagster] in pyproject.toml).

Nothing happens at import time: the definitions are built when Dagster (or `scomm`) calls the
function, which is also when a missing dbt manifest is parsed.
"""

from __future__ import annotations

import os

import dagster as dg

from orchestration.assets_dbt import build_dbt_assets, dbt_project, dbt_resource
from orchestration.assets_ingest import (
    SOURCE_ASSET_DEFS,
    case_jurisdiction_matches,
    jurisdiction_matches,
)
from orchestration.checks import ALL_CHECKS
from orchestration.jobs import cases_job, inbox_sensor, monthly_refresh, scomm_job
from orchestration.paths import DEFAULT_WAREHOUSE
from orchestration.publish import published_marts
from orchestration.resources import WarehouseResource


def build_definitions(warehouse_dir: str | None = None) -> dg.Definitions:
    project = dbt_project()
    warehouse = WarehouseResource(
        warehouse_dir=warehouse_dir or os.environ.get("SCOMM_WAREHOUSE", str(DEFAULT_WAREHOUSE))
    )
    return dg.Definitions(
        assets=[*SOURCE_ASSET_DEFS, jurisdiction_matches, case_jurisdiction_matches,
                build_dbt_assets(project),
                published_marts],
        asset_checks=ALL_CHECKS,
        jobs=[scomm_job, cases_job],
        schedules=[monthly_refresh],
        sensors=[inbox_sensor],
        resources={"dbt": dbt_resource(project), "warehouse": warehouse},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
