"""`scomm docs`: dbt's documentation site — data dictionary and lineage graph — as static files
that work offline (dictionary/dbt_docs.py); the dashboard serves them under /docs."""

from __future__ import annotations

from pathlib import Path

import click

from orchestration.cli.options import warehouse_option
from orchestration.dictionary.dbt_docs import WAREHOUSE_FOLDER


@click.command()
@warehouse_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Folder to write the site into [default: WAREHOUSE/{WAREHOUSE_FOLDER}, which the "
    "dashboard serves under /docs].",
)
def docs(warehouse: Path, out: Path | None) -> None:
    """Generate dbt's documentation of the models, sources and columns, with the lineage graph,
    as static files (open index.html from disk, or see /docs on the dashboard). Reads the
    warehouse's build database (read-only) while holding its run lock."""
    from orchestration.dictionary.dbt_docs import DocsError, generate
    from orchestration.run.lock import WarehouseBusy, warehouse_lock

    warehouse = warehouse.resolve()
    target = (out or warehouse / WAREHOUSE_FOLDER).resolve()
    build = warehouse / "build.duckdb"
    if not build.exists():
        raise click.ClickException(
            f"{warehouse} has no build database: `scomm run --warehouse {warehouse}` builds it"
        )
    try:
        with warehouse_lock(warehouse):
            site = generate(build, target)
    except (WarehouseBusy, DocsError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"dbt docs: {site.nodes} models, seeds, tests and sources → {site.folder / 'index.html'} "
        "(opens offline from disk; `scomm dashboard` serves it under /docs)"
    )
