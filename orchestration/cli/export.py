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
    type=click.Path(file_okay=False),
    required=True,
    callback=lambda ctx, param, value: _out_folder(value),
    help="Folder to write one file per published table into.",
)
@warehouse_option
def export(fmt: str, out: Path, warehouse: Path) -> None:
    """Write every published table to OUT as Parquet or CSV."""
    import duckdb

    from orchestration.serve.published import (
        PublishedFileMissing,
        QueryLimits,
        csv_safe_columns,
        publication_info,
        published,
        published_tables,
    )

    _check_out(out, warehouse)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot create {out}: {exc.strerror or exc}") from None
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
    except (OSError, duckdb.IOException) as exc:  # disk full, permission denied …
        raise click.ClickException(
            f"cannot write into {out}: {' '.join(str(exc).split())}"
        ) from None


def _out_folder(value: str) -> Path:
    """--out as given: an empty value is refused (Path("") would be the current folder)."""
    if not value.strip():
        raise click.BadParameter(
            "empty: name the folder to write into (e.g. --out data/export)", param_hint="--out"
        )
    return Path(value)


def _check_out(out: Path, warehouse: Path) -> None:
    """--out names a folder this export may fill (exit 2 otherwise): not empty, not an existing
    file or device (/dev/null), not under something that is not a folder, and not inside the
    warehouse (its published/ folder, or anywhere a run or a reader owns)."""

    def refuse(why: str) -> None:
        raise click.BadParameter(f"{str(out)!r}: {why}", param_hint="--out")

    if out.exists() and not out.is_dir():
        refuse("exists and is not a folder (give a folder to write one file per table into)")
    for parent in out.absolute().parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                refuse(f"{parent} is not a folder")
            break
    target, home = out.resolve(), warehouse.resolve()
    if target == home or home in target.parents:
        refuse(
            f"inside the warehouse {home} (its files belong to runs and readers): "
            "export to a folder outside it"
        )
