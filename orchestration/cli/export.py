"""`scomm export`: every published table as a Parquet or CSV file."""

from __future__ import annotations

from pathlib import Path

import click

from orchestration.cli.options import warehouse_option


@click.command()
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
