"""`scomm`: the command line (click for parsing, rich for tables).

    scomm run [--source interop=PATH] [--warehouse DIR]   ingest → validate → dbt → publish
    scomm sql "select …" [--format table|csv|json]         read-only SQL on the published file
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click

from orchestration.paths import DEFAULT_CACHE, DEFAULT_WAREHOUSE
from orchestration.sources import MULTI_FILE_SOURCES, SOURCE_NAMES

EXAMPLE_SQL = (
    "select fiscal_year, removals_total, round(minor_share_removals, 3) as minor_share "
    "from mart_jurisdiction_year where jurisdiction_id = '25025' order by fiscal_year"
)


class RunRefused(click.ClickException):
    exit_code = 3


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
        raise RunRefused(
            f"another scomm run is using {warehouse}; wait for it to finish") from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def parse_sources(values: tuple[str, ...], cache: Path = DEFAULT_CACHE,
                  allow_http: bool = False) -> dict[str, Path | list[Path]]:
    """NAME=PATH or NAME=URL (https; downloaded into the cache first) for each --source; a
    multi-file source (cases) collects every file given for it."""
    sources: dict[str, Path] = {}
    many: dict[str, list[Path]] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not path:
            raise click.BadParameter(f"expected NAME=PATH, got {value!r}", param_hint="--source")
        if name not in SOURCE_NAMES:
            raise click.BadParameter(
                f"unknown source {name!r}; known: {', '.join(SOURCE_NAMES)}",
                param_hint="--source")
        if "://" in path:
            sources[name] = _fetch_one(name, path, cache, expected_sha256=None,
                                       allow_insecure=allow_http)
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


@dataclass
class RunReport:
    success: bool
    step_errors: list[str] = field(default_factory=list)
    checks_passed: list[str] = field(default_factory=list)
    checks_failed: list[tuple[str, str, bool]] = field(default_factory=list)  # name, text, blocking
    skipped_steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. extra columns accepted
    run_id: str = ""


def _root_cause(error) -> str:
    """The user-facing error inside Dagster's wrappers (a SerializableErrorInfo chain): our own
    errors (InputFileError …) already name file, line and column, so stop at the first
    non-Dagster error instead of descending into the library error it was raised from."""
    while error is not None and error.cause is not None and (
            (error.cls_name or "").startswith("Dagster")):
        error = error.cause
    return error.message.strip() if error is not None else "unknown error"


def execute(warehouse: Path, sources: dict[str, Path],
            fiscal_years: tuple[int, int] | None = None) -> RunReport:
    """Run the scomm job in process against ``warehouse`` and collect what happened; with
    ``fiscal_years`` (first, last), the cases job for those fiscal years instead."""
    return execute_with_result(warehouse, sources, fiscal_years)[0]


def execute_with_result(warehouse: Path, sources: dict,
                        fiscal_years: tuple[int, int] | None = None
                        ) -> tuple[RunReport, object]:
    """execute(), also returning Dagster's ExecuteInProcessResult (events, timings)."""
    import dagster as dg

    from orchestration.assets_ingest import fiscal_year_tags, run_config_for
    from orchestration.definitions import build_definitions

    defs = build_definitions(str(warehouse))
    # The summary below says what failed and why; Dagster's own console log would add stack
    # traces for expected failures (a blocking check), so only critical messages pass.
    run_config: dict = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
                        **run_config_for(sources)}
    # dagster-dbt echoes every dbt event to stdout; keep it in a log file, not the summary.
    log_path = warehouse / "logs" / "last_run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        job = "scomm_job" if fiscal_years is None else "cases_job"
        result = defs.resolve_job_def(job).execute_in_process(
            run_config=run_config, instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False, tags=fiscal_year_tags(*(fiscal_years or ())),
        )
    report = RunReport(success=result.success, run_id=result.run_id)
    for event in result.all_events:
        kind = event.event_type_value
        data = event.event_specific_data
        if kind == "STEP_FAILURE":
            report.step_errors.append(f"{event.step_key}: {_root_cause(data.error)}")
        elif kind == "STEP_SKIPPED":
            report.skipped_steps.append(event.step_key)
        elif kind == "ASSET_MATERIALIZATION":
            meta = data.materialization.metadata or {}
            extra = meta.get("extra_columns")
            if extra is not None and extra.value:
                report.notes.append(f"{meta['source_file'].value}: extra column(s) "
                                    f"{list(extra.value)} accepted and kept in _extra_columns")
        elif kind == "ASSET_CHECK_EVALUATION":
            if data.passed:
                report.checks_passed.append(data.check_name)
            else:
                blocking = data.severity.value == "ERROR"
                text = data.description or json.dumps(
                    {k: str(v.value) for k, v in (data.metadata or {}).items()})[:1500]
                report.checks_failed.append((data.check_name, text, blocking))
    # A blocking check that failed makes the run unsuccessful even if every step "succeeded".
    if any(blocking for _, _, blocking in report.checks_failed):
        report.success = False
    return report, result


