"""`scomm`: the command line (click for parsing, rich for tables).

scomm run [--source interop=PATH] [--warehouse DIR]   ingest → validate → dbt → publish
scomm sql "select …" [--format table|csv|json]         read-only SQL on the published file

Click commands only: parsing arguments and printing. What a run does and reports is in
runner.py, the readers in ingest/, the dashboard in serve/. Over 350 lines because every
command's options carry their help text here, where `scomm --help` reads them; no logic is kept
here that another command or module repeats.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orchestration.paths import DEFAULT_CACHE, DEFAULT_WAREHOUSE, RUN_LOG
from orchestration.runner import (
    WarehouseBusy,
    data_status,
    execute_with_result,
    on_purpose,
    published_counts,
    row_accounting,
    sample_sources,
    start_workers,
    stop_workers,
    warehouse_lock,
)
from orchestration.sources.catalog import MULTI_FILE_SOURCES, SOURCE_NAMES

if TYPE_CHECKING:
    from rich.console import Console

EXAMPLE_SQL = (
    "select fiscal_year, removals_total, round(minor_share_removals, 3) as minor_share "
    "from mart_jurisdiction_year where jurisdiction_id = '25025' order by fiscal_year"
)


warehouse_option = click.option(
    "--warehouse",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_WAREHOUSE,
    show_default=True,
    help="The warehouse folder: build.duckdb, the published marts.duckdb, dbt/ and logs/.",
)


EXAMPLE_SQL_WITHOUT_STATISTICS = (
    "select activation_date, counties_activated, round(population_share_covered, 3) as covered "
    "from mart_rollout order by activation_date"
)


class RunRefused(click.ClickException):
    exit_code = 3


def literal_console(**kwargs: Any) -> Console:
    """A rich console that prints every string as it is: no markup (`[/x]` in a name is text,
    not a closing tag), no emoji codes, no highlighting. Styles come only from Text objects
    built here, so a value from data or from a user can neither crash a print nor lose text."""
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False, **kwargs)


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


def parse_sources(
    values: tuple[str, ...], cache: Path = DEFAULT_CACHE, allow_http: bool = False
) -> dict[str, Path | list[Path]]:
    """NAME=PATH or NAME=URL (https; downloaded into the cache first) for each --source; a
    multi-file source (cases) collects every file given for it."""
    sources: dict[str, Path] = {}
    many: dict[str, list[Path]] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not path:
            hint = did_you_mean(name, SOURCE_NAMES)
            raise click.BadParameter(
                f"expected NAME=PATH, got {value!r}"
                + (f" (did you mean {hint}=PATH?)" if hint else ""),
                param_hint="--source",
            )
        if name not in SOURCE_NAMES:
            raise click.BadParameter(unknown("source", name, SOURCE_NAMES), param_hint="--source")
        if "://" in path:
            sources[name] = _fetch_one(
                name, path, cache, expected_sha256=None, allow_insecure=allow_http
            )
            if name in MULTI_FILE_SOURCES:
                many.setdefault(name, []).append(sources[name])
            continue
        file = Path(path).expanduser()
        if not file.is_file():
            raise click.BadParameter(f"{file}: no such file", param_hint="--source")
        sources[name] = file.resolve()
        if name in MULTI_FILE_SOURCES:
            many.setdefault(name, []).append(sources[name])
    return {**sources, **many}


def _fiscal_years(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, int] | None:
    """YYYY, YYYY-YYYY or `all` (every case partition) within the case partitions."""
    if value is None:
        return None
    from orchestration.fiscal import fiscal_year_range

    FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR = fiscal_year_range()  # noqa: N806
    if value == "all":
        return FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR
    first, _, last = value.partition("-")
    try:
        years = (int(first), int(last or first))
    except ValueError:
        raise click.BadParameter(f"expected YYYY or YYYY-YYYY, got {value!r}") from None
    if not FIRST_FISCAL_YEAR <= years[0] <= years[1] <= LAST_FISCAL_YEAR:
        raise click.BadParameter(
            f"{value}: fiscal years run from {FIRST_FISCAL_YEAR} to "
            f"{LAST_FISCAL_YEAR}, first year first"
        )
    return years


@click.group()
@click.version_option(package_name="scomm")
def main() -> None:
    """Secure Communities enforcement statistics warehouse."""


@main.command()
@click.option(
    "--source",
    "source_values",
    multiple=True,
    metavar="NAME=PATH_OR_URL",
    help="Load this file (or https URL, downloaded into the cache first) for the named "
    "source instead of its default in sources.yml. Sources: " + ", ".join(SOURCE_NAMES) + ".",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CACHE,
    show_default=True,
    help="Download cache for URLs.",
)
@click.option(
    "--allow-http", is_flag=True, help="Accept plain-http URLs in --source (https only otherwise)."
)
@click.option(
    "--fiscal-year",
    "fiscal_year",
    metavar="YYYY[-YYYY]|all",
    callback=_fiscal_years,
    help="Load case records only: the --source cases file(s) replace these fiscal "
    "years (one year, a range such as 2019-2021, or `all` for every year); every "
    "other year, and every other source, stays as loaded before. Without it a run "
    "is a full load of every source.",
)
@click.option(
    "--profile",
    default=None,
    help="Load exactly the pinned public files of this profile's sources (sources.yml "
    "`profiles`, e.g. `public`): every other source is not loaded. Files come from --mirror, "
    "the download cache, or are downloaded now; each is checked against its sha256.",
)
@click.option(
    "--mirror",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="A folder holding the profile's files under their published names (e.g. "
    "../shared/reference), standing in for the downloads; sha256 still checked.",
)
@click.option(
    "--step-timings",
    type=click.Path(dir_okay=False, path_type=Path),
    hidden=True,
    help="Write seconds per Dagster step as JSON here (used by scomm bench).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Rebuild and publish every source even when nothing changed since the last "
    "publication (by default a run does only what changed, or nothing: 'up to date').",
)
@warehouse_option
def run(
    source_values: tuple[str, ...],
    cache: Path,
    allow_http: bool,
    fiscal_year: tuple[int, int] | None,
    profile: str | None,
    mirror: Path | None,
    step_timings: Path | None,
    full: bool,
    warehouse: Path,
) -> None:
    """Ingest, validate, build the dbt marts, validate them and publish marts.duckdb: only
    the sources whose input changed since the last publication (--full: all of them)."""
    from rich.text import Text

    console = literal_console()
    sources = parse_sources(source_values, cache, allow_http)
    if mirror is not None and profile is None:
        raise click.BadParameter("--mirror goes with --profile", param_hint="--mirror")
    if profile is not None:
        if fiscal_year is not None:
            raise click.BadParameter("--profile is a full load", param_hint="--fiscal-year")
        from orchestration.sources.profiles import ProfileError, profile_files

        try:
            sources = {**profile_files(profile, cache, mirror).sources, **sources}
        except ProfileError as exc:
            raise click.ClickException(f"profile {profile}: {exc}") from exc
    warehouse = warehouse.resolve()
    serving = warehouse / "marts.duckdb"
    if fiscal_year is not None:
        if set(sources) != {"cases"}:
            raise click.BadParameter(
                "an incremental load (--fiscal-year) takes case files only: "
                "pass --source cases=PATH (repeatable) and no other source",
                param_hint="--fiscal-year",
            )
        if not (warehouse / "build.duckdb").exists():
            raise click.BadParameter(
                f"{warehouse} has no full load yet: run `scomm run` without --fiscal-year first",
                param_hint="--fiscal-year",
            )
    try:
        with warehouse_lock(warehouse):
            named = (
                f"the {profile} profile"
                if profile
                else ", ".join(f"{k}={v}" for k, files in sources.items() for v in _as_list(files))
                or "the embedded samples"
            )
            console.print(
                Text.assemble(("scomm run", "bold"), f" → {warehouse}  (sources: {named})"),
                soft_wrap=True,
            )
            only = None
            if fiscal_year is None and not full:
                # decided before Dagster, dbt or Great Expectations are imported
                only = _plan(console, warehouse, sources)
                if only is not None and not only:
                    return
            # the Great Expectations process now, before Dagster is imported; dbt's worker once
            # the run has imported dbt (runner.start_workers)
            start_workers()
            atexit.register(stop_workers)
            report, result = execute_with_result(warehouse, sources, fiscal_year, only)
            if step_timings:
                from benchmarks.bench import step_seconds

                step_timings.write_text(json.dumps(step_seconds(result)))
    except WarehouseBusy as exc:
        raise RunRefused(str(exc)) from None
    except OSError as exc:  # read-only folder, disk full, permission denied …
        raise click.ClickException(
            f"cannot write to the warehouse folder {warehouse}: {exc.strerror or exc} "
            f"({type(exc).__name__}); nothing was published"
        ) from exc

    with summary_guard(published=report.success, serving=serving):
        _print_run_summary(console, report, warehouse, serving)
    if not report.success:
        sys.exit(1)


def _print_run_summary(console, report, warehouse: Path, serving: Path) -> None:
    """What a run did, printed literally (names, values and paths from data are never markup);
    a refusal first and on its own."""
    from rich.table import Table
    from rich.text import Text

    if not report.success:
        # the refusal first, on its own: what stopped the run, then what is still published
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
    if not report.success:
        return

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


def _as_list(files: Path | list[Path]) -> list[Path]:
    return files if isinstance(files, list) else [files]


def _plan(console, warehouse: Path, sources: dict) -> set[str] | None:
    """What this full load has to do (sources/fingerprint.py): None = everything, an empty
    set = nothing (up to date, said here), else the sources to rebuild."""
    from rich.text import Text

    from orchestration.sources.fingerprint import plan_run

    plan = plan_run(warehouse, sources)
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
        return set()
    if plan.full:
        console.print(f"Full run: {plan.full_reason}.", soft_wrap=True)
        return None
    for source in plan.changed:
        console.print(f"changed: {source} ({plan.reasons[source]})", soft_wrap=True)
    console.print(
        f"reused as published: {', '.join(plan.reused)} (their tables are carried over)",
        soft_wrap=True,
    )
    return set(plan.changed)


def _fetch_one(
    name: str, url: str, cache: Path, expected_sha256: str | None, allow_insecure: bool = False
) -> Path:
    from orchestration.sources.catalog import SourcesFileError
    from orchestration.sources.fetch import FetchError, fetch

    try:
        record = fetch(
            url, name, cache, expected_sha256=expected_sha256, allow_insecure=allow_insecure
        )
    except (FetchError, SourcesFileError) as exc:
        raise click.ClickException(f"{name}: {exc}") from exc
    click.echo(
        f"{name}: {record.path} ({record.size:,} bytes, sha256 {record.sha256}"
        f"{', verified' if expected_sha256 else ''})"
    )
    return Path(record.path)


@main.command()
@click.argument("names", nargs=-1)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CACHE,
    show_default=True,
    help="Where downloads land: CACHE/NAME/<file> plus a .provenance.json record.",
)
@click.option(
    "--profile",
    default=None,
    help="Download every pinned file of this profile's sources (sources.yml `profiles`).",
)
def fetch(names: tuple[str, ...], cache: Path, profile: str | None) -> None:
    """Download the pinned public files of the named sources (default: every source with a
    download URL in sources.yml) into the cache, each checked against its sha256."""
    from orchestration.sources.catalog import SourcesFileError, load_profiles, load_sources

    try:
        specs = load_sources()
        profiles = load_profiles()
    except SourcesFileError as exc:
        raise click.ClickException(str(exc)) from exc
    if profile is not None:
        if profile not in profiles:
            raise click.BadParameter(unknown("profile", profile, list(profiles)))
        names = (*names, *profiles[profile].sources)
    for name in names:
        if name not in specs:
            raise click.BadParameter(unknown("source", name, list(specs)))
    chosen = (
        [specs[n] for n in dict.fromkeys(names)] if names else [s for s in specs.values() if s.urls]
    )
    for spec in chosen:
        for public in spec.files:
            if public.url is None:
                click.echo(
                    f"{spec.name}: {public.name} has no download URL ({spec.publisher}); "
                    f"get it yourself and pass --mirror DIR (or --source {spec.name}=PATH)"
                )
                continue
            _fetch_one(
                spec.name, public.url, cache, public.sha256, allow_insecure=spec.allow_insecure
            )
        if not spec.files:
            click.echo(f"{spec.name}: no public file pinned in sources.yml ({spec.publisher})")


def _size(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A DuckDB size such as 512MB, 2GB or 1.5GiB."""
    import re

    if not re.fullmatch(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value.strip(), re.I):
        raise click.BadParameter(f"expected a size such as 512MB or 2GB, got {value!r}")
    return value.strip()


