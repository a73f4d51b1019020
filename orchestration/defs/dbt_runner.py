"""dbt's programmatic runner (dbtRunner) on the project's parsed manifest, in this process or in
a worker process started by `scomm run`. No Dagster here: the worker (forked once the run has
imported Dagster and dbt, which it inherits) sends back plain dicts (dbt's JSON log lines) that
orchestration/defs/dbt.py turns into Dagster events.

Why a worker: in one process, dbt's Python work and Dagster's handling of each result (an
event stored per model and per test) take turns on one interpreter lock, so the dbt step took
the sum of both (≈4.7 s of a ≈12 s sample run, measured). In a second process dbt builds on
the other core while this one handles the results, and the worker loads the
manifest while the run builds its definitions, ingests and validates the sources.

The worker dies with its parent (PR_SET_PDEATHSIG: a killed run leaves no dbt behind holding
the build database), ignores Ctrl-C (the run decides), and is used by `scomm run` only: the
daemon's runs, tests that call runner.execute() and any run without a worker build in-process
on the same functions (run_build).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

from orchestration.faults import checkpoint, helper_started
from orchestration.paths import DBT_PROJECT_DIR

# `dbt build` as a run invokes it: dbt's unit tests test the SQL of the models, not the data,
# so they run with the test suite (tests/test_dbt_tests.py), not in every run — as dbt's docs
# advise for production builds
RUN_BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")

# dbt's events that dagster-dbt turns into materializations and check results, plus errors
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})

_PARSED: dict[tuple[str, int], Any] = {}  # (partial_parse.msgpack, mtime) -> dbt Manifest


def common_args(target: Path) -> list[str]:
    """The flags every dbt command of a run gets: the project, its profile, ``target`` for its
    artifacts and log, no manifest JSON written, no anonymous usage statistics."""
    return [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
        "--no-write-json",
        "--no-send-anonymous-usage-stats",
    ]


def parsed_manifest(target: Path) -> Any:
    """dbt's own Manifest of the project, parsed in this process once per version of the
    project: from the project's partial-parse file (written with target/manifest.json), copied
    into ``target``. The parse sees the profile and vars the project was parsed with (no
    warehouse path), so dbt reuses that file whichever warehouse runs: no full parse per new
    warehouse. The warehouse's database is given to the build only."""
    from dbt.cli.main import dbtRunner

    source = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
    key = (str(source), source.stat().st_mtime_ns if source.exists() else 0)
    if key not in _PARSED:
        target.mkdir(parents=True, exist_ok=True)
        copy = target / "partial_parse.msgpack"
        if source.exists() and (
            not copy.exists() or copy.stat().st_mtime_ns < source.stat().st_mtime_ns
        ):
            shutil.copy2(source, copy)
        result = dbtRunner().invoke(["parse", *common_args(target), "--quiet"])
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
        _PARSED.clear()
        _PARSED[key] = result.result
    return _PARSED[key]


def run_build(argv: list[str], target: Path, send: Callable[[dict], None]) -> tuple[bool, str]:
    """`dbt ARGV` (a build) on the parsed manifest; ``send`` gets each result and error event
    as dbt's JSON log dict. Returns (success, what went wrong). dbt resolves the project's
    relative paths (seed files) from the working directory, as the dbt CLI does when run in
    the project folder; the build database is closed afterwards, so others can open it."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    def on_event(event: Any) -> None:
        if event.info.name in RESULT_EVENTS or event.info.level == "error":
            send(msg_to_dict(event))

    cwd = os.getcwd()
    os.chdir(DBT_PROJECT_DIR)
    try:
        manifest = parsed_manifest(target)
        result = dbtRunner(manifest=manifest, callbacks=[on_event]).invoke(
            [*argv, *common_args(target)]
        )
        return bool(result.success), str(result.exception or "")
    finally:
        os.chdir(cwd)
        close_duckdb()


def close_duckdb() -> None:
    """Release the build database dbt-duckdb keeps open between invocations, so the run's own
    connections and the publish can open it."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            env.close()
        DuckDBConnectionManager._ENV = None


class WorkerDied(RuntimeError):
    """The dbt worker process ended in the middle of a build."""


class DbtWorker:
    """One process that runs dbt for this one (see the module's docstring)."""

    def __init__(self, log: Path | None = None) -> None:
        """``log``: where the worker's own standard output and error go (file descriptors 1
        and 2, so also what processes it starts print, e.g. multiprocessing's resource
        tracker), appended; without one they are this process's."""
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, str(log) if log else None), name="scomm-dbt", daemon=True
        )
        self._process.start()
        child.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.is_alive()

    def warm(self, target: Path, log: Path | None) -> None:
        """Load the manifest now (the worker does it while this process runs the steps before
        dbt); what dbt prints goes to ``log``."""
        self._conn.send(("parse", str(target), str(log) if log else None))

    def build(
        self, argv: list[str], target: Path, log: Path | None
    ) -> Generator[dict, None, tuple[bool, str]]:
        """Yield the build's events as they come; afterwards, (success, error) is the
        generator's return value. What dbt prints is appended to ``log`` (without one, only
        dbt's own dbt.log in the target folder keeps it). A worker that dies mid-build raises
        WorkerDied."""
        self._conn.send(("build", list(argv), str(target), str(log) if log else None))
        finished = False
        try:
            while True:
                try:
                    kind, *payload = self._conn.recv()
                except (EOFError, OSError) as exc:
                    self._process.join(timeout=5)
                    raise WorkerDied(
                        f"the dbt worker process ended during the build "
                        f"(exit code {self._process.exitcode}): the build database is as dbt "
                        "left it; nothing was published"
                    ) from exc
                if kind == "event":
                    yield payload[0]
                else:  # "done"
                    finished = True
                    return payload[0], payload[1]
        finally:
            if not finished:
                # abandoned mid-build (the step failed): the rest of this build's events would
                # be read as the next build's, so this worker is done; later runs build here
                self._process.kill()
                self._process.join(timeout=5)

    def stop(self) -> None:
        if self._process.is_alive():
            try:
                self._conn.send(("exit",))
            except OSError:
                pass
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
        self._conn.close()


