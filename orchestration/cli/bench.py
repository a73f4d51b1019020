"""`scomm bench`: the case-record path against DuckDB and pandas baselines."""

from __future__ import annotations

import json

import click

# the keys of the last line printed, in this order (benchmarks/README.md)
BENCH_KEYS = (
    "rows",
    "pipeline_s",
    "data_path_s",
    "fixed_s",
    "duckdb_floor_s",
    "pandas_s",
    "ratio_vs_floor",
    "ratio_vs_pandas",
    "peak_rss_mb",
    "sample_run_s",
    "noop_run_s",
    "one_source_run_s",
    "dbt_build_s",
)


@click.command()
@click.option(
    "--rows", type=click.IntRange(min=1), required=True, help="Case records to generate and load."
)
@click.option(
    "--no-pandas",
    is_flag=True,
    help="Skip the pandas baseline (it needs ~0.25 GB per million rows).",
)
@click.option(
    "--repeat",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Runs per measurement (N); the best counts.",
)
@click.option(
    "--no-user-runs",
    is_flag=True,
    help="Skip sample_run_s, noop_run_s, one_source_run_s and dbt_build_s (they do not "
    "depend on --rows).",
)
def bench(rows: int, no_pandas: bool, repeat: int, no_user_runs: bool) -> None:
    """Benchmark the case-record path on ROWS synthetic records against DuckDB and pandas
    baselines; the last line printed is one JSON object (benchmarks/README.md)."""
    from benchmarks.bench import run

    result = run(rows, with_pandas=not no_pandas, repeat=repeat, with_user_runs=not no_user_runs)
    click.echo(json.dumps({k: v for k, v in result.items() if k not in BENCH_KEYS}))
    click.echo(json.dumps({k: result[k] for k in BENCH_KEYS}))
