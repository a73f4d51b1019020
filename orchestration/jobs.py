"""The one job that materializes everything, its monthly schedule and the inbox sensor."""


import os
from pathlib import Path

import dagster as dg

from orchestration.paths import DEFAULT_INBOX

scomm_job = dg.define_asset_job(
    "scomm_job",
    selection=dg.AssetSelection.all(),
    description="Ingest → validate → dbt build → validate marts → publish marts.duckdb.",
)

monthly_refresh = dg.ScheduleDefinition(
    name="monthly_refresh",
    job=scomm_job,
    cron_schedule="0 6 2 * *",  # ICE published monthly; refresh early on the 2nd
    execution_timezone="UTC",
)


def inbox_dir() -> Path:
    return Path(os.environ.get("SCOMM_INBOX", DEFAULT_INBOX))


def interop_run_config(path: Path) -> dict:
    from orchestration.assets_ingest import run_config_for

    return run_config_for({"interop": path})


@dg.sensor(job=scomm_job, minimum_interval_seconds=60,
           description="Starts a run for each new or changed CSV dropped in data/inbox/.")
def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    folder = inbox_dir()
    requests = []
    if folder.is_dir():
        for path in sorted(folder.glob("*.csv")):
            stat = path.stat()
            requests.append(dg.RunRequest(
                run_key=f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}",
                run_config=interop_run_config(path.resolve()),
            ))
    return dg.SensorResult(run_requests=requests)
