"""The code location (`dagster dev` reads [tool.dagster] in pyproject.toml): it only assembles
what orchestration/defs/ defines.

Nothing happens at import time: the definitions are built when Dagster (or `scomm`) calls the
function, which is also when a missing or stale dbt manifest is parsed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import dagster as dg

from orchestration.defs.checks import after_dbt, all_checks
from orchestration.defs.dbt import (
    build_dbt_assets,
    dbt_project,
    dbt_resource,
    ensure_manifest,
    models_with_suite,
    published_descriptions,
    published_models,
)
from orchestration.defs.jobs import cases_job, inbox_sensor, monthly_refresh, scomm_job
from orchestration.defs.jurisdictions import matches_assets
from orchestration.defs.publish import publish_asset
from orchestration.defs.raw import raw_assets
from orchestration.defs.resources import WarehouseResource
from orchestration.paths import DEFAULT_WAREHOUSE


def build_definitions(
    warehouse_dir: str | None = None, extra_jobs: Sequence[dg.UnresolvedAssetJobDefinition] = ()
) -> dg.Definitions:
    """The code location; ``extra_jobs`` adds jobs (a partial run's selection, run/plan.py)."""
    project = dbt_project()
    manifest = ensure_manifest(project)
    warehouse = WarehouseResource(
        warehouse_dir=warehouse_dir or os.environ.get("SCOMM_WAREHOUSE", str(DEFAULT_WAREHOUSE))
    )
    return dg.Definitions(
        assets=[
            *raw_assets(),
            *matches_assets(),
            build_dbt_assets(project, after_dbt(models_with_suite(manifest, "marts"))),
            publish_asset(published_models(manifest), published_descriptions(manifest)),
        ],
        asset_checks=all_checks(models_with_suite(manifest, "marts")),
        jobs=[scomm_job, cases_job, *extra_jobs],
        schedules=[monthly_refresh],
        sensors=[inbox_sensor],
        resources={"dbt": dbt_resource(project), "warehouse": warehouse},
        # runs the daemon launches (schedule, sensor) execute their steps in the run's one
        # process, as `scomm run` does: a process per step re-imports Dagster, dbt and GX for
        # each of ~30 steps (over 3 minutes before dbt starts, on 2 cores)
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
