"""Running a job and reporting it, without the command line: one run per warehouse at a time
(the lock), the in-process execution of scomm_job or cases_job, what happened (RunReport: checks
passed and failed, step errors, notes) and the row accounting of a run (every raw row read is
loaded or quarantined)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.paths import DBT_TARGET, RUN_LOG


class WarehouseBusy(RuntimeError):
    """Another run holds this warehouse."""


@contextlib.contextmanager
def warehouse_lock(warehouse: Path) -> Iterator[None]:
    """One run per warehouse at a time: a second one refuses instead of fighting over DuckDB's
    single-writer lock. The OS releases the lock if the process dies, so no manual cleanup."""
    warehouse.mkdir(parents=True, exist_ok=True)
    handle = (warehouse / ".run.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise WarehouseBusy(
            f"another scomm run is using {warehouse}; wait for it to finish"
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


@dataclass
class RunReport:
    success: bool
    step_errors: list[str] = field(default_factory=list)
    checks_passed: list[str] = field(default_factory=list)
    checks_failed: list[tuple[str, str, bool]] = field(default_factory=list)  # name, text, blocking
    skipped_steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. extra columns accepted
    run_id: str = ""


# terminal control sequences (colours from dbt's log lines: ESC [ 31 m …) and other escapes
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def plain_text(message: str) -> str:
    """``message`` without terminal control sequences: a refusal prints as text, never as
    colour codes (a safety net under every step error and check message)."""
    return ANSI.sub("", message)


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


def _root_error(error):
    """The user-facing error inside Dagster's wrappers (a SerializableErrorInfo chain): our own
    errors (InputFileError …) already name file, line and column, so stop at the first
    non-Dagster error instead of descending into the library error it was raised from."""
    while (
        error is not None
        and error.cause is not None
        and ((error.cls_name or "").startswith("Dagster"))
    ):
        error = error.cause
    return error


def _root_cause(error) -> str:
    """The root error's message, without the module path of our own exception classes."""
    error = _root_error(error)
    if error is None:
        return "unknown error"
    if error.cls_name == "DagsterExecutionInterruptedError":
        return "interrupted (Ctrl-C or SIGINT) during this step"
    message = plain_text(error.message.strip())
    # our own errors speak for themselves: drop "orchestration.ingest.common.InputFileError: "
    prefix, sep, rest = message.partition(f"{error.cls_name}: ")
    if sep and prefix.startswith("orchestration."):
        return rest.strip()
    return message


# The warnings the embedded sample (data/sample/generate.py) triggers on purpose, to show the check
# at work: check → (the source whose sample file causes it, what the sample carries).
SAMPLE_ON_PURPOSE = {
    "interop_restatements_suite": (
        "interop",
        "one restatement (Travis County TX, FY2012: a cumulative count that goes down)",
    ),
    "all_287g_agencies_placed": (
        "g287",
        "a 287(g) agency of a place that does not exist (Exampleville Police Department, TX)",
    ),
}


def on_purpose(check: str, sample_sources: set[str]) -> str | None:
    """`expected: …` when ``check`` warned because the embedded sample carries its case on
    purpose (its source was loaded from the sample), else None."""
    source, what = SAMPLE_ON_PURPOSE.get(check, (None, ""))
    if source in sample_sources:
        return f"expected: the embedded sample carries {what} on purpose"
    return None


def sample_sources(warehouse: Path) -> set[str]:
    """The sources whose current load is the embedded synthetic sample."""
    import duckdb

    try:
        with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
            return {
                r[0]
                for r in con.execute(
                    "select source from raw._source_loads where data_status = 'synthetic'"
                ).fetchall()
            }
    except duckdb.Error:
        return set()


def execute(
    warehouse: Path,
    sources: dict[str, Path],
    fiscal_years: tuple[int, int] | None = None,
    only: set[str] | None = None,
) -> RunReport:
    """Run the scomm job in process against ``warehouse`` and collect what happened; with
    ``fiscal_years`` (first, last), the cases job for those fiscal years instead; with
    ``only``, just those sources and everything downstream of them (a partial run)."""
    return execute_with_result(warehouse, sources, fiscal_years, only)[0]


def start_workers() -> None:
    """The run's two helper processes: the Great Expectations worker, forked now (before
    Dagster is imported or any thread starts, which makes a plain fork safe), which imports GX
    (≈2.5 s) while this process imports Dagster and dbt and then validates on request
    (validation/gx.py); and dbt's worker, forked by the run once it has imported dbt, which
    builds the dbt models on the second core while this process handles their results
    (defs/dbt_runner.py). Runs without them (the daemon's, tests' execute()) do both in this
    process."""
    from orchestration.defs import dbt_runner
    from orchestration.validation import gx

    gx.start_worker()
    dbt_runner.want_worker()


def stop_workers() -> None:
    from orchestration.defs import dbt_runner
    from orchestration.validation import gx

    gx.stop_worker()
    dbt_runner.stop_worker()