TABLE_ROWS = 10_000  # rows a table prints; every row is still counted (use csv or json for all)


@main.command()
@click.argument("query")
@warehouse_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Stop the query (and the fetching of its rows) after this many seconds.",
)
@click.option(
    "--memory-limit",
    default="2GB",
    show_default=True,
    callback=_size,
    help="Memory the query may use before it spills to disk, then fails.",
)
@click.option(
    "--threads", type=click.IntRange(1, 64), default=2, show_default=True, help="Threads."
)
@click.option(
    "--max-temp-size",
    default="4GB",
    show_default=True,
    callback=_size,
    help="Disk the query may spill to, in a temporary folder outside the warehouse ($TMPDIR) "
    "that is removed afterwards.",
)
def sql(
    query: str,
    warehouse: Path,
    fmt: str,
    timeout: float,
    memory_limit: str,
    threads: int,
    max_temp_size: str,
) -> None:
    """Run QUERY on a read-only connection to the published marts.duckdb, within limits of
    time, memory, threads and disk that the query cannot change."""
    import duckdb

    from orchestration.serve.published import (
        PublishedFileMissing,
        QueryLimits,
        QueryRefused,
        QueryTimedOut,
        check_query,
        limit_message,
        published,
    )

    limits = QueryLimits(timeout, memory_limit, threads, max_temp_size)
    # Read-only, no external access (no other files, no ATTACH, no extension installs), limits
    # locked, queries only: ad hoc SQL cannot change, leak or exhaust anything; never the build
    # database.
    try:
        with published(warehouse.resolve() / "marts.duckdb", limits=limits) as con:
            try:
                check_query(con, query)
                relation = con.execute(query)
                if relation is None:  # "", " ; ", only a comment: DuckDB has nothing to run
                    raise click.ClickException(
                        'no SQL statement in the query: give one, e.g. "select * from _publication"'
                    )
                columns = [d[0] for d in relation.description or []]
                _print_rows(columns, relation, fmt)
            except duckdb.InterruptException:
                raise  # the time limit: published() turns it into QueryTimedOut
            except (duckdb.InvalidInputException, duckdb.PermissionException) as exc:
                raise click.ClickException(
                    "refused: the published file is read-only for ad hoc SQL "
                    f"({str(exc).splitlines()[0]})"
                ) from exc
            except duckdb.Error as exc:
                raise click.ClickException(limit_message(exc, limits) or str(exc)) from exc
    except QueryRefused as exc:
        raise click.ClickException(str(exc)) from exc
    except QueryTimedOut as exc:
        raise click.ClickException(
            f"{exc} (--timeout {timeout:g}): the query was stopped; narrow it or raise --timeout"
        ) from exc
    except PublishedFileMissing as exc:
        raise click.ClickException(str(exc)) from exc


