"""The validation process, and run_suite: a suite validated there when it runs, else here.

For `scomm run`, a validation process is forked at start-up (start_worker) and imports
great_expectations at once: there the import runs on the second core while this process imports
Dagster and dbt and loads the data, instead of in series with them. Nothing here imports
great_expectations in this process: validate.py does, when it validates here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from orchestration.faults import helper_started
from orchestration.validation.outcomes import SuiteOutcome
from orchestration.validation.validate import validate_here

_WORKER: Any = None  # the validation process (a _Validator), once start_worker() ran


def start_worker() -> None:
    """Fork one validation process, which imports great_expectations at once. Call it early,
    before this process starts threads or imports Dagster (a plain fork is safe then)."""
    global _WORKER
    if _WORKER is None:
        _WORKER = _Validator()


def stop_worker() -> None:
    """End the validation process (a validation under way or queued is dropped: the run is
    over) and wait for it. Waiting matters: left to the interpreter's exit, a process pool's
    shutdown raced multiprocessing's own exit handler and a run could hang at exit."""
    global _WORKER
    if _WORKER is not None:
        _WORKER.shutdown()
        _WORKER = None


def submit_suite(
    df: pd.DataFrame, suite_name: str, table: str, parameters: dict[str, Any] | None = None
) -> Any:
    """Start validating ``df`` in the validation process and return at once: a Future of the
    SuiteOutcome, or None when no validation process runs (run_suite then validates here)."""
    if _WORKER is None:
        return None
    return _WORKER.submit(validate_here, df, suite_name, table, parameters)


def worker_running() -> bool:
    return _WORKER is not None


def run_suite(
    df: pd.DataFrame, suite_name: str, table: str, parameters: dict[str, Any] | None = None
) -> SuiteOutcome:
    """Validate ``df`` against the stored suite ``suite_name`` and explain every failure (in
    the validation process when one was started, else here)."""
    if _WORKER is not None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return _WORKER.submit(validate_here, df, suite_name, table, parameters).result()
        except BrokenProcessPool:  # the worker died (out of memory …): validate here instead
            stop_worker()
    return validate_here(df, suite_name, table, parameters)


class _Validator:
    """One validation process and this process's end of it: what a ProcessPoolExecutor of one
    worker gives (submit → a future; BrokenProcessPool once the process is gone), without its
    two threads here. A pool starts them at once; this starts a queue's feeder thread at the
    first submit, so until then this process has one thread and can still fork dbt's worker
    safely after importing Dagster and dbt (defs/dbt_runner.py), which then inherits them."""

    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._requests = context.Queue()  # its feeder thread starts at the first put
        self._results, child = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_serve, args=(self._requests, child), name="scomm-gx", daemon=True
        )
        self._process.start()
        child.close()
        self._sent = 0
        self._received: dict[int, tuple[str, Any]] = {}
        self._dropped: set[int] = set()
        self._ended = False

    def submit(self, fn: Any, *args: Any) -> _Pending:
        from concurrent.futures.process import BrokenProcessPool

        if self._ended or not self._process.is_alive():
            self._ended = True
            raise BrokenProcessPool("the validation process has ended")
        self._sent += 1
        self._requests.put((self._sent, fn, args))
        return _Pending(self, self._sent)

    def outcome(self, ticket: int) -> Any:
        """The return value of request ``ticket`` (its exception raised here), reading the
        replies in the order they come; BrokenProcessPool if the process ended first."""
        from concurrent.futures.process import BrokenProcessPool
        from multiprocessing.connection import wait

        while ticket not in self._received:
            if self._ended:
                raise BrokenProcessPool(
                    f"the validation process ended (exit code {self._process.exitcode})"
                )
            ready = wait([self._results, self._process.sentinel])
            if self._results in ready:
                try:
                    number, kind, value = self._results.recv()
                except (EOFError, OSError):
                    self._ended = True
                    continue
                if number in self._dropped:
                    self._dropped.discard(number)
                else:
                    self._received[number] = (kind, value)
            else:  # ended, and nothing more to read
                self._ended = True
        kind, value = self._received.pop(ticket)
        if kind == "raised":
            raise value
        return value

    def drop(self, ticket: int) -> None:
        if self._received.pop(ticket, None) is None:
            self._dropped.add(ticket)

    def shutdown(self) -> None:
        self._ended = True
        self._process.kill()
        self._process.join()
        self._requests.cancel_join_thread()  # nothing queued is waited for: the run is over
        self._requests.close()
        self._results.close()


class _Pending:
    """A request to the validation process: result() waits for its reply."""

    def __init__(self, validator: _Validator, ticket: int) -> None:
        self._validator, self._ticket = validator, ticket

    def result(self) -> Any:
        return self._validator.outcome(self._ticket)

    def cancel(self) -> bool:
        self._validator.drop(self._ticket)
        return True


def _serve(requests: Any, results: Any) -> None:
    """The validation process: import GX, then run each request in turn and send the reply,
    until the run ends it (stop_worker) or ends itself (helper_started)."""
    helper_started()
    import great_expectations  # noqa: F401  the slow import, while the run imports Dagster

    while True:
        try:
            number, fn, args = requests.get()
        except (EOFError, OSError):
            return
        try:
            reply = (number, "ok", fn(*args))
        except Exception as exc:  # noqa: BLE001  raised again in the run, as a future does
            reply = (number, "raised", exc)
        try:
            results.send(reply)
        except Exception as exc:  # noqa: BLE001  a reply that cannot be pickled
            results.send((number, "raised", RuntimeError(f"{type(exc).__name__}: {exc}")))