PARTIAL_JOB = "scomm_partial"


def execute_with_result(
    warehouse: Path,
    sources: dict,
    fiscal_years: tuple[int, int] | None = None,
    only: set[str] | None = None,
) -> tuple[RunReport, object]:
    """execute(), also returning Dagster's ExecuteInProcessResult (events, timings)."""
    warehouse = warehouse.resolve()
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.defs import dbt_runner
    from orchestration.defs.checks.common import discard_ahead
    from orchestration.defs.keys import SERVING
    from orchestration.defs.partitions import fiscal_year_tags
    from orchestration.defs.raw import SOURCE_ASSETS, run_config_for
    from orchestration.defs.resources import shared_connections
    from orchestration.ingest.build_state import forget

    # the run's log starts empty; dbt's worker (if `scomm run` wants one: forked now, with
    # Dagster and dbt imported) loads the manifest while this process builds the definitions
    # and runs the steps before dbt; what it prints is appended to the log
    log_path = warehouse / RUN_LOG
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text("", encoding="utf-8")
    running = dbt_runner.start_wanted_worker(log_path)
    if running is not None:
        running.warm(warehouse / DBT_TARGET, log_path)
    extra_jobs = []
    if fiscal_years is not None:
        job, rebuilt = "cases_job", {"cases"}
    elif only is not None:
        # the changed sources, their checks, everything downstream of them (the dbt models
        # built on them and their tests, the mart checks) and the publish; the rest of the
        # build database is reused as it was published
        job, rebuilt = PARTIAL_JOB, set(only)
        selection = dg.AssetSelection.assets(*(SOURCE_ASSETS[s].key for s in sorted(only)))
        extra_jobs.append(
            dg.define_asset_job(
                PARTIAL_JOB, selection=selection.downstream() | dg.AssetSelection.assets(SERVING)
            )
        )
        sources = {name: files for name, files in sources.items() if name in only}
    else:
        job, rebuilt = "scomm_job", None
    # before anything is touched: these sources are no longer as published in the build
    # database, until this run publishes (ingest/build_state.py)
    # what a failed run left behind goes first (a leftover write-ahead log is folded in or removed)
    recovered = recover_build_database(warehouse)
    forget(warehouse / "build.duckdb", rebuilt)
    defs = build_definitions(str(warehouse), extra_jobs=extra_jobs)
    # The summary below says what failed and why; Dagster's own console log would add stack
    # traces for expected failures (a blocking check), so only critical messages pass.
    run_config: dict = {
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
        **run_config_for(sources),
    }
    # dagster-dbt echoes every dbt event to stdout; keep it in the run's log, not the summary:
    # appended to (O_APPEND) by this process and by dbt's worker, whose dbt log goes here too
    with (
        log_path.open("a", encoding="utf-8", buffering=1) as log,
        contextlib.redirect_stdout(log),
        shared_connections(),
    ):
        result = defs.resolve_job_def(job).execute_in_process(
            run_config=run_config,
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
            tags=fiscal_year_tags(*(fiscal_years or ())),
        )
    discard_ahead(result.run_id)
    report = RunReport(success=result.success, run_id=result.run_id, notes=recovered)
    for event in result.all_events:
        kind = event.event_type_value
        data: Any = event.event_specific_data  # a union of every event's data class
        if kind == "STEP_FAILURE":
            root = _root_error(data.error)
            if root is not None and root.cls_name == "DagsterAssetCheckFailedError":
                continue  # a blocking check failed: its FAILED line below says which and why
            report.step_errors.append(f"{event.step_key}: {_root_cause(data.error)}")
        elif kind == "STEP_SKIPPED":
            report.skipped_steps.append(str(event.step_key))
        elif kind == "ASSET_MATERIALIZATION":
            meta = data.materialization.metadata or {}
            extra = meta.get("extra_columns")
            if extra is not None and extra.value:
                report.notes.append(
                    f"{meta['source_file'].value}: extra column(s) "
                    f"{list(extra.value)} accepted and kept in _extra_columns"
                )
        elif kind == "ASSET_CHECK_EVALUATION":
            if data.passed:
                report.checks_passed.append(data.check_name)
            else:
                blocking = data.severity.value == "ERROR"
                text = (
                    data.description
                    or json.dumps({k: str(v.value) for k, v in (data.metadata or {}).items()})[
                        :1500
                    ]
                )
                report.checks_failed.append((data.check_name, plain_text(text), blocking))
    # A blocking check that failed makes the run unsuccessful even if every step "succeeded".
    if any(blocking for _, _, blocking in report.checks_failed):
        report.success = False
    return report, result


