"""Publishing: copy the validated marts into a fresh serving file, then atomically rename it over
data/warehouse/marts.duckdb. Readers (dashboards, `scomm sql`, the DuckDB CLI) only ever open the
serving file, so they never take the build database's lock and never see a half-written state: a
reader holding the old file keeps reading the old version; the next open sees the new one."""


import datetime as dt
import os
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.resources import WarehouseResource

PUBLISHED_TABLES: tuple[str, ...] = (
    "dim_jurisdiction",
    "fct_referrals_by_severity",
    "mart_jurisdiction_year",
    "mart_state_year",
    "mart_national_year",
    "mart_rollout",
    "qa_interop_quarantined_reports",
    "qa_interop_restatements",
)
SERVING = dg.AssetKey(["serving", "marts"])
RAW_TABLES = ("interop_reports", "census_population", "acs_noncitizen", "sc_activation_panel")


def publish_marts(build_db: Path, serving_db: Path, run_id: str) -> dict[str, int]:
    """Write every published table to a temporary file next to ``serving_db``, then
    ``os.replace`` it into place (atomic on POSIX). On any error the old file is untouched."""
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving_db.with_name(f".{serving_db.name}.{run_id}.tmp")
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute("attach ? as build (read_only)", [str(build_db)])
            for table in PUBLISHED_TABLES:
                con.execute(f"create table main.{table} as select * from build.marts.{table}")
                counts[table] = con.execute(f"select count(*) from main.{table}").fetchone()[0]
            sources = con.execute(
                " union ".join(f"select distinct _source_file, _source_sha256 from build.raw.{t}"
                               for t in RAW_TABLES) + " order by 1"
            ).fetchall()
            con.execute(
                "create table main._publication as select ? as run_id, ? as published_at, "
                "? as duckdb_version, ? as sources",
                [run_id, dt.datetime.now(dt.UTC).replace(tzinfo=None), duckdb.__version__,
                 "; ".join(f"{f} (sha256 {s})" for f, s in sources)],
            )
            con.execute("detach build")
            con.execute("checkpoint")
        finally:
            con.close()
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, serving_db)
        dir_fd = os.open(serving_db.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        tmp.unlink(missing_ok=True)
    return counts


@dg.asset(
    key=SERVING,
    deps=[dg.AssetKey(["marts", t]) for t in PUBLISHED_TABLES],
    group_name="publish",
    kinds={"duckdb"},
)
def published_marts(context: dg.AssetExecutionContext,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The serving file `marts.duckdb` that dashboards and ad hoc SQL read: every mart, the
    jurisdiction dimension, the long severity fact and the QA tables, plus `_publication` (run,
    time, source files and their sha256). Replaced atomically, only after every blocking check
    passed."""
    counts = publish_marts(warehouse.build_db, warehouse.serving_db, context.run_id)
    return dg.MaterializeResult(
        metadata={"path": str(warehouse.serving_db),
                  **{f"rows_{t}": n for t, n in counts.items()}}
    )
