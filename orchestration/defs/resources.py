"""Dagster resources: where the warehouse lives."""

import contextlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.paths import DBT_TARGET, DEFAULT_WAREHOUSE, RUN_LOG


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
        return self.root / DBT_TARGET

    @property
    def run_log(self) -> Path:
        """The log of the last run (dbt's text log and the steps' output)."""
        return self.root / RUN_LOG

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection to the build database, closed on exit so dbt can open it.

        Within shared_connections() (a `scomm run`), it is a new connection (cursor) to the one
        database this process keeps open between steps — opening the file costs ≈15 ms, a
        run's steps opened it ≈35 times — which release_connections() closes before dbt or
        the publish opens the file. Each cursor has its own transaction (and its own local
        settings; a global SET would carry over, none is used), as a connection of its own
        had. ``read_only`` is then not enforced.

        If the file is locked — a dbt process orphaned by a killed run still finishing — wait
        for it (up to LOCK_WAIT_S) instead of failing: the next run needs no manual cleanup."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not _sharing:
            con = connect_waiting(self.build_db, read_only)
            try:
                yield con
            finally:
                con.close()
            return
        database = _shared.get(self.build_db)
        if database is None:
            database = _shared[self.build_db] = connect_waiting(self.build_db, False)
        con = database.cursor()
        try:
            yield con
        except BaseException:
            con.close()
            # a fatal error (a full disk) invalidates the database: the next step opens the
            # file again and reports its own error, not "database invalidated"
            try:
                database.execute("select 1")
            except duckdb.Error:
                release_connections()
            raise
        else:
            con.close()


_shared: dict[Path, duckdb.DuckDBPyConnection] = {}
_sharing = False


@contextmanager
def shared_connections() -> Iterator[None]:
    """Inside: WarehouseResource.connect() keeps the build database open between steps (one
    process, one step at a time: the in-process executor); closed on the way out."""
    global _sharing
    _sharing = True
    try:
        yield
    finally:
        _sharing = False
        release_connections()


def release_connections() -> None:
    """Close the build database kept open by shared_connections(): before another process
    (dbt's worker) or another database instance (the publish) opens the file."""
    while _shared:
        _, database = _shared.popitem()
        with contextlib.suppress(duckdb.Error):  # an invalidated database closes with an error
            database.close()


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