def _batches(relation: Any) -> Iterator[list[tuple]]:
    while batch := relation.fetchmany(2048):
        yield batch


def _print_rows(columns: list[str], relation: Any, fmt: str) -> None:
    """Rows as they are fetched (memory stays bounded whatever the result's size). CSV cells
    are formula-safe (csv_safe); the table prints every value literally."""
    if fmt == "csv":
        import csv

        from orchestration.serve.published import csv_safe

        # RFC 4180 line ends: a value holding a carriage return is quoted, not a broken row
        writer = csv.writer(sys.stdout, lineterminator="\r\n")
        writer.writerow([csv_safe(c) for c in columns])
        for batch in _batches(relation):
            writer.writerows([csv_safe(v) for v in r] for r in batch)
    elif fmt == "json":
        click.echo("[", nl=False)
        first = True
        for batch in _batches(relation):
            for r in batch:
                record = json.dumps(
                    [dict(zip(columns, r, strict=True))], default=str, ensure_ascii=False, indent=1
                ).splitlines()[1:-1]  # the record as it sits, indented, inside a JSON list
                click.echo(("\n" if first else ",\n") + "\n".join(record), nl=False)
                first = False
        click.echo("]" if first else "\n]")
    else:
        from rich.table import Table
        from rich.text import Text

        table = Table(show_lines=False)
        for c in columns:
            table.add_column(Text(c), overflow="fold")
        count = 0
        for batch in _batches(relation):
            for r in batch[: max(0, TABLE_ROWS - count)]:
                table.add_row(*[Text("NULL" if v is None else str(v)) for v in r])
            count += len(batch)
        literal_console().print(table)
        shown = f" (the first {TABLE_ROWS:,} shown; --format csv or json for all)"
        click.echo(f"{count} row(s){shown if count > TABLE_ROWS else ''}")


