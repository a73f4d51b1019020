"""Dagster resources: where the warehouse lives."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.paths import DEFAULT_WAREHOUSE, RUN_LOG


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse folder: the build database (one writer: this pipeline), the published
    serving file that readers open, and dbt's target folder."""

    warehouse_dir: str = str(DEFAULT_WAREHOUSE)

    @property
    def root(self) -> Path:
        return Path(self.warehouse_dir).resolve()

    @property
    def build_db(self) -> Path:
        return self.root / "build.duckdb"

    @property
    def serving_db(self) -> Path:
        return self.root / "marts.duckdb"

    @property
    def dbt_target_dir(self) -> Path:
        return self.root / "dbt" / "target"

    @property
    def run_log(self) -> Path:
        """The log of the last run (dbt's text log and the steps' output)."""
        return self.root / RUN_LOG

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection to the build database, closed on exit so dbt can open it.

        If the file is locked — a dbt process orphaned by a killed run still finishing — wait
        for it (up to LOCK_WAIT_S) instead of failing: the next run needs no manual cleanup."""
        self.root.mkdir(parents=True, exist_ok=True)
        con = connect_waiting(self.build_db, read_only)
        try:
            yield con
        finally:
            con.close()


LOCK_WAIT_S = 120.0


def connect_waiting(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + LOCK_WAIT_S
    delay = 0.2
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
