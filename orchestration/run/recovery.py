"""Before a run, under the run lock: what a failed run left in the build database goes."""

from __future__ import annotations

from pathlib import Path


def recover_build_database(warehouse: Path) -> list[str]:
    """Before a run, under the run lock: what a failed run left behind goes, so no run depends
    on it. The build database is opened (waiting for an orphaned dbt process's lock), which
    replays a write-ahead log left by a run that could not checkpoint (disk full at publish),
    and checkpointed. A log that cannot be replayed (torn by the full disk) is removed and the
    database is used as of its last checkpoint: every table a run reads is reloaded or was
    checkpointed by the last successful run. A log still there after a clean checkpoint is
    stale and removed; so is the build database's spill folder. Best effort: never raises (a
    database that cannot be opened fails the run's first step with its own message). Returns
    notes for the run's summary."""
    import shutil

    import duckdb

    from orchestration.defs.resources import connect_waiting

    build = warehouse / "build.duckdb"
    wal = build.with_name(build.name + ".wal")
    notes: list[str] = []
    if build.exists():
        try:
            try:
                con = connect_waiting(build, read_only=False)
            except duckdb.Error as exc:
                if not wal.exists() or "wal" not in str(exc).lower():
                    raise
                wal.unlink()
                notes.append(
                    f"{wal} (left by a failed run) could not be replayed "
                    f"({str(exc).splitlines()[0]}): removed; the build database is used as of "
                    "its last checkpoint"
                )
                con = connect_waiting(build, read_only=False)
            try:
                con.execute("checkpoint")
            finally:
                con.close()
        except duckdb.Error:
            return notes
    if wal.exists():
        wal.unlink()
        notes.append(f"{wal}: a stale write-ahead log (not replayable) removed")
    shutil.rmtree(build.with_name(build.name + ".tmp"), ignore_errors=True)
    return notes
