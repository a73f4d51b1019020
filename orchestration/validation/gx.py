"""Great Expectations suites (stored as JSON under expectations/) run on DataFrames.

Why DataFrames: GX's SQL datasource does not work on DuckDB through duckdb-engine (GX issues
#10738, #11579: every expectation comes back unsuccessful with an IndexError inside), so each check
reads its table from DuckDB into pandas and validates that. An expectation that *raised* is
reported as an error of the validation itself, never as bad data.

Importing great_expectations costs several seconds, so it happens inside `run_suite` only, or,
for `scomm run`, in a validation process forked at start-up (start_worker): there the import
runs on the second core while this process imports Dagster and dbt and loads the data, instead
of in series with them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from orchestration.faults import helper_started
from orchestration.paths import EXPECTATIONS_DIR

SAMPLE_ROWS = 5


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    note: str
    success: bool
    raised: str | None = None
    unexpected_count: int = 0
    sample_rows: list[dict[str, Any]] = field(default_factory=list)

    def describe(self, table: str) -> str:
        where = f"{table}.{self.column}" if self.column else table
        if self.raised:
            return f"{self.expectation} on {where} could not be evaluated: {self.raised}"
        rows = "; ".join(_format_row(r) for r in self.sample_rows)
        return (
            f"{self.expectation} on {where} ({self.note}): {self.unexpected_count} "
            f"offending row(s), e.g. {rows}"
        )


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    table: str
    blocking: bool
    outcomes: list[ExpectationOutcome]

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def errors(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.raised]

    @property
    def success(self) -> bool:
        return not self.failures

    def message(self) -> str:
        if self.success:
            return f"{self.suite} on {self.table}: all {len(self.outcomes)} expectations met"
        lines = [
            f"{self.suite} on {self.table}: {len(self.failures)} of "
            f"{len(self.outcomes)} expectations not met"
        ]
        lines += ["  - " + o.describe(self.table) for o in self.failures]
        return "\n".join(lines)


def _format_row(row: dict[str, Any]) -> str:
    parts = []
    for key, value in row.items():
        if key == "_source_file" or key == "source_file":
            continue
        parts.append(f"{key.lstrip('_')}={value!r}")
    source = row.get("_source_file") or row.get("source_file")
    line = row.get("_source_line") or row.get("source_line")
    prefix = f"{source}:{line} " if source else ""
    return prefix + "(" + ", ".join(parts) + ")"


def load_suite_spec(name: str) -> dict[str, Any]:
    with (EXPECTATIONS_DIR / f"{name}.json").open(encoding="utf-8") as f:
        return json.load(f)


def _plain(value: Any) -> Any:
    """JSON-friendly scalar for messages and Dagster metadata."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def _sample(df: pd.DataFrame, indexes: list[Any], columns: list[str]) -> list[dict[str, Any]]:
    picked = []
    for idx in indexes[:SAMPLE_ROWS]:
        if isinstance(idx, dict):  # compound-column expectations report index dicts
            idx = next(iter(idx.values())) if len(idx) == 1 else idx.get("index", idx)
        try:
            row = df.loc[idx]
        except (KeyError, TypeError):
            continue
        picked.append({c: _plain(row[c]) for c in columns if c in df.columns})
    return picked


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