def row_accounting(warehouse: Path, run_id: str) -> list[str]:
    """Every raw row this run read is either loaded into the facts or quarantined: say how many
    of each (tables this run did not reload are not reported)."""
    import duckdb

    build = warehouse / "build.duckdb"
    if not build.exists():
        return []
    lines = []
    try:
        with duckdb.connect(str(build), read_only=True) as con:
            tables = {r[0] for r in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables"
            ).fetchall()}
            cases = {t for t in tables if t.startswith("raw.cases")}
            derived = {"raw.jurisdiction_matches"} | cases
            loaded = {t for t in tables if t.startswith("raw.") and t not in derived
                      and con.execute(f"select count(*) filter (where _load_id = ?) > 0 "
                                      f"from {t}", [run_id]).fetchone()[0]}
            tables = loaded | ({"raw.jurisdiction_matches"} & tables)
            if {"raw.interop_reports", "raw.jurisdiction_matches"} <= tables:
                raw, loaded, quarantined = con.execute("""
                    select count(*), count(m.jurisdiction_id),
                           count(*) - count(m.jurisdiction_id)
                    from raw.interop_reports r
                    left join raw.jurisdiction_matches m
                      on r.state is not distinct from m.published_state
                     and r.jurisdiction is not distinct from m.published_name""").fetchone()
                lines.append(f"interop rows: {raw:,} read = {loaded:,} loaded + "
                             f"{quarantined:,} quarantined")
            if "raw.cases_load" in cases and con.execute(
                    "select count(*) from raw.cases_load_files where load_id = ?",
                    [run_id]).fetchone()[0]:
                read = con.execute("select sum(n) from raw.cases_load").fetchone()[0]
                merged = con.execute("select count(*) from raw.cases_grouped where _load_id = ?",
                                     [run_id]).fetchone()[0] if "raw.cases_grouped" in cases \
                    else 0
                lines.append(f"case rows: {read:,} read in this load"
                             + ("" if merged else " (not merged: a check refused it)"))
                if merged and "raw.cases_jurisdiction_matches" in cases:
                    total, quarantined = con.execute("""
                        select sum(rows), coalesce(sum(rows) filter (
                            where jurisdiction_id is null), 0)
                        from raw.cases_jurisdiction_matches""").fetchone()
                    lines.append(f"case rows held: {total:,} = {total - quarantined:,} placed + "
                                 f"{quarantined:,} quarantined (qa_cases_quarantined)")
            for table in ("census_population", "acs_noncitizen", "sc_activation_panel"):
                if f"raw.{table}" in tables:
                    n = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
                    lines.append(f"{table} rows: {n:,} read, all loaded")
    except duckdb.Error:
        return []
    return lines


