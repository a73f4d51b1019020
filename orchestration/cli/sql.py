"""`scomm sql`: a query on a read-only connection to the published file, within limits."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from orchestration.cli.options import warehouse_option, with_options
from orchestration.cli.printing import literal_console

TABLE_ROWS = 10_000  # rows a table prints; every row is still counted (use csv or json for all)


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
        type=click.FloatRange(min=0, min_open=True),
        default=60.0,
        show_default=True,
        help="Stop the query (and the fetching of its rows) after this many seconds.",
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
