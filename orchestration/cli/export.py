"""`scomm export`: every published table as a Parquet or CSV file, with its codebook
(`datapackage.json`) beside them (serve/published/export.py)."""

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
    help="Folder to write one file per published table and datapackage.json into.",
)
@warehouse_option
def export(fmt: str, out: Path, warehouse: Path) -> None:
    """Write every published table to OUT as Parquet or CSV, and the codebook
    datapackage.json (Frictionless Data Package: every table and column with its type and
    description, the data status, the sources and their sha256)."""
    import duckdb

    from orchestration.serve.published import PublishedFileMissing, QueryLimits, published
    from orchestration.serve.published.export import export_tables

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
            _, _, status = export_tables(con, out, fmt, click.echo)
    except PublishedFileMissing as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, duckdb.IOException) as exc:  # disk full, permission denied …
        raise click.ClickException(
            f"cannot write into {out}: {' '.join(str(exc).split())}"
        ) from None
    click.echo(f"data status of this publication: {status}")


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
