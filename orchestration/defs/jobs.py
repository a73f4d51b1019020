"""The job that materializes everything (a full load), the case-records job (an incremental
load of some fiscal years), the monthly schedule and the inbox sensor."""

import os
from pathlib import Path

import dagster as dg

from orchestration.defs.partitions import fiscal_year_tags
from orchestration.defs.raw import run_config_for
from orchestration.paths import DEFAULT_INBOX

scomm_job = dg.define_asset_job(
    "scomm_job",
    selection=dg.AssetSelection.all(),
    description="Ingest → validate → dbt build → validate marts → publish marts.duckdb.",
)

cases_job = dg.define_asset_job(
    "cases_job",
    selection=dg.AssetSelection.assets(["raw", "cases"]).downstream(),
    description="Case records of some fiscal years (a partition range) → the case lineage only: "
    "case matches, the case dbt models (incremental by fiscal year) and the marts "
    "built on the facts, their checks, publish. Needs a warehouse built by scomm_job.",
)


@dg.schedule(
    job=scomm_job, cron_schedule="0 6 2 * *", execution_timezone="UTC", name="monthly_refresh"
)
def monthly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """ICE published monthly; a full refresh early on the 2nd (every fiscal year)."""
    return dg.RunRequest(tags=fiscal_year_tags())


def inbox_dir() -> Path:
    return Path(os.environ.get("SCOMM_INBOX", DEFAULT_INBOX))


def interop_run_config(path: Path) -> dict:
    return run_config_for({"interop": path})


def sensor_interval_s() -> int:
    """Seconds between the inbox sensor's ticks: 60, or SCOMM_SENSOR_INTERVAL_S (read when the
    code location loads; the daemon's end-to-end test sets a few seconds)."""
    return int(os.environ.get("SCOMM_SENSOR_INTERVAL_S", "60"))


@dg.sensor(
    job=scomm_job,
    minimum_interval_seconds=sensor_interval_s(),
    description="Starts a run for each new or changed CSV dropped in data/inbox/.",
)
def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    folder = inbox_dir()
    requests = []
    if folder.is_dir():
        for path in sorted(folder.glob("*.csv")):
            stat = path.stat()
            requests.append(
                dg.RunRequest(
                    run_key=f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}",
                    run_config=interop_run_config(path.resolve()),
                    tags=fiscal_year_tags(),
                )
            )
    return dg.SensorResult(run_requests=requests)
