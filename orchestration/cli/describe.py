"""`scomm tables` and `scomm describe TABLE`: what the published file holds and what each column
means, read from the file's own comments (dbt's yml, copied in by the publish step)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from orchestration.cli.options import warehouse_option
from orchestration.cli.printing import literal_console, unknown

# `scomm describe` exit codes (README, "What a column means")
NO_SUCH_TABLE = 2


def _first_sentence(text: str | None) -> str:
    """The description's first sentence, at most 160 characters, for a one-line listing."""
    if not text:
        return "(no description)"
    head = text.split(". ", 1)[0]
    return head if len(head) <= 160 else head[:159] + "…"


@click.command()
@warehouse_option
@click.option("--full", is_flag=True, help="Each table's whole description, not its first line.")
def tables(warehouse: Path, full: bool) -> None:
    """List the published tables with their row counts and what each holds."""
    from rich.table import Table
    from rich.text import Text

    from orchestration.dictionary.comments import published_tables
    from orchestration.serve.published import PublishedFileMissing, published

    try:
        with published(warehouse.resolve() / "marts.duckdb") as con:
            found = published_tables(con)
    except PublishedFileMissing as exc:
        raise click.ClickException(str(exc)) from exc
    table = Table(show_lines=full)
    table.add_column(Text("table"), no_wrap=True)
    table.add_column(Text("rows"), justify="right")
    table.add_column(Text("description"), overflow="fold")
    for t in found:
        text = t.description if full else _first_sentence(t.description)
        table.add_row(Text(t.name), Text(f"{t.rows:,}"), Text(text or "(no description)"))
    literal_console().print(table)
    click.echo(f"{len(found)} tables; `scomm describe TABLE` for the columns of one.")


@click.command()
@click.argument("table_name", metavar="TABLE")
@warehouse_option
def describe(table_name: str, warehouse: Path) -> None:
    """Show TABLE's description and its columns, with their types and what each means.
    Exits 2 when the published file has no such table (1 when there is no published file)."""
    from rich.table import Table
    from rich.text import Text

    from orchestration.dictionary.comments import published_columns, table_comment
    from orchestration.serve.published import PublishedFileMissing, published, published_tables

    try:
        with published(warehouse.resolve() / "marts.duckdb") as con:
            columns = published_columns(con, table_name)
            description = table_comment(con, table_name)
            known = published_tables(con)
    except PublishedFileMissing as exc:
        raise click.ClickException(str(exc)) from exc
    if not columns:
        click.echo(f"Error: {unknown('table', table_name, known)}", err=True)
        sys.exit(NO_SUCH_TABLE)
    console = literal_console()
    console.print(Text(table_name, style="bold"))
    console.print(Text(description or "(no description)"))
    table = Table(show_lines=True)
    table.add_column(Text("column"), no_wrap=True)
    table.add_column(Text("type"), no_wrap=True)
    table.add_column(Text("description"), overflow="fold")
    for c in columns:
        table.add_row(Text(c.name), Text(c.data_type), Text(c.description or "(no description)"))
    console.print(table)
