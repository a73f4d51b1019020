"""The sealed connection to the published file (marts.duckdb) for the dashboard, `scomm sql` and
`scomm export`: read-only, short-lived, within fixed limits (QueryLimits) and a time limit,
its configuration locked. Every connection is short-lived and read-only, so readers never hold a
lock the pipeline needs and each new connection sees the latest complete publication."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from orchestration.paths import RUN_LOG
from orchestration.tempdirs import owned_tempdir, sweep_dead

T = TypeVar("T")


class PublishedFileMissing(FileNotFoundError):
    pass


@dataclass(frozen=True)
class QueryLimits:
    """What one reader of the published file may use: every connection `published()` opens
    (scomm sql, the dashboard, export) gets these, and the configuration is locked after them,
    so no query can raise its own limits, turn on logging or profiling, or move its spill."""

    timeout_s: float | None = 60.0  # the query and the fetching of its rows; None: no limit
    memory_limit: str = "2GB"
    threads: int = 2
    max_temp_size: str = "4GB"  # spill to disk, in a temporary folder outside the warehouse


DEFAULT_LIMITS = QueryLimits()


class QueryTimedOut(RuntimeError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out after {seconds:g} s")
        self.seconds = seconds


class _SpillFolder:
    """One temporary folder per process for every open connection's spill (DuckDB shares one
    database instance per file inside a process, so concurrent connections must have the same
    configuration): created with the first connection, removed when the last one closes. In the
    system's temporary folder ($TMPDIR), never in the warehouse, where a spill could fill the
    disk the next publication needs. Named after this process (tempdirs.py): the first folder a
    process creates comes after removing those of readers that are gone (killed: no exit
    handler ran), which may hold gigabytes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._path: Path | None = None
        self._swept = False

    def acquire(self) -> Path:
        with self._lock:
            if self._path is None:
                if not self._swept:
                    sweep_spills()
                    self._swept = True
                self._path = owned_tempdir("query-spill")
            self._users += 1
            return self._path

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._path is not None:
                shutil.rmtree(self._path, ignore_errors=True)
                self._path = None


_SPILL = _SpillFolder()


def sweep_spills() -> list[Path]:
    """Remove the spill folders of readers (`scomm sql`, `scomm export`, dashboards) that are
    gone; never a live one's. `scomm sql`, `scomm run` and a dashboard's start call it."""
    return sweep_dead("query-spill")


class _Watchdog:
    """Interrupts the connection's query once ``seconds`` have passed, and keeps interrupting
    until stopped: DuckDB clears an interrupt when the next query starts, and it has no statement
    timeout of its own."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float | None) -> None:
        self.fired = False
        self._con = con
        self._seconds = seconds
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="scomm-query-timeout")
        if seconds is not None:
            self._thread.start()

    def _run(self) -> None:
        assert self._seconds is not None
        if self._done.wait(self._seconds):
            return
        self.fired = True
        while not self._done.is_set():
            self._con.interrupt()
            self._done.wait(0.05)

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()


def not_published_yet(path: Path) -> str:
    """Why there is no published file at ``path`` (WAREHOUSE/marts.duckdb) and the command that
    builds that warehouse: a folder that does not exist (a typo?) is told from one with no
    publication yet."""
    folder = path.parent
    build = f"`scomm run --warehouse {folder}`"
    if not folder.exists():
        return f"no warehouse folder {folder} (a typo?); {build} builds a warehouse there"
    if (folder / "build.duckdb").exists():
        return (
            f"{folder} has no published marts.duckdb: no run there has published yet (see "
            f"{folder / RUN_LOG}); {build} builds and publishes it"
        )
    return f"{folder} has no published marts.duckdb yet: {build} builds it"


@contextmanager
def published(
    path: Path, external_access: bool = False, limits: QueryLimits = DEFAULT_LIMITS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection within ``limits``, its configuration locked; without external
    access unless a caller (export) needs to write files. Closed on exit; a query still running
    when the time limit passes is interrupted and the block raises QueryTimedOut."""
    if not path.exists():
        raise PublishedFileMissing(not_published_yet(path))
    spill = _SPILL.acquire()
    try:
        # Connect to the version the symlink points at now (see publish.py): a new path per
        # publication, so DuckDB's per-process cache never hands back a replaced version.
        con = duckdb.connect(
            str(path.resolve()),
            read_only=True,
            config={
                "enable_external_access": external_access,
                "memory_limit": limits.memory_limit,
                "threads": limits.threads,
                "temp_directory": str(spill),
                "max_temp_directory_size": limits.max_temp_size,
                "lock_configuration": True,
            },
        )
        _VERSION_OF[id(con)] = str(path.resolve())
        watchdog = _Watchdog(con, limits.timeout_s)
        try:
            yield con
        except duckdb.InterruptException as exc:
            if watchdog.fired and limits.timeout_s is not None:
                raise QueryTimedOut(limits.timeout_s) from exc
            raise
        finally:
            watchdog.stop()
            _VERSION_OF.pop(id(con), None)
            con.close()
    finally:
        _SPILL.release()


READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})


class QueryRefused(ValueError):
    pass


def check_query(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Ad hoc SQL runs queries only: every statement must be a SELECT (WITH, FROM, DESCRIBE,
    SHOW, SUMMARIZE are SELECTs to DuckDB) or an EXPLAIN. SET/RESET, PRAGMA, CALL (logging,
    profiling, checkpoints), ATTACH, INSTALL/LOAD, COPY, EXPORT and every write are refused with
    one line, before anything runs. A syntax error is left for DuckDB to report."""
    try:
        statements = con.extract_statements(query)
    except duckdb.ParserException:
        return
    try:
        kinds = [s.type.name for s in statements if s.type not in READ_STATEMENTS]
    except ValueError:  # a statement type this DuckDB binding has no name for (UPDATE EXTENSIONS)
        kinds = ["unsupported"]
    if kinds:
        raise QueryRefused(
            "refused: the published file is read-only for ad hoc SQL and its limits are fixed: "
            f"{kinds[0]} statements do not run here; only queries do (SELECT, WITH, FROM, "
            "DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)"
        )


def limit_message(exc: duckdb.Error, limits: QueryLimits) -> str | None:
    """A one-line explanation when ``exc`` is a query hitting the memory or spill limit."""
    if not isinstance(exc, duckdb.OutOfMemoryException):
        return None
    detail = str(exc).splitlines()[0].removeprefix("Out of Memory Error: ").rstrip(".")
    if "max_temp_directory_size" in str(exc):
        return (
            f"out of disk for spilling: the query needs more than {limits.max_temp_size} of "
            f"temporary files ({detail}); narrow the query or raise --max-temp-size"
        )
    return (
        f"out of memory: the query needs more than {limits.memory_limit} ({detail}) even "
        f"spilling to disk; narrow the query or raise --memory-limit"
    )


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


# A published version is never changed after it is written (publish.py writes a new file per
# publication), so what is read from its structure and small lists can be kept per version path.
_BY_VERSION: dict[tuple[str, str], Any] = {}
_VERSION_OF: dict[int, str] = {}  # open connection (id) -> the version file it reads


def per_version(con: duckdb.DuckDBPyConnection, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per published version (the database file's path) and ``name``."""
    version = _VERSION_OF.get(id(con))
    if version is None:  # a connection not opened by published()
        found = con.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        version = str(found[0] if found else "")
    key = (version, name)
    if key not in _BY_VERSION:
        if len(_BY_VERSION) > 64:
            _BY_VERSION.clear()
        _BY_VERSION[key] = compute()
    return _BY_VERSION[key]


def published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return per_version(
        con,
        "tables",
        lambda: [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main' "
                "and database_name = current_database() order by table_name"
            ).fetchall()
        ],
    )
