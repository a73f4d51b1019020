"""What the build database holds, per source, as fingerprints (orchestration/sources/
fingerprint.py), in two tables of its `raw` schema:

* `raw._source_fingerprints` — what each source's raw tables were last loaded from (written by
  the source asset with the load);
* `raw._build_state` — the sources whose tables in this database, raw and built, are exactly
  what the current publication was built from. A run forgets the sources it is about to
  rebuild *before* it touches anything; only a successful publish writes them back. So a run
  that fails or is killed anywhere leaves its sources out of it, and the next run rebuilds them
  even when its inputs equal the published ones.

A run may reuse a source's tables only when it is in `raw._build_state` with the published
fingerprint."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

FINGERPRINTS = "raw._source_fingerprints"
BUILD_STATE = "raw._build_state"


def _ensure(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        f"create table if not exists {table} (source varchar primary key, fingerprint varchar)"
    )


def record_fingerprint(con: duckdb.DuckDBPyConnection, source: str, fingerprint: str) -> None:
    _ensure(con, FINGERPRINTS)
    con.execute(f"delete from {FINGERPRINTS} where source = ?", [source])
    con.execute(f"insert into {FINGERPRINTS} values (?, ?)", [source, fingerprint])


def loaded_fingerprint(con: duckdb.DuckDBPyConnection, source: str) -> str | None:
    _ensure(con, FINGERPRINTS)
    row = con.execute(f"select fingerprint from {FINGERPRINTS} where source = ?", [source])
    found = row.fetchone()
    return found[0] if found else None


def forget(build_db: Path, sources: Iterable[str] | None) -> None:
    """Before a run: these sources (None: all) are no longer as published in this database."""
    if not build_db.exists():
        return
    with _connect_waiting(build_db) as con:
        _ensure(con, BUILD_STATE)
        if sources is None:
            con.execute(f"delete from {BUILD_STATE}")
        else:
            for source in sources:
                con.execute(f"delete from {BUILD_STATE} where source = ?", [source])
        con.execute("checkpoint")


def mark_published(con: duckdb.DuckDBPyConnection) -> None:
    """After a successful publish: every source's tables are what was just published."""
    _ensure(con, FINGERPRINTS)
    _ensure(con, BUILD_STATE)
    con.execute(f"delete from {BUILD_STATE}")
    con.execute(f"insert into {BUILD_STATE} select source, fingerprint from {FINGERPRINTS}")


def clean_sources(build_db: Path) -> dict[str, str]:
    """{source: fingerprint} of the sources this database holds as published ({} when there
    is no database or it cannot be read)."""
    if not build_db.exists():
        return {}
    try:
        with duckdb.connect(str(build_db), read_only=True) as con:
            exists = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'raw' and table_name = '_build_state'"
            ).fetchone()
            if not exists or not exists[0]:
                return {}
            return dict(con.execute(f"select source, fingerprint from {BUILD_STATE}").fetchall())
    except duckdb.Error:
        return {}


def _connect_waiting(build_db: Path, wait_s: float = 120.0) -> duckdb.DuckDBPyConnection:
    """A write connection, waiting while another process (a dbt process orphaned by a killed
    run, still finishing) holds the file's lock."""
    import time

    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(str(build_db))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
