"""`scomm dashboard`: serve the dashboard on the published file."""

from __future__ import annotations

from pathlib import Path

import click

from orchestration.cli.options import warehouse_option


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8050, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (loopback by default).",
)
@warehouse_option
def dashboard(port: int, host: str, warehouse: Path) -> None:
    """Serve the dashboard (reads only the published marts.duckdb)."""
    from orchestration.serve.app import CannotListen, listen, serve
    from orchestration.serve.published import not_published_yet
    from orchestration.serve.published.connection import sweep_spills

    serving = warehouse.resolve() / "marts.duckdb"
    if not serving.exists():
        raise click.ClickException(not_published_yet(serving))
    try:
        sock = listen(host, port)
    except CannotListen as exc:
        raise click.ClickException(str(exc)) from None
    sweep_spills()  # spill folders of readers that were killed
    click.echo(f"dashboard on http://{host}:{port}/  (reading {serving}; Ctrl-C to stop)")
    serve(serving, sock)
