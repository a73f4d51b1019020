"""`scomm`: the command line (click for parsing, rich for tables).

scomm run [--source interop=PATH] [--warehouse DIR]   ingest → validate → dbt → publish
scomm sql "select …" [--format table|csv|json]         read-only SQL on the published file
scomm tables / scomm describe TABLE                    what each table and column means
scomm docs                                             dbt's docs site (dictionary, lineage)

One module per command (run.py, fetch.py, sql.py, describe.py, dashboard.py, docs.py, export.py,
bench.py), each
parsing its arguments and printing its result; printing.py holds what several print (the run
summary, the plan, the console, unknown-name messages), options.py the shared options. What a
run does and reports is in run/, the readers in ingest/, the dashboard in serve/. Heavy
libraries (Dagster, dbt, Great Expectations, DuckDB, rich) are imported by the command that
needs them, never here.
"""

from __future__ import annotations

import atexit
import sys
from typing import Any

INTERRUPTED_EXIT = 130  # Ctrl-C (SIGINT): 128 + SIGINT, as shells report it
INTERRUPTED = "Error: interrupted (Ctrl-C) before the command finished"

try:  # Ctrl-C while the command's modules load (≈0.2 s): one line, not an import traceback
    import click

    from orchestration.cli import bench, dashboard, describe, docs, export, fetch, run, sql
    from orchestration.run.workers import stop_workers
except KeyboardInterrupt:
    print(INTERRUPTED, file=sys.stderr)
    sys.exit(INTERRUPTED_EXIT)


class Interrupted(click.ClickException):
    """Ctrl-C (SIGINT) reached the command line itself (a command that does not stop on it in
    its own way, or in the moment before it starts): one line and exit 130, never click's
    "Aborted!" with exit 1. `scomm run` and `scomm sql` say what they stopped."""

    exit_code = INTERRUPTED_EXIT

    def __init__(self) -> None:
        super().__init__(INTERRUPTED.removeprefix("Error: "))


class Scomm(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None


@click.group(cls=Scomm)
@click.version_option(package_name="scomm")
def main() -> None:
    """Secure Communities enforcement statistics warehouse."""


for _command in (
    run.run,
    fetch.fetch,
    sql.sql,
    describe.tables,
    describe.describe,
    dashboard.dashboard,
    docs.docs,
    export.export,
    bench.bench,
):
    main.add_command(_command)


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