def _serve(conn: Any, log: str | None = None) -> None:
    """The worker's loop: parse on request, build on request, stop at "exit" or when the parent
    goes away (the pipe closes, or the kernel's parent-death signal)."""
    helper_started()
    if log is not None:
        # nothing of the worker's reaches the run's terminal: the resource tracker dbt's
        # multiprocessing starts from here warned there about semaphores when the worker was
        # stopped mid-build (Ctrl-C); it inherits these
        with contextlib.suppress(OSError):
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.close(fd)
    # a log handler that cannot write (a full disk) must not print its traceback on the run's
    # terminal: the run reports the failure itself
    logging.raiseExceptions = False
    parsing: threading.Thread | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "parse":
            if parsing is None or not parsing.is_alive():  # one parse at a time
                parsing = threading.Thread(
                    target=_parse_behind, args=message[1:], name="dbt-parse", daemon=True
                )
                parsing.start()
        elif message[0] == "build":
            if parsing is not None:
                # the build waits for it: back to this thread's priority where allowed
                # (lowering a nice value needs the privilege to; else it finishes as it is)
                _set_nice(parsing.native_id, os.getpriority(os.PRIO_PROCESS, 0))
                parsing.join()
                parsing = None
            _, argv, target, log = message
            sent = 0

            def send(event: dict) -> None:
                nonlocal sent
                conn.send(("event", event))
                sent += 1
                if sent == 5:
                    checkpoint("dbt-worker")  # the worker killed mid-build (crash tests)

            try:
                with _into_log(log):
                    success, error = run_build(argv, Path(target), send)
            except Exception as exc:  # noqa: BLE001  handed to the run, which fails the step
                success, error = False, f"{type(exc).__name__}: {exc}"
            conn.send(("done", success, error))
        else:
            return


# How much lower the parse's CPU priority is (nice, added to the worker's): it runs while the
# run imports Dagster, ingests and validates — on a 2-core machine three processes for two
# cores — and it is needed only when the dbt step starts; at a lower priority the work that is
# waited for goes first (sample run ≈8.2 → ≈7.9 s, and ≈8.8 → ≈8.1 s in a slower hour, medians
# of 6 and 3 runs alternating; nice 5, 10 and 19 alike). The build runs at the worker's own.
PARSE_NICE = 10


def _set_nice(thread_id: int | None, nice: int) -> None:
    """One thread's nice value (Linux: a thread's own; elsewhere the id could name another
    process, so nothing is done). Not allowed (lowering it without the privilege): unchanged."""
    if sys.platform == "linux" and thread_id is not None:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, thread_id, min(nice, 19))


def _parse_behind(target: str, log: str | None) -> None:
    """Load the manifest (parsed_manifest) in this thread at a lower CPU priority, so the
    build, in the worker's main thread, keeps the normal one. A parse that fails is left to
    the build, which parses again and reports why."""
    _set_nice(threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + PARSE_NICE)
    try:
        with _into_log(log):
            parsed_manifest(Path(target))
    except Exception:  # noqa: BLE001, S110  the build parses again and reports why
        pass


@contextlib.contextmanager
def _into_log(log: str | None) -> Iterator[None]:
    """What dbt prints (its text log goes to stdout) appended to the run's log file, as the
    run's own output is (both append, so neither overwrites the other); stderr too, so nothing
    of the worker's reaches the run's terminal. A log that cannot be opened: nowhere."""
    try:
        out = open(log or os.devnull, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    except OSError:
        out = open(os.devnull, "a", encoding="utf-8")  # noqa: SIM115
    with out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        yield


_WORKER: DbtWorker | None = None
_WANTED = False


def want_worker() -> None:
    """This process's runs build dbt in a worker (`scomm run`), forked by start_wanted_worker
    when the run has imported dbt."""
    global _WANTED
    _WANTED = True


def start_wanted_worker(log: Path | None = None) -> DbtWorker | None:
    """Fork the dbt worker if want_worker() was called, once this process has imported Dagster
    and dbt: the worker inherits them (importing dbt again was ≈1 s of CPU, on a 2-core machine
    beside Great Expectations' import: one-source and incremental runs waited ≈0.6 s for the
    manifest). Only while this process has one thread, which makes a plain fork safe (the
    validation process starts its queue's thread at the first suite, later); else no worker,
    and the run builds in a thread."""
    global _WORKER
    if _WANTED and _WORKER is None and threading.active_count() == 1:
        _WORKER = DbtWorker(log)
    return worker()


def stop_worker() -> None:
    global _WORKER, _WANTED
    _WANTED = False
    if _WORKER is not None:
        _WORKER.stop()
        _WORKER = None


def worker() -> DbtWorker | None:
    """The running worker of this process, if `scomm run` started one."""
    return _WORKER if _WORKER is not None and _WORKER.alive() else None
