"""Publishing: copy the validated marts into a fresh, versioned serving file
(`published/marts-<time>-<run>.duckdb`), then atomically swap the symlink
data/warehouse/marts.duckdb to it. Readers (dashboards, `scomm sql`, the DuckDB CLI) only ever
open the serving file, so they never take the build database's lock and never see a half-written
state: a reader holding the old version keeps reading it; the next open sees the new one.

Why versioned files behind a symlink rather than renaming a file over marts.duckdb: DuckDB caches
open databases by path inside a process, so a long-running reader (the dashboard) that still has
a connection open would keep getting the replaced file for new connections too. Readers resolve
the symlink and connect to the version's own path, which is new for every publication. The last
few versions are kept, so a reader in the middle of a query is never cut off."""

import datetime as dt
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.keys import SERVING, mart_key
from orchestration.defs.resources import WarehouseResource, release_connections
from orchestration.dictionary.comments import write_comments
from orchestration.dictionary.manifest import TableDoc
from orchestration.faults import checkpoint
from orchestration.ingest.build_state import mark_published
from orchestration.ingest.cases.completeness import (
    Acceptance,
    Drop,
    accepted,
    compared_years,
    drops,
    loaded_by,
)
from orchestration.ingest.raw_tables import scalar
from orchestration.sources.catalog import publication_status


def status_note(statuses: dict[str, str]) -> str:
    """`real: population, …; synthetic: interop; not loaded: figures` for readers."""
    by_status: dict[str, list[str]] = {}
    for source, status in sorted(statuses.items()):
        by_status.setdefault(status, []).append(source)
    order = ("real", "synthetic", "unverified", "not loaded")
    return "; ".join(f"{s}: {', '.join(by_status[s])}" for s in order if s in by_status)


# Which tables are published is declared in dbt (tag `published` on the model, read from the
# manifest by defs/dbt.py); this module publishes whatever list it is given.


KEEP_VERSIONS = 3


@dataclass(frozen=True)
class SmallerRelease:
    """A case release the operator accepted although the completeness gate found drops."""

    acceptance: Acceptance
    drops: list[Drop]

    def columns(self) -> tuple[str, str, str]:
        """_publication's accepted_smaller_by, _reason and _years."""
        return self.acceptance.by, self.acceptance.reason, "; ".join(map(str, self.drops))


def smaller_release(
    warehouse: WarehouseResource, run_id: str, tags: Mapping[str, str]
) -> SmallerRelease | None:
    """The smaller release this run published on the operator's word: its acceptance (run
    tags) and the drops the completeness gate found in this run's case load (None when the
    run carries no acceptance, loaded no cases, or nothing dropped)."""
    acceptance = accepted(tags)
    if acceptance is None:
        return None
    from orchestration.sources.catalog import load_sources

    with warehouse.connect(read_only=True) as con:
        if not loaded_by(con, run_id):
            return None
        found = drops(compared_years(con, run_id), load_sources()["cases"].completeness_max_drop)
    return SmallerRelease(acceptance, found) if found else None


# The storage format the published file is written in: the pinned engine (DuckDB 2.x) writes its
# own newer format by default, which DuckDB 1.x refuses to open ("newer version of DuckDB"). BI
# tools, R and notebooks embed their own DuckDB, mostly 1.x, so the serving file is written in the
# format of DuckDB 1.0.0, which every DuckDB from 1.0.0 on opens (tests/test_compat.py opens it
# with a real 1.x client). The build database keeps the engine's own format: only we open it.
STORAGE_VERSION = "v1.0.0"