def published_counts(serving: Path) -> list[tuple[str, int]]:
    from orchestration.serving import published, published_tables

    with published(serving) as con:
        return [(t, con.execute(f'select count(*) from "{t}"').fetchone()[0])
                for t in published_tables(con)]


def _fiscal_years(ctx: click.Context, param: click.Parameter,
                  value: str | None) -> tuple[int, int] | None:
    """YYYY, YYYY-YYYY or `all` (every case partition) within the case partitions."""
    if value is None:
        return None
    from orchestration.assets_ingest import FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR

    if value == "all":
        return FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR
    first, _, last = value.partition("-")
    try:
        years = (int(first), int(last or first))
    except ValueError:
        raise click.BadParameter(f"expected YYYY or YYYY-YYYY, got {value!r}") from None
    if not FIRST_FISCAL_YEAR <= years[0] <= years[1] <= LAST_FISCAL_YEAR:
        raise click.BadParameter(f"{value}: fiscal years run from {FIRST_FISCAL_YEAR} to "
                                 f"{LAST_FISCAL_YEAR}, first year first")
    return years


@click.group()
@click.version_option(package_name="scomm")
def main() -> None:
    """Secure Communities enforcement statistics warehouse."""


@main.command()
@click.option("--source", "source_values", multiple=True, metavar="NAME=PATH_OR_URL",
              help="Load this file (or https URL, downloaded into the cache first) for the named "
                   "source instead of its default in sources.yml. Sources: "
                   + ", ".join(SOURCE_NAMES) + ".")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_CACHE, show_default=True, help="Download cache for URLs.")
@click.option("--allow-http", is_flag=True,
              help="Accept plain-http URLs in --source (https only otherwise).")
@click.option("--fiscal-year", "fiscal_year", metavar="YYYY[-YYYY]|all",
              callback=_fiscal_years,
              help="Load case records only: the --source cases file(s) replace these fiscal "
                   "years (one year, a range such as 2019-2021, or `all` for every year); every "
                   "other year, and every other source, stays as loaded before. Without it a run "
                   "is a full load of every source.")
@click.option("--step-timings", type=click.Path(dir_okay=False, path_type=Path), hidden=True,
              help="Write seconds per Dagster step as JSON here (used by scomm bench).")
@click.option("--warehouse", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_WAREHOUSE, show_default=True,
              help="Folder for every output: build.duckdb, marts.duckdb, dbt/.")
