"""Validating a DataFrame against a stored suite with Great Expectations, in this process.

Why DataFrames: GX's SQL datasource does not work on DuckDB through duckdb-engine (GX issues
#10738, #11579: every expectation comes back unsuccessful with an IndexError inside), so each check
reads its table from DuckDB into pandas and validates that. An expectation that *raised* is
reported as an error of the validation itself, never as bad data.

Importing great_expectations costs several seconds, so it happens inside these functions only,
never at module level (worker.py runs them in the validation process when there is one).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from orchestration.validation.outcomes import (
    ExpectationOutcome,
    SuiteOutcome,
    offending_rows,
    outcome_of,
)
from orchestration.validation.suites import columns_of, load_suite_spec

INDEX_KEY = "scomm_index"


def validate_here(
    df: pd.DataFrame, suite_name: str, table: str, parameters: dict[str, Any] | None = None
) -> SuiteOutcome:
    """run_suite in this process."""
    import great_expectations  # noqa: F401  slow import: only where validation happens

    spec = load_suite_spec(suite_name)
    meta = spec.get("meta", {})
    items = spec["expectations"]
    identify = [c for c in meta.get("identify_rows_by", []) if c in df.columns]
    validation = _Validation(_batch(df, suite_name, table), suite_name, items, parameters)
    frame = df.reset_index(drop=True)
    outcomes = validation.outcomes
    for result in validation.results(validation.runnable(frame)):
        index = _index(result)
        if index in outcomes:  # it raised when validated again on its own
            continue
        outcomes[index] = _judged(items[index], result, frame, identify)
    missing_results = [i for i in range(len(items)) if i not in outcomes]
    for index in missing_results:  # never silently dropped
        outcomes[index] = outcome_of(
            items[index], False, raised="no result came back from the validation"
        )
    return SuiteOutcome(
        suite_name,
        table,
        bool(meta.get("blocking", True)),
        [outcomes[i] for i in range(len(items))],
    )


def _batch(df: pd.DataFrame, suite_name: str, table: str) -> Any:
    """``df`` as a GX batch, in an ephemeral context of its own (progress bars off)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return (
        context.data_sources.add_pandas(f"{suite_name}_source")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": df.reset_index(drop=True)})
    )


class _Validation:
    """The expectations of one suite (``items``, as stored) validated on one ``batch``.
    ``outcomes`` (by index in the suite) holds those that could not be validated: a column
    missing, or one that raised when validated on its own."""

    def __init__(
        self, batch: Any, suite_name: str, items: list[Any], parameters: dict[str, Any] | None
    ) -> None:
        self.batch = batch
        self.suite_name = suite_name
        self.items = items
        self.parameters = parameters
        self.outcomes: dict[int, ExpectationOutcome] = {}

    def runnable(self, frame: pd.DataFrame) -> dict[int, Any]:
        """Index in the suite -> the expectation to run, for those whose columns ``frame``
        has; the others get their outcome (an error) now."""
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        runnable: dict[int, Any] = {}
        for index, item in enumerate(self.items):
            kwargs = dict(item["kwargs"])
            missing = [c for c in columns_of(kwargs) if c not in frame.columns]
            if missing:
                raised = f"column(s) {missing} not in the table"
                self.outcomes[index] = outcome_of(item, False, raised=raised)
                continue
            # the index in meta finds each result's expectation again
            runnable[index] = ExpectationConfiguration(
                type=item["type"], kwargs=kwargs, meta={**item.get("meta", {}), INDEX_KEY: index}
            ).to_domain_obj()
        return runnable

    def results(self, runnable: dict[int, Any]) -> list[Any]:
        """GX's result of each expectation of ``runnable`` that did not raise on its own.
        First pass and success or not only: the counts and offending rows GX's COMPLETE result
        computes for every expectation cost ≈2× the validation; the expectations that failed
        are validated again with it, for their counts and sample rows."""
        results = self.validate(runnable, {"result_format": "BOOLEAN_ONLY"})
        failed = [_index(r) for r in results if not r.success and _raised(r.exception_info) is None]
        if failed:
            again = self.validate(
                {i: runnable[i] for i in failed},
                {"result_format": "COMPLETE", "unexpected_index_column_names": None},
            )
            redone = {_index(r) for r in again}
            results = [r for r in results if _index(r) not in redone] + again
        return results

    def validate(self, expectations: dict[int, Any], result_format: dict) -> list[Any]:
        """``expectations`` in one validation (GX resolves the metrics of all of them together:
        ≈4× faster than one validation each); an expectation that raises comes back with its
        exception_info, the others are still evaluated. If the validation as a whole raises,
        one at a time, which names the expectation that raised."""
        import great_expectations as gx

        if not expectations:
            return []
        try:
            return list(
                self.batch.validate(
                    gx.ExpectationSuite(
                        name=self.suite_name, expectations=list(expectations.values())
                    ),
                    result_format=result_format,
                    expectation_parameters=self.parameters or {},
                ).results
            )
        except Exception:  # noqa: BLE001
            results = []
            for index, expectation in expectations.items():
                try:
                    results.append(
                        self.batch.validate(
                            expectation,
                            result_format=result_format,
                            expectation_parameters=self.parameters or {},
                        )
                    )
                except Exception as exc:  # an expectation that raised is a validation error
                    raised = f"{type(exc).__name__}: {exc}"
                    self.outcomes[index] = outcome_of(self.items[index], False, raised=raised)
            return results


def _judged(
    item: dict[str, Any], result: Any, frame: pd.DataFrame, identify: list[str]
) -> ExpectationOutcome:
    """The outcome of the suite's expectation ``item`` from its GX ``result``: an error if it
    raised, else met or not, with sample offending rows (``identify``'s columns first, then
    the ones it checks, a derived column after its raw one)."""
    raised = _raised(result.exception_info)
    if raised is not None:
        return outcome_of(item, False, raised=raised)
    res = result.result or {}
    indexes = res.get("unexpected_index_list") or []
    checked = columns_of(item["kwargs"])
    bases = [c.split("__")[0] for c in checked if "__" in c]  # raw column of a derived one
    shown = identify + [c for c in bases + checked if c not in identify and c in frame]
    return outcome_of(
        item,
        bool(result.success),
        unexpected_count=int(res.get("unexpected_count") or 0),
        sample_rows=[] if result.success else offending_rows(frame, indexes, shown),
    )


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