def publish_marts(
    build_db: Path,
    serving_db: Path,
    run_id: str,
    tables: list[str],
    docs: Mapping[str, TableDoc] | None = None,
    smaller: SmallerRelease | None = None,
) -> dict[str, int]:
    """Write every published table to a new version file, with each table's and column's
    description from ``docs`` as a DuckDB comment, then atomically point ``serving_db`` (a
    symlink) at it. On any error the published version is untouched. ``smaller``: the
    operator's acceptance of a smaller case release, recorded in _publication."""
    versions = serving_db.parent / "published"
    versions.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(versions, serving_db)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    version = versions / f"{serving_db.stem}-{stamp}-{run_id[:8]}.duckdb"
    tmp = versions / f".{version.name}.tmp"
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    try:
        con = duckdb.connect()
        try:
            con.execute(f"attach ? as pub (storage_version '{STORAGE_VERSION}')", [str(tmp)])
            con.execute("use pub")  # `main.` below is the new file's
            con.execute("attach ? as build (read_only)", [str(build_db)])
            for table in tables:
                con.execute(f"create table main.{table} as select * from build.marts.{table}")
                counts[table] = scalar(con, f"select count(*) from main.{table}")
            # per source: what was loaded, whether it is real, its terms (raw._source_loads)
            con.execute(
                "create table main._publication_sources as select source, data_status, files, "
                "sha256, publisher, license, rows, load_id, loaded_at "
                "from build.raw._source_loads order by source"
            )
            statuses = dict(
                con.execute("select source, data_status from main._publication_sources").fetchall()
            )
            # what each source's tables were built from (sources/fingerprint.py): the next
            # `scomm run` compares its inputs with these to find what changed
            con.execute(
                "create table main._publication_inputs (source varchar, fingerprint varchar)"
            )
            if scalar(
                con,
                "select count(*) from duckdb_tables() where database_name = 'build' "
                "and schema_name = 'raw' and table_name = '_source_fingerprints'",
            ):
                con.execute(
                    "insert into main._publication_inputs select source, fingerprint "
                    "from build.raw._source_fingerprints order by source"
                )
            sources = con.execute(
                "select * from (select unnest(files) as file, unnest(sha256) as sha "
                "from main._publication_sources) order by 1"
            ).fetchall()
            con.execute(
                "create table main._publication_tables (table_name varchar, row_count bigint, "
                "content_md5 varchar)"
            )
            for table in tables:
                con.execute(
                    "insert into main._publication_tables values (?, ?, ?)",
                    [table, counts[table], content_checksum(con, f"main.{table}")],
                )
            con.execute(
                "create table main._publication as select ? as run_id, ? as published_at, "
                "? as duckdb_version, ? as storage_version, ? as sources, ? as data_status, "
                "? as data_status_note, cast(? as varchar) as accepted_smaller_by, "
                "cast(? as varchar) as accepted_smaller_reason, "
                "cast(? as varchar) as accepted_smaller_years",
                [
                    run_id,
                    dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    duckdb.__version__,
                    STORAGE_VERSION,
                    "; ".join(f"{f} (sha256 {s})" for f, s in sources),
                    publication_status(statuses),
                    status_note(statuses),
                    *(smaller.columns() if smaller else (None, None, None)),
                ],
            )
            con.execute("detach build")
            # what every table and column means, from dbt's yml (dictionary/manifest.py)
            write_comments(con, "pub", docs or {})
            con.execute("checkpoint pub")
        finally:
            con.close()
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, version)
        link = serving_db.with_name(f".{serving_db.name}.{run_id}.link")
        link.unlink(missing_ok=True)
        link.symlink_to(version.relative_to(serving_db.parent))
        checkpoint("publish-before-swap")
        os.replace(link, serving_db)  # atomic: readers see the old target or the new one
        checkpoint("publish-after-swap")
        for folder in (versions, serving_db.parent):
            _fsync_dir(folder)
    finally:
        tmp.unlink(missing_ok=True)
    _prune(versions, keep=serving_db.resolve())
    return counts


def content_checksum(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """md5 of the table's rows, rendered as text and sorted: equal iff the content is equal,
    whatever the physical row order."""
    return scalar(
        con,
        f"select md5(coalesce(string_agg(cast(t as varchar), chr(10) "
        f"order by cast(t as varchar)), '')) from {table} t",
    )


def _remove_leftovers(versions: Path, serving_db: Path) -> None:
    """A run killed mid-publish leaves a .tmp version or a .link; the run lock guarantees no
    other publish is in flight, so they can go. A reader that opened a version without its own
    temp_directory (the DuckDB CLI; scomm's readers spill outside the warehouse) leaves a spill
    folder `<version>.duckdb.tmp`: removed once empty or once its version is gone."""
    for leftover in [
        *versions.glob(".*.tmp"),
        *versions.glob(".*.tmp.wal"),
        *serving_db.parent.glob(f".{serving_db.name}.*.link"),
    ]:
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    for spill in versions.glob("*.duckdb.tmp"):
        if spill.is_dir() and not spill.with_suffix("").exists():
            shutil.rmtree(spill, ignore_errors=True)
        elif spill.is_dir() and not any(spill.iterdir()):
            spill.rmdir()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(versions: Path, keep: Path) -> None:
    """Delete all but the newest KEEP_VERSIONS version files (never the current one). A reader
    still holding a deleted version keeps reading it: the OS frees it when the reader closes."""
    files = sorted(versions.glob("*.duckdb"), key=lambda p: p.name, reverse=True)
    for old in files[KEEP_VERSIONS:]:
        if old.resolve() != keep:
            old.unlink(missing_ok=True)
            Path(str(old) + ".wal").unlink(missing_ok=True)
            shutil.rmtree(Path(str(old) + ".tmp"), ignore_errors=True)  # a reader's spill


def publish_asset(
    tables: list[str], docs: Mapping[str, TableDoc] | None = None
) -> dg.AssetsDefinition:
    """The publish asset over ``tables``, the models dbt tags `published`; ``docs`` describes
    them and the publication's own tables (dbt's yml, through the manifest)."""

    @dg.asset(
        key=SERVING, deps=[mart_key(t) for t in tables], group_name="publish", kinds={"duckdb"}
    )
    def published_marts(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        """The serving file `marts.duckdb` that dashboards and ad hoc SQL read: every mart, the
        jurisdiction dimension, the long severity fact and the QA tables, plus `_publication` (run,
        time, source files and their sha256). Replaced atomically, only after every blocking check
        passed."""
        smaller = smaller_release(warehouse, context.run_id, context.run.tags)
        release_connections()  # the publish attaches the file in a database of its own
        counts = publish_marts(
            warehouse.build_db, warehouse.serving_db, context.run_id, tables, docs, smaller
        )
        with warehouse.connect() as con:  # this load's case counts become the completeness baseline
            con.execute(
                "update raw.cases_load_counts set published = true where load_id = ?",
                [context.run_id],
            )
            # this database now holds what was published (ingest/build_state.py)
            mark_published(con)
        return dg.MaterializeResult(
            metadata={
                "path": str(warehouse.serving_db),
                **{f"rows_{t}": n for t, n in counts.items()},
            }
        )

    return published_marts