def row_accounting(warehouse: Path, run_id: str) -> list[str]:
    """Every raw row this run read is either loaded into the facts or quarantined: say how many
    of each (tables this run did not reload are not reported)."""
    import duckdb

    from orchestration.ingest.common import first_row, scalar

    build = warehouse / "build.duckdb"
    if not build.exists():
        return []
    lines = []
    try:
        with duckdb.connect(str(build), read_only=True) as con:
            tables = {
                r[0]
                for r in con.execute(
                    "select table_schema || '.' || table_name from information_schema.tables"
                ).fetchall()
            }
            # the tables rows are loaded into carry the load id (raw._source_loads does not)
            with_load_id = {
                r[0]
                for r in con.execute(
                    "select table_schema || '.' || table_name from information_schema.columns "
                    "where column_name = '_load_id'"
                ).fetchall()
            }
            cases = {t for t in tables if t.startswith("raw.cases")}
            derived = {"raw.jurisdiction_matches", "raw.g287_agency_matches"} | cases
            loaded = {
                t
                for t in tables
                if t.startswith("raw.")
                and t not in derived
                and t in with_load_id
                and scalar(
                    con, f"select count(*) filter (where _load_id = ?) > 0 from {t}", [run_id]
                )
            }
            tables = loaded | ({"raw.jurisdiction_matches", "raw.g287_agency_matches"} & tables)
            if {"raw.interop_reports", "raw.jurisdiction_matches"} <= tables:
                raw, loaded, quarantined = first_row(
                    con,
                    """
                    select count(*), count(m.jurisdiction_id),
                           count(*) - count(m.jurisdiction_id)
                    from raw.interop_reports r
                    left join raw.jurisdiction_matches m
                      on r.state is not distinct from m.published_state
                     and r.jurisdiction is not distinct from m.published_name""",
                )
                lines.append(
                    f"interop rows: {raw:,} read = {loaded:,} loaded + {quarantined:,} quarantined"
                )
            if "raw.cases_load" in cases and scalar(
                con, "select count(*) from raw.cases_load_files where load_id = ?", [run_id]
            ):
                read = scalar(con, "select sum(n) from raw.cases_load")
                merged = (
                    scalar(
                        con, "select count(*) from raw.cases_grouped where _load_id = ?", [run_id]
                    )
                    if "raw.cases_grouped" in cases
                    else 0
                )
                lines.append(
                    f"case rows: {read:,} read in this load"
                    + ("" if merged else " (not merged: a check refused it)")
                )
                if merged and "raw.cases_jurisdiction_matches" in cases:
                    total, quarantined = first_row(
                        con,
                        """
                        select coalesce(sum(rows), 0), coalesce(sum(rows) filter (
                            where jurisdiction_id is null), 0)
                        from raw.cases_jurisdiction_matches""",
                    )
                    if total:
                        lines.append(
                            f"case removals held: {total:,} = {total - quarantined:,} placed + "
                            f"{quarantined:,} quarantined (qa_cases_quarantined)"
                        )
                if merged and "raw.cases_place_matches" in cases:
                    total, at_county = first_row(
                        con,
                        """
                        select coalesce(sum(rows), 0), coalesce(sum(rows) filter (
                            where jurisdiction_id is not null), 0)
                        from raw.cases_place_matches""",
                    )
                    if total:
                        lines.append(
                            f"case events (arrests, book-ins) held: {total:,} = {at_county:,} "
                            f"at a county jail + {total - at_county:,} at state level "
                            "(qa_case_places)"
                        )
            if {"raw.g287_agency_years", "raw.g287_agency_matches"} <= tables:
                read, placed = first_row(
                    con,
                    """
                    select count(*), count(m.jurisdiction_id)
                    from raw.g287_agency_years r
                    left join raw.g287_agency_matches m
                      on r.state is not distinct from m.published_state
                     and r.agency is not distinct from m.published_agency""",
                )
                lines.append(
                    f"287(g) agency-year rows: {read:,} read = {placed:,} placed + "
                    f"{read - placed:,} quarantined (qa_287g_quarantined_agencies)"
                )
            for table in ("census_population", "acs_noncitizen", "sc_activation_panel"):
                if f"raw.{table}" in tables:
                    n = scalar(con, f"select count(*) from raw.{table}")
                    lines.append(f"{table} rows: {n:,} read, all loaded")
    except duckdb.Error:
        return []
    return lines


def published_counts(serving: Path) -> list[tuple[str, int]]:
    from orchestration.ingest.common import scalar
    from orchestration.serve.published import published, published_tables

    with published(serving) as con:
        return [(t, scalar(con, f'select count(*) from "{t}"')) for t in published_tables(con)]


def data_status(serving: Path) -> tuple[str, list[tuple[str, str, int]]]:
    """The published file's overall data status and (source, status, rows) per source."""
    from orchestration.ingest.common import scalar
    from orchestration.serve.published import published

    with published(serving) as con:
        overall = scalar(con, "select data_status from _publication")
        rows = con.execute(
            "select source, data_status, rows from _publication_sources order by source"
        ).fetchall()
    return overall, rows