@main.command()
@click.option("--port", type=int, default=8050, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (loopback by default).",
)
@warehouse_option
def dashboard(port: int, host: str, warehouse: Path) -> None:
    """Serve the dashboard (reads only the published marts.duckdb)."""
    from orchestration.serve.app import serve
    from orchestration.serve.published import not_published_yet

    serving = warehouse.resolve() / "marts.duckdb"
    if not serving.exists():
        raise click.ClickException(not_published_yet(serving))
    click.echo(f"dashboard on http://{host}:{port}/  (reading {serving}; Ctrl-C to stop)")
    serve(serving, host, port)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write one file per published table into.",
)
@warehouse_option
def export(fmt: str, out: Path, warehouse: Path) -> None:
    """Write every published table to OUT as Parquet or CSV."""
    from orchestration.serve.published import (
        PublishedFileMissing,
        QueryLimits,
        csv_safe_columns,
        publication_info,
        published,
        published_tables,
    )

    out.mkdir(parents=True, exist_ok=True)
    try:
        with published(
            warehouse.resolve() / "marts.duckdb",
            external_access=True,
            limits=QueryLimits(timeout_s=None),  # memory, threads and spill as for any reader
        ) as con:
            info = publication_info(con)
            status = info["data_status"] if info else "unknown"
            for table in published_tables(con):
                target = out / f"{table}.{fmt}"
                # every exported table says whether its numbers are real: a data_status column
                # in CSV, file metadata in Parquet (the columns stay exactly as published)
                if fmt == "parquet":
                    con.execute(
                        f'copy (select * from "{table}") to ? '
                        "(format parquet, kv_metadata {data_status: ?})",
                        [str(target), status],
                    )
                else:  # text cells formula-safe (csv_safe_sql), numbers as they are
                    con.sql(
                        f"select {csv_safe_columns(con, table)}, ? as data_status from {table}",
                        params=[status],
                    ).write_csv(str(target), header=True)
                count = con.table(table).shape[0]
                click.echo(f"{target}  ({count:,} rows)")
            click.echo(f"data status of this publication: {status}")
    except PublishedFileMissing as exc:
        raise click.ClickException(str(exc)) from exc