def run(source_values: tuple[str, ...], cache: Path, allow_http: bool,
        fiscal_year: tuple[int, int] | None, step_timings: Path | None,
        warehouse: Path) -> None:
    """Ingest, validate, build the dbt marts, validate them and publish marts.duckdb."""
    from rich.console import Console
    from rich.table import Table

    from orchestration.validation import start_worker, stop_worker

    console = Console()
    sources = parse_sources(source_values, cache, allow_http)
    warehouse = warehouse.resolve()
    serving = warehouse / "marts.duckdb"
    # Great Expectations loads (≈4 s) in a forked process while this one imports Dagster/dbt
    start_worker()
    atexit.register(stop_worker)
    if fiscal_year is not None:
        if set(sources) != {"cases"}:
            raise click.BadParameter("an incremental load (--fiscal-year) takes case files only: "
                                     "pass --source cases=PATH (repeatable) and no other source",
                                     param_hint="--fiscal-year")
        if not (warehouse / "build.duckdb").exists():
            raise click.BadParameter(f"{warehouse} has no full load yet: run `scomm run` "
                                     "without --fiscal-year first", param_hint="--fiscal-year")
    try:
        with warehouse_lock(warehouse):
            named = ", ".join(f"{k}={v}" for k, v in sources.items()) or "the embedded samples"
            console.print(f"[bold]scomm run[/] → {warehouse}  (sources: {named})",
                          highlight=False)
            report, result = execute_with_result(warehouse, sources, fiscal_year)
            if step_timings:
                from orchestration.bench import step_seconds

                step_timings.write_text(json.dumps(step_seconds(result)))
    except OSError as exc:  # read-only folder, disk full, permission denied …
        raise click.ClickException(
            f"cannot write to the warehouse folder {warehouse}: {exc.strerror or exc} "
            f"({type(exc).__name__}); nothing was published") from exc

    console.print(f"checks passed: {len(report.checks_passed)}, failed: "
                  f"{sum(b for *_, b in report.checks_failed)} blocking, "
                  f"{sum(not b for *_, b in report.checks_failed)} warning(s)")
    for name, text, blocking in report.checks_failed:
        label = "[red]FAILED[/]" if blocking else "[yellow]WARNING[/]"
        console.print(f"{label} {name}: {text}", highlight=False, markup=True, soft_wrap=True)
    for error in report.step_errors:
        console.print(f"[red]ERROR[/] {error}", highlight=False, soft_wrap=True)
    for note in report.notes:
        console.print(f"[yellow]NOTE[/] {note}", highlight=False, soft_wrap=True)
    for line in row_accounting(warehouse, report.run_id):
        console.print(line, highlight=False)

    console.print(f"dbt and step log: {warehouse / 'logs' / 'last_run.log'}", highlight=False)
    if not report.success:
        unchanged = (f"The previously published file is unchanged: {serving}"
                     if serving.exists() else "")
        console.print(f"[red bold]Run failed: nothing was published.[/] {unchanged}")
        sys.exit(1)

    table = Table(title=f"Published {serving}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in published_counts(serving):
        table.add_row(name, str(count))
    console.print(table)
    wh = "" if warehouse == DEFAULT_WAREHOUSE.resolve() else f" --warehouse {warehouse}"
    console.print("Ad hoc SQL (read-only on the published file):")
    console.print(f"  .venv/bin/scomm sql{wh} \"{EXAMPLE_SQL}\"", highlight=False, soft_wrap=True)


def _fetch_one(name: str, url: str, cache: Path, expected_sha256: str | None,
               allow_insecure: bool = False) -> Path:
    from orchestration.fetch import FetchError, fetch
    from orchestration.sources import SourcesFileError

    try:
        record = fetch(url, name, cache, expected_sha256=expected_sha256,
                       allow_insecure=allow_insecure)
    except (FetchError, SourcesFileError) as exc:
        raise click.ClickException(f"{name}: {exc}") from exc
    click.echo(f"{name}: {record.path} ({record.size:,} bytes, sha256 {record.sha256}"
               f"{', verified' if expected_sha256 else ''})")
    return Path(record.path)


@main.command()
@click.argument("names", nargs=-1)
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_CACHE, show_default=True,
              help="Where downloads land: CACHE/NAME/<file> plus a .provenance.json record.")
def fetch(names: tuple[str, ...], cache: Path) -> None:
    """Download the published files of the named sources (default: every source with URLs in
    sources.yml) into the cache, verifying their sha256 when one is configured."""
    from orchestration.sources import SourcesFileError, load_sources

    try:
        specs = load_sources()
    except SourcesFileError as exc:
        raise click.ClickException(str(exc)) from exc
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise click.BadParameter(f"unknown source(s) {unknown}; known: {', '.join(specs)}")
    chosen = [specs[n] for n in names] if names else [s for s in specs.values() if s.urls]
    for spec in chosen:
        if not spec.urls:
            click.echo(f"{spec.name}: no download URL in sources.yml ({spec.publisher}); "
                       f"download it yourself and pass --source {spec.name}=PATH to scomm run")
            continue
        for url in spec.urls:
            _fetch_one(spec.name, url, cache, spec.sha256 if len(spec.urls) == 1 else None,
                       allow_insecure=spec.allow_insecure)




