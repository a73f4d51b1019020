"""`scomm run`: ingest, validate, build the dbt marts, validate them and publish."""

from __future__ import annotations

import atexit
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestration.cli.fetch import fetch_one
from orchestration.cli.options import warehouse_option, with_options
from orchestration.cli.printing import (
    did_you_mean,
    literal_console,
    print_plan,
    print_run_summary,
    summary_guard,
    unknown,
)
from orchestration.paths import DEFAULT_CACHE
from orchestration.run.execute import execute_with_result
from orchestration.run.lock import WarehouseBusy, warehouse_lock
from orchestration.run.workers import start_workers, stop_workers
from orchestration.sources.catalog import MULTI_FILE_SOURCES, SOURCE_NAMES

if TYPE_CHECKING:
    from rich.console import Console

    from orchestration.run.report import RunReport


class RunRefused(click.ClickException):
    exit_code = 3


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
            sources[name] = fetch_one(
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


# the options of `scomm run`, in the order --help lists them
RUN_OPTIONS = (
    click.option(
        "--source",
        "source_values",
        multiple=True,
        metavar="NAME=PATH_OR_URL",
        help="Load this file (or https URL, downloaded into the cache first) for the named "
        "source instead of its default in sources.yml. Sources: " + ", ".join(SOURCE_NAMES) + ".",
    ),
    click.option(
        "--cache",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_CACHE,
        show_default=True,
        help="Download cache for URLs.",
    ),
    click.option(
        "--allow-http",
        is_flag=True,
        help="Accept plain-http URLs in --source (https only otherwise).",
    ),
    click.option(
        "--fiscal-year",
        "fiscal_year",
        metavar="YYYY[-YYYY]|all",
        callback=_fiscal_years,
        help="Load case records only: the --source cases file(s) replace these fiscal "
        "years (one year, a range such as 2019-2021, or `all` for every year); every "
        "other year, and every other source, stays as loaded before. Without it a run "
        "is a full load of every source.",
    ),
    click.option(
        "--profile",
        default=None,
        help="Load exactly the pinned public files of this profile's sources (sources.yml "
        "`profiles`, e.g. `public`): every other source is not loaded. Files come from --mirror, "
        "the download cache, or are downloaded now; each is checked against its sha256.",
    ),
    click.option(
        "--mirror",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        default=None,
        help="A folder holding the profile's files under their published names (e.g. "
        "../shared/reference), standing in for the downloads; sha256 still checked.",
    ),
    click.option(
        "--step-timings",
        type=click.Path(dir_okay=False, path_type=Path),
        hidden=True,
        help="Write seconds per Dagster step as JSON here (used by scomm bench).",
    ),
    click.option(
        "--full",
        is_flag=True,
        help="Rebuild and publish every source even when nothing changed since the last "
        "publication (by default a run does only what changed, or nothing: 'up to date').",
    ),
    click.option(
        "--accept-smaller",
        "accept_smaller",
        metavar="REASON",
        default=None,
        help="Accept, for this run, a case release with fewer records than the last published "
        "load of some fiscal year (the completeness gate warns instead of refusing). Who "
        "(your user name) and REASON are recorded in the publication (_publication).",
    ),
    warehouse_option,
)


@click.command()
@with_options(RUN_OPTIONS)
def run(
    source_values: tuple[str, ...],
    cache: Path,
    allow_http: bool,
    fiscal_year: tuple[int, int] | None,
    profile: str | None,
    mirror: Path | None,
    step_timings: Path | None,
    full: bool,
    accept_smaller: str | None,
    warehouse: Path,
) -> None:
    """Ingest, validate, build the dbt marts, validate them and publish marts.duckdb: only
    the sources whose input changed since the last publication (--full: all of them)."""
    console = literal_console()
    _check_reason(accept_smaller)
    sources = _chosen_sources(source_values, cache, allow_http, fiscal_year, profile, mirror)
    _check_catalog(sources if fiscal_year is None else None)
    warehouse = warehouse.resolve()
    serving = warehouse / "marts.duckdb"
    if fiscal_year is not None:
        _check_incremental(sources, warehouse)
    try:
        with warehouse_lock(warehouse):
            outcome = _run_locked(
                console, warehouse, sources, fiscal_year, full, profile, accept_smaller
            )
            if outcome is None:  # up to date: nothing was run
                return
            report, result = outcome
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
        print_run_summary(console, report, warehouse, serving)
    if not report.success:
        sys.exit(1)


def _check_reason(reason: str | None) -> None:
    """--accept-smaller REASON: a reason that can be recorded (refused before the run)."""
    if reason is None:
        return
    from orchestration.run.plan import acceptance_of

    try:
        acceptance_of(reason)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--accept-smaller") from None


def _chosen_sources(
    source_values: tuple[str, ...],
    cache: Path,
    allow_http: bool,
    fiscal_year: tuple[int, int] | None,
    profile: str | None,
    mirror: Path | None,
) -> dict:
    """The files this run loads: each --source, over the pinned files of --profile."""
    sources = parse_sources(source_values, cache, allow_http)
    if mirror is not None and profile is None:
        raise click.BadParameter("--mirror goes with --profile", param_hint="--mirror")
    if profile is None:
        return sources
    if fiscal_year is not None:
        raise click.BadParameter("--profile is a full load", param_hint="--fiscal-year")
    from orchestration.sources.catalog import SourcesFileError
    from orchestration.sources.profiles import ProfileError, profile_files

    try:
        return {**profile_files(profile, cache, mirror).sources, **sources}
    except SourcesFileError as exc:
        raise click.ClickException(str(exc)) from None
    except ProfileError as exc:
        raise click.ClickException(f"profile {profile}: {exc}") from exc


def _check_catalog(sources: dict | None) -> None:
    """Before anything runs: the sources file is valid (else one line: file, line, column), and
    every source this full load takes from its default (``sources``: those given; None: an
    incremental load, which takes no defaults) has that file."""
    from orchestration.sources.catalog import SourcesFileError, load_catalog

    try:
        specs = load_catalog()
    except SourcesFileError as exc:
        raise click.ClickException(str(exc)) from None
    for name, spec in specs.items():
        default = spec.default_path
        if sources is None or name in sources or default is None:
            continue
        if not default.is_file():
            raise click.ClickException(
                f"{default}: no such file: the default file of source {name!r} (its `default` "
                f"in sources.yml); restore it, or give one with --source {name}=PATH"
            )


def _check_incremental(sources: dict, warehouse: Path) -> None:
    """An incremental load (--fiscal-year) takes case files only, over a full load."""
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


def _run_locked(
    console: Console,
    warehouse: Path,
    sources: dict,
    fiscal_year: tuple[int, int] | None,
    full: bool,
    profile: str | None,
    accept_smaller: str | None = None,
) -> tuple[RunReport, object] | None:
    """Under the warehouse's lock: the header, the plan, and the run (None: up to date)."""
    from rich.text import Text

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
    from orchestration.serve.published.connection import sweep_spills

    sweep_spills()  # readers' spill folders left by killed `scomm sql` processes
    only = None
    if fiscal_year is None and not full:
        # decided before Dagster, dbt or Great Expectations are imported
        from orchestration.sources.fingerprint import plan_run

        plan = plan_run(warehouse, sources)
        print_plan(console, warehouse, plan)
        if plan.up_to_date:
            return None
        only = None if plan.full else set(plan.changed)
    # the Great Expectations process now, before Dagster is imported; dbt's worker once the
    # run has imported dbt (run/workers.py)
    start_workers()
    atexit.register(stop_workers)
    return execute_with_result(warehouse, sources, fiscal_year, only, accept_smaller)


def _as_list(files: Path | list[Path]) -> list[Path]:
    return files if isinstance(files, list) else [files]