BENCH_KEYS = (
    "rows",
    "pipeline_s",
    "data_path_s",
    "fixed_s",
    "duckdb_floor_s",
    "pandas_s",
    "ratio_vs_floor",
    "ratio_vs_pandas",
    "peak_rss_mb",
    "sample_run_s",
    "noop_run_s",
    "one_source_run_s",
    "dbt_build_s",
)


@main.command()
@click.option("--rows", type=int, required=True, help="Case records to generate and load.")
@click.option(
    "--no-pandas",
    is_flag=True,
    help="Skip the pandas baseline (it needs ~0.25 GB per million rows).",
)
@click.option(
    "--repeat",
    type=int,
    default=3,
    show_default=True,
    help="Runs per measurement (N); the best counts.",
)
@click.option(
    "--no-user-runs",
    is_flag=True,
    help="Skip sample_run_s, noop_run_s, one_source_run_s and dbt_build_s (they do not "
    "depend on --rows).",
)
def bench(rows: int, no_pandas: bool, repeat: int, no_user_runs: bool) -> None:
    """Benchmark the case-record path on ROWS synthetic records against DuckDB and pandas
    baselines; the last line printed is one JSON object (benchmarks/README.md)."""
    from benchmarks.bench import run

    result = run(rows, with_pandas=not no_pandas, repeat=repeat, with_user_runs=not no_user_runs)
    click.echo(json.dumps({k: v for k, v in result.items() if k not in BENCH_KEYS}))
    click.echo(json.dumps({k: result[k] for k in BENCH_KEYS}))


def entry() -> None:
    """The `scomm` executable: main(), then, after a command that imported Dagster (a run), an
    exit without the interpreter's teardown. Freeing what Dagster, dbt, pandas and Great
    Expectations built took ≈1 s after every run had printed its summary (measured: 10.6 s
    with it, 9.6 s without). The exit handlers still run (the helper processes are stopped,
    temporary folders removed, logging flushed) and stdout/stderr are flushed; every file and
    DuckDB connection a run opens is closed before it returns."""
    import os

    try:
        main()
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    if "dagster" not in sys.modules:
        sys.exit(code)
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    stop_workers()  # first, and waited for: nothing of theirs is left to the exit handlers
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
