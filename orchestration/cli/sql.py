"""`scomm sql`: a query on a read-only connection to the published file, within limits."""

from __future__ import annotations

import contextlib
import json
import math
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from orchestration.cli.options import warehouse_option, with_options
from orchestration.cli.printing import literal_console
from orchestration.faults import checkpoint

TABLE_ROWS = 10_000  # rows a table prints; every row is still counted (use csv or json for all)
MAX_TIMEOUT_S = 86_400.0  # --timeout: at most a day
INTERRUPTED_EXIT = 130  # Ctrl-C (SIGINT) stopped the query: 128 + SIGINT, as shells report it


class QueryInterrupted(click.ClickException):
    """Ctrl-C (SIGINT) during `scomm sql`: the query was stopped; one line, exit 130."""

    exit_code = INTERRUPTED_EXIT

    def __init__(self) -> None:
        super().__init__("interrupted (Ctrl-C): the query was stopped; nothing was changed")


def _timeout(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """Seconds, finite, more than 0 and at most MAX_TIMEOUT_S (inf, nan, 1e308 and negative
    values are refused: a watchdog cannot wait for them)."""
    import math

    if not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT_S):
        raise click.BadParameter(
            f"expected a number of seconds more than 0 and at most {MAX_TIMEOUT_S:g} "
            f"(a day), got {value!r}"
        )
    return value


def _size(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A DuckDB size such as 512MB, 2GB or 1.5GiB."""
    import re

    if not re.fullmatch(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value.strip(), re.I):
        raise click.BadParameter(f"expected a size such as 512MB or 2GB, got {value!r}")
    return value.strip()


# the argument and options of `scomm sql`, in the order --help lists them
SQL_OPTIONS = (
    click.argument("query"),
    warehouse_option,
    click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
    ),
    click.option(
        "--timeout",
        type=float,
        default=60.0,
        show_default=True,
        callback=_timeout,
        help="Stop the query (and the fetching of its rows) after this many seconds (more "
        f"than 0, at most {MAX_TIMEOUT_S:g}).",
    ),
    click.option(
        "--memory-limit",
        default="2GB",
        show_default=True,
        callback=_size,
        help="Memory the query may use before it spills to disk, then fails.",
    ),
    click.option(
        "--threads", type=click.IntRange(1, 64), default=2, show_default=True, help="Threads."
    ),
    click.option(
        "--max-temp-size",
        default="4GB",
        show_default=True,
        callback=_size,
        help="Disk the query may spill to, in a temporary folder outside the warehouse ($TMPDIR) "
        "that is removed afterwards.",
    ),
)


@click.command()
@with_options(SQL_OPTIONS)
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
    try:
        checkpoint("sql-start")
        from orchestration.serve.published import QueryLimits

        _sql(query, warehouse, fmt, QueryLimits(timeout, memory_limit, threads, max_temp_size))
    except KeyboardInterrupt:  # before the query started, or after its rows were written
        raise QueryInterrupted() from None


def _sql(query: str, warehouse: Path, fmt: str, limits: Any) -> None:
    import duckdb

    from orchestration.serve.published import (
        PublishedFileMissing,
        QueryRefused,
        QueryTimedOut,
        check_query,
        limit_message,
        published,
    )

    # Read-only, no external access (no other files, no ATTACH, no extension installs), limits
    # locked, queries only: ad hoc SQL cannot change, leak or exhaust anything; never the build
    # database.
    try:
        with (
            published(warehouse.resolve() / "marts.duckdb", limits=limits) as con,
            _stop_on_interrupt(con) as interrupted,
        ):
            checkpoint("sql-connected")
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
                if interrupted.is_set():
                    raise QueryInterrupted() from None
                raise  # the time limit: published() turns it into QueryTimedOut
            except (duckdb.InvalidInputException, duckdb.PermissionException) as exc:
                raise click.ClickException(
                    "refused: the published file is read-only for ad hoc SQL "
                    f"({str(exc).splitlines()[0]})"
                ) from exc
            except (duckdb.Error, RuntimeError) as exc:
                if interrupted.is_set():  # fetching rows: "Query interrupted"
                    raise QueryInterrupted() from None
                if not isinstance(exc, duckdb.Error):
                    raise
                raise click.ClickException(limit_message(exc, limits) or str(exc)) from exc
    except KeyboardInterrupt:
        raise QueryInterrupted() from None
    except QueryRefused as exc:
        raise click.ClickException(str(exc)) from exc
    except QueryTimedOut as exc:
        raise click.ClickException(
            f"{exc} (--timeout {limits.timeout_s:g}): the query was stopped; narrow it or "
            "raise --timeout"
        ) from exc
    except PublishedFileMissing as exc:
        raise click.ClickException(str(exc)) from exc


@contextlib.contextmanager
def _stop_on_interrupt(con: Any) -> Iterator[threading.Event]:
    """Ctrl-C (SIGINT) stops the running query at once, every time. Python runs its signal
    handlers only between bytecodes of the main thread, which waits inside DuckDB while a query
    runs, so the C-level handler's wakeup byte is read by a thread that interrupts the
    connection (again and again, until the block ends: DuckDB clears an interrupt when the
    next query starts); the handler itself then raises KeyboardInterrupt once, further Ctrl-Cs
    are not raised again while the command cleans up. The returned event says it happened."""
    import signal

    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():  # CliRunner in a thread
        yield interrupted
        return
    read_end, write_end = socket.socketpair()
    read_end.settimeout(0.05)
    write_end.setblocking(False)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                data = read_end.recv(64)
            except TimeoutError:
                data = b""
            except OSError:
                return
            if interrupted.is_set() or signal.SIGINT in data:
                interrupted.set()
                con.interrupt()

    def handler(signum: int, frame: object) -> None:
        if not interrupted.is_set():
            interrupted.set()
            raise KeyboardInterrupt

    previous_fd = signal.set_wakeup_fd(write_end.fileno(), warn_on_full_buffer=False)
    previous = signal.signal(signal.SIGINT, handler)
    thread = threading.Thread(target=watch, daemon=True, name="scomm-sql-interrupt")
    thread.start()
    try:
        yield interrupted
    finally:
        done.set()
        thread.join()
        signal.set_wakeup_fd(previous_fd)
        signal.signal(signal.SIGINT, previous)
        read_end.close()
        write_end.close()


def _strict(value: Any) -> Any:
    """``value`` as strict JSON can hold it: a float that is NaN or ±Infinity becomes null
    (JSON has no such numbers; CSV and Parquet keep them), inside lists and structs too."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    return value


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
                    [dict(zip(columns, (_strict(v) for v in r), strict=True))],
                    default=str,
                    ensure_ascii=False,
                    indent=1,
                    allow_nan=False,
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