def validate_here(
    df: pd.DataFrame, suite_name: str, table: str, parameters: dict[str, Any] | None = None
) -> SuiteOutcome:
    """run_suite in this process."""
    import great_expectations as gx  # slow import: only where validation happens
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    spec = load_suite_spec(suite_name)
    meta = spec.get("meta", {})
    identify = [c for c in meta.get("identify_rows_by", []) if c in df.columns]
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(f"{suite_name}_source")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": df.reset_index(drop=True)})
    )
    frame = df.reset_index(drop=True)
    outcomes: dict[int, ExpectationOutcome] = {}
    runnable: dict[int, Any] = {}  # index in the suite -> the expectation to run
    for index, item in enumerate(spec["expectations"]):
        kwargs = dict(item["kwargs"])
        missing = [c for c in _columns_of(kwargs) if c not in frame.columns]
        if missing:
            outcomes[index] = _outcome(item, False, raised=f"column(s) {missing} not in the table")
            continue
        # the index in meta finds each result's expectation again
        runnable[index] = ExpectationConfiguration(
            type=item["type"], kwargs=kwargs, meta={**item.get("meta", {}), INDEX_KEY: index}
        ).to_domain_obj()

    def validate(expectations: dict[int, Any], result_format: dict) -> list[Any]:
        """``expectations`` in one validation (GX resolves the metrics of all of them together:
        ≈4× faster than one validation each); an expectation that raises comes back with its
        exception_info, the others are still evaluated. If the validation as a whole raises,
        one at a time, which names the expectation that raised."""
        if not expectations:
            return []
        try:
            return list(
                batch.validate(
                    gx.ExpectationSuite(name=suite_name, expectations=list(expectations.values())),
                    result_format=result_format,
                    expectation_parameters=parameters or {},
                ).results
            )
        except Exception:  # noqa: BLE001
            results = []
            for index, expectation in expectations.items():
                try:
                    results.append(
                        batch.validate(
                            expectation,
                            result_format=result_format,
                            expectation_parameters=parameters or {},
                        )
                    )
                except Exception as exc:  # an expectation that raised is a validation error
                    item = spec["expectations"][index]
                    outcomes[index] = _outcome(item, False, raised=f"{type(exc).__name__}: {exc}")
            return results

    # First pass and success or not only: the counts and offending rows GX's COMPLETE result
    # computes for every expectation cost ≈2× the validation; the expectations that failed are
    # validated again with it, for their counts and sample rows.
    results = validate(runnable, {"result_format": "BOOLEAN_ONLY"})
    failed = [_index(r) for r in results if not r.success and _raised(r.exception_info) is None]
    if failed:
        again = validate(
            {i: runnable[i] for i in failed},
            {"result_format": "COMPLETE", "unexpected_index_column_names": None},
        )
        redone = {_index(r) for r in again}
        results = [r for r in results if _index(r) not in redone] + again
    for result in results:
        index = _index(result)
        if index in outcomes:  # it raised when validated again on its own
            continue
        item = spec["expectations"][index]
        raised = _raised(result.exception_info)
        if raised is not None:
            outcomes[index] = _outcome(item, False, raised=raised)
            continue
        res = result.result or {}
        indexes = res.get("unexpected_index_list") or []
        checked = _columns_of(item["kwargs"])
        bases = [c.split("__")[0] for c in checked if "__" in c]  # raw column of a derived one
        shown = identify + [c for c in bases + checked if c not in identify and c in frame]
        outcomes[index] = _outcome(
            item,
            bool(result.success),
            unexpected_count=int(res.get("unexpected_count") or 0),
            sample_rows=[] if result.success else _sample(frame, indexes, shown),
        )
    missing_results = [i for i in range(len(spec["expectations"])) if i not in outcomes]
    for index in missing_results:  # never silently dropped
        outcomes[index] = _outcome(
            spec["expectations"][index], False, raised="no result came back from the validation"
        )
    return SuiteOutcome(
        suite_name,
        table,
        bool(meta.get("blocking", True)),
        [outcomes[i] for i in range(len(spec["expectations"]))],
    )


INDEX_KEY = "scomm_index"


def _index(result: Any) -> int:
    """The place in its suite's file of the expectation a GX result is for."""
    return int(result.expectation_config.meta[INDEX_KEY])


def _raised(info: Any) -> str | None:
    """The message of an exception GX caught while evaluating an expectation, if any. GX puts
    it at the top level ({raised_exception, exception_message}) or, when a metric the
    expectation needs raised, under that metric's id ({metric id: {raised_exception, …}})."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _outcome(item: dict[str, Any], success: bool, **fields: Any) -> ExpectationOutcome:
    """The outcome of the suite's expectation ``item`` (as stored in the JSON)."""
    kwargs = item["kwargs"]
    column = (
        kwargs.get("column")
        or kwargs.get("column_A")
        or (",".join(kwargs["column_list"]) if "column_list" in kwargs else None)
    )
    if column and "__" in column and "," not in column:
        column = f"{column.split('__')[0]} (derived: {column})"
    note = item.get("meta", {}).get("notes", "")
    return ExpectationOutcome(item["type"], column, note, success, **fields)


def _columns_of(kwargs: dict[str, Any]) -> list[str]:
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    return cols + list(kwargs.get("column_list", []))