@main.command()
@click.argument("query")
@click.option("--warehouse", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_WAREHOUSE, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
def sql(query: str, warehouse: Path, fmt: str) -> None:
    """Run QUERY on a read-only connection to the published marts.duckdb."""
    import duckdb

    from orchestration.serving import PublishedFileMissing, published

    # Read-only, no external access (no other files, no ATTACH, no extension installs), so ad
    # hoc SQL cannot change or leak anything; never the build database.
    try:
        with published(warehouse.resolve() / "marts.duckdb") as con:
            try:
                relation = con.execute(query)
                columns = [d[0] for d in relation.description or []]
                rows = relation.fetchall()
            except (duckdb.InvalidInputException, duckdb.PermissionException) as exc:
                raise click.ClickException(
                    f"refused: the published file is read-only for ad hoc SQL ({exc})") from exc
            except duckdb.Error as exc:
                raise click.ClickException(str(exc)) from exc
    except PublishedFileMissing as exc:
        raise click.ClickException(str(exc)) from exc
    _print_rows(columns, rows, fmt)


def _print_rows(columns: list[str], rows: list[tuple], fmt: str) -> None:
    if fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        click.echo(json.dumps([dict(zip(columns, r, strict=True)) for r in rows],
                              default=str, ensure_ascii=False, indent=1))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False)
        for c in columns:
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*["NULL" if v is None else str(v) for v in r])
        Console().print(table)
        click.echo(f"{len(rows)} row(s)")


@main.command()
@click.option("--port", type=int, default=8050, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (loopback by default).")
@click.option("--warehouse", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_WAREHOUSE, show_default=True)
def dashboard(port: int, host: str, warehouse: Path) -> None:
    """Serve the dashboard (reads only the published marts.duckdb)."""
    from orchestration.dashboard import serve

    serving = warehouse.resolve() / "marts.duckdb"
    if not serving.exists():
        raise click.ClickException(f"{serving} does not exist yet: run `make run` first")
    click.echo(f"dashboard on http://{host}:{port}/  (reading {serving}; Ctrl-C to stop)")
    serve(serving, host, port)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet",
              show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write one file per published table into.")
@click.option("--warehouse", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_WAREHOUSE, show_default=True)
def export(fmt: str, out: Path, warehouse: Path) -> None:
    """Write every published table to OUT as Parquet or CSV."""
    from orchestration.serving import PublishedFileMissing, published, published_tables

    out.mkdir(parents=True, exist_ok=True)
    try:
        with published(warehouse.resolve() / "marts.duckdb", external_access=True) as con:
            for table in published_tables(con):
                target = out / f"{table}.{fmt}"
                relation = con.table(table)
                if fmt == "parquet":
                    relation.write_parquet(str(target))
                else:
                    relation.write_csv(str(target), header=True)
                click.echo(f"{target}  ({relation.shape[0]:,} rows)")
    except PublishedFileMissing as exc:
        raise click.ClickException(str(exc)) from exc


BENCH_KEYS = ("rows", "pipeline_s", "data_path_s", "fixed_s", "duckdb_floor_s", "pandas_s",
              "ratio_vs_floor", "ratio_vs_pandas", "peak_rss_mb")


@main.command()
@click.option("--rows", type=int, required=True, help="Case records to generate and load.")
@click.option("--no-pandas", is_flag=True, help="Skip the pandas baseline (it needs ~0.25 GB "
              "per million rows).")
@click.option("--repeat", type=int, default=3, show_default=True,
              help="Pipeline runs per size; the best counts.")
def bench(rows: int, no_pandas: bool, repeat: int) -> None:
    """Benchmark the case-record path on ROWS synthetic records against DuckDB and pandas
    baselines; the last line printed is one JSON object (benchmarks/README.md)."""
    from orchestration.bench import run

    result = run(rows, with_pandas=not no_pandas, repeat=repeat)
    click.echo(json.dumps({k: v for k, v in result.items() if k not in BENCH_KEYS}))
    click.echo(json.dumps({k: result[k] for k in BENCH_KEYS}))
