"""What several commands print: a console that prints every string literally, the run's plan
and summary, and the messages for an unknown name."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orchestration.paths import DEFAULT_WAREHOUSE, RUN_LOG
from orchestration.run.accounting import data_status, published_counts, row_accounting
from orchestration.run.report import on_purpose, sample_sources

if TYPE_CHECKING:
    from rich.console import Console

    from orchestration.run.report import RunReport
    from orchestration.sources.fingerprint import Plan

EXAMPLE_SQL = (
    "select fiscal_year, removals_total, round(minor_share_removals, 3) as minor_share "
    "from mart_jurisdiction_year where jurisdiction_id = '25025' order by fiscal_year"
)
EXAMPLE_SQL_WITHOUT_STATISTICS = (
    "select activation_date, counties_activated, round(population_share_covered, 3) as covered "
    "from mart_rollout order by activation_date"
)


def literal_console(**kwargs: Any) -> Console:
    """A rich console that prints every string as it is: no markup (`[/x]` in a name is text,
    not a closing tag), no emoji codes, no highlighting. Styles come only from Text objects
    built here, so a value from data or from a user can neither crash a print nor lose text."""
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False, **kwargs)


def did_you_mean(name: str, known: list[str] | tuple[str, ...]) -> str | None:
    """The known name closest to a misspelled ``name``, if one is close enough."""
    import difflib

    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown(kind: str, name: str, known: list[str] | tuple[str, ...]) -> str:
    """`unknown source 'populaton' (did you mean 'population'?); known: …`"""
    hint = did_you_mean(name, known)
    return (
        f"unknown {kind} {name!r}"
        + (f" (did you mean {hint!r}?)" if hint else "")
        + (f"; known: {', '.join(known)}")
    )


def print_plan(console: Console, warehouse: Path, plan: Plan) -> None:
    """What this full load has to do (sources/fingerprint.py): nothing (up to date),
    everything (and why), or the sources that changed (and why) and those reused."""
    from rich.text import Text

    if plan.up_to_date:
        console.print(
            Text.assemble(
                ("Up to date:", "bold green"),
                " every source's files, sources.yml entry and the code are those the "
                f"publication of {plan.published_at} UTC (run {(plan.published_run or '')[:8]}) "
                "was built from. Nothing was run or published; `scomm run --full` rebuilds anyway.",
            ),
            soft_wrap=True,
        )
        console.print(f"Published: {warehouse / 'marts.duckdb'}", soft_wrap=True)
        return
    if plan.full:
        console.print(f"Full run: {plan.full_reason}.", soft_wrap=True)
        return
    for source in plan.changed:
        console.print(f"changed: {source} ({plan.reasons[source]})", soft_wrap=True)
    console.print(
        f"reused as published: {', '.join(plan.reused)} (their tables are carried over)",
        soft_wrap=True,
    )


@contextlib.contextmanager
def summary_guard(published: bool, serving: Path) -> Iterator[None]:
    """A run's summary is printed after the run decided what to publish, so printing must not
    change what the exit code says: an error while printing is reported on one line, and the
    exit code stays 0 for a publication, 1 for none."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - any printing failure, reported, never a traceback
        outcome = (
            f"the run published {serving}" if published else "the run failed: nothing was published"
        )
        click.echo(
            f"{outcome}; its summary could not be printed ({type(exc).__name__}: {exc})",
            err=True,
        )


def print_run_summary(console: Console, report: RunReport, warehouse: Path, serving: Path) -> None:
    """What a run did, printed literally (names, values and paths from data are never markup);
    a refusal first and on its own."""
    from rich.text import Text

    if not report.success:
        _print_refusal(console, report, serving)
    console.print(
        f"checks passed: {len(report.checks_passed)}, failed: "
        f"{sum(b for *_, b in report.checks_failed)} blocking, "
        f"{sum(not b for *_, b in report.checks_failed)} warning(s)"
    )
    samples = sample_sources(warehouse) if report.checks_failed else set()
    for name, text, blocking in report.checks_failed:
        if not blocking:
            expected = on_purpose(name, samples)
            text = f"{text} ({expected})" if expected else text
            console.print(Text.assemble(("WARNING", "yellow"), f" {name}: {text}"), soft_wrap=True)
    for note in report.notes:
        console.print(Text.assemble(("NOTE", "yellow"), f" {note}"), soft_wrap=True)
    for line in row_accounting(warehouse, report.run_id):
        console.print(line, soft_wrap=True)

    console.print(f"dbt and step log: {warehouse / RUN_LOG}", soft_wrap=True)
    if report.success:
        _print_publication(console, warehouse, serving)


def _print_refusal(console: Console, report: RunReport, serving: Path) -> None:
    """What stopped the run, then what is still published."""
    from rich.text import Text

    unchanged = (
        f" The previously published file is unchanged: {serving}" if serving.exists() else ""
    )
    console.print(
        Text.assemble(("Run refused: nothing was published.", "red bold"), unchanged),
        soft_wrap=True,
    )
    for name, text, blocking in report.checks_failed:
        if blocking:
            console.print(Text.assemble(("FAILED", "red"), f" {name}: {text}"), soft_wrap=True)
    for error in report.step_errors:
        console.print(Text.assemble(("ERROR", "red"), f" {error}"), soft_wrap=True)
    console.print("\nThe rest of this run:")


def _print_publication(console: Console, warehouse: Path, serving: Path) -> None:
    """The published file: rows per table, data status per source, and a query to start from."""
    from rich.table import Table
    from rich.text import Text

    console.print(f"Published {serving}", soft_wrap=True)
    table = Table()
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in published_counts(serving):
        table.add_row(name, str(count))
    console.print(table)
    overall, per_source = data_status(serving)
    console.print(Text.assemble("Data status of this publication: ", (overall, "bold")))
    for source, status, rows in per_source:
        console.print(f"  {source:<12} {status:<11} {rows:>10,} rows", highlight=False)
    wh = "" if warehouse == DEFAULT_WAREHOUSE.resolve() else f" --warehouse {warehouse}"
    console.print("Ad hoc SQL (read-only on the published file):")
    loaded = {source for source, status, _ in per_source if status != "not loaded"}
    example = EXAMPLE_SQL if "interop" in loaded else EXAMPLE_SQL_WITHOUT_STATISTICS
    console.print(f'  .venv/bin/scomm sql{wh} "{example}"', highlight=False, soft_wrap=True)
