"""Dagster resources: where the warehouse lives and which source files a run loads."""


from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.paths import DEFAULT_WAREHOUSE, SAMPLE_INTEROP


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

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection to the build database, closed on exit so dbt can open it."""
        self.root.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.build_db), read_only=read_only)
        try:
            yield con
        finally:
            con.close()


class SourcesResource(dg.ConfigurableResource):
    """Input files for one run, by source name. Defaults to the embedded synthetic sample."""

    interop: str = str(SAMPLE_INTEROP)
