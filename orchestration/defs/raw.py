"""Source assets: each source's file(s) into its raw DuckDB table, every value as published, with
file, sha256 and line; and the merge of a checked case-record load into the warehouse's records.

Every source is one entry of SOURCE_ASSETS, built by one factory; the readers (no Dagster) are
in orchestration/ingest/. Case records are partitioned by fiscal year (defs/partitions.py).
"""

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from pydantic import Field

from orchestration.defs.checks.common import validate_ahead
from orchestration.defs.checks.raw import SUITES_AHEAD
from orchestration.defs.keys import (
    RAW_ACTIVATIONS,
    RAW_CASES,
    RAW_CASES_GROUPED,
    RAW_FIGURES,
    RAW_G287,
    RAW_INTEROP,
    RAW_NONCITIZEN,
    RAW_PLACE_FIGURES,
    RAW_POPULATION,
)
from orchestration.defs.partitions import case_fiscal_years, run_fiscal_years
from orchestration.defs.resources import WarehouseResource
from orchestration.faults import checkpoint
from orchestration.ingest.build_state import loaded_fingerprint, record_fingerprint
from orchestration.ingest.cases.scan import load_raw_cases
from orchestration.ingest.cases.store import merge_cases_load
from orchestration.ingest.figures import FIGURE_COLUMNS, load_raw_figures
from orchestration.ingest.g287 import G287_COLUMNS, load_raw_g287
from orchestration.ingest.interop import INTEROP_COLUMNS, load_raw_interop
from orchestration.ingest.place_figures import PLACE_FIGURE_COLUMNS, load_raw_place_figures
from orchestration.ingest.raw_tables import (
    SourceLoad,
    record_source_load,
    scalar,
    write_empty_raw_text,
)
from orchestration.ingest.readers.csv import ParsedFile
from orchestration.ingest.reference import (
    load_raw_activations,
    load_raw_noncitizen,
    load_raw_population,
)
from orchestration.sources.catalog import MULTI_FILE_SOURCES, load_sources, load_status
from orchestration.sources.fingerprint import (
    code_version,
    fingerprint,
    incremental_fingerprint,
    spec_hashes,
)


class SourceConfig(dg.Config):
    """Which file(s) this run loads for the source; empty = its default in sources.yml (the
    embedded synthetic sample)."""

    paths: list[str] | None = Field(
        default=None,
        description="Files in the source's layout (one, except for sources that "
        "take several files per load: case records).",
    )


@dataclass(frozen=True)
class LoadContext:
    """What a loader gets besides the connection and the files."""

    run_id: str
    warehouse: WarehouseResource
    fiscal_years: list[int] | None  # None: every fiscal year (a full load)


# A loader writes raw.<table> from the files and returns the metadata of the materialization:
# at least "rows" and "sha256" (one per file, in order); "extra_columns" when the file had
# columns beyond the layout. Given no file (the source is not loaded this run) it writes the
# table empty, or refuses when the source cannot be absent.
Loader = Callable[[duckdb.DuckDBPyConnection, list[Path], LoadContext], dict[str, Any]]


@dataclass(frozen=True)
class SourceAsset:
    source: str
    key: dg.AssetKey
    load: Loader
    description: str
    partitioned: bool = False

    @property
    def op_name(self) -> str:
        return "__".join(self.key.path)


def source_paths(source: str, configured: list[str] | None) -> list[Path]:
    """The run's files for ``source``: the configured ones ([] = not loaded this run), else its
    embedded sample (none: not loaded)."""
    if configured is not None:
        if len(configured) > 1 and source not in MULTI_FILE_SOURCES:
            raise ValueError(f"source {source!r} takes one file per load, got {len(configured)}")
        return [Path(p) for p in configured]
    default = load_sources()[source].default_path
    return [default] if default is not None else []


def _one_file(
    read: Callable[[duckdb.DuckDBPyConnection, Path, str], ParsedFile | int],
    table: str,
    columns: tuple[str, ...] | None = None,
) -> Loader:
    """A loader for the single-file layouts: the reader writes ``table`` and returns a
    ParsedFile or a row count. With ``columns`` (a text layout), no file writes the table
    empty: the source is not loaded and everything downstream exists and is empty."""

    def load(con: duckdb.DuckDBPyConnection, files: list[Path], ctx: LoadContext) -> dict:
        if not files:
            if columns is None:
                raise ValueError(f"{table} needs a file: this source cannot be left out")
            write_empty_raw_text(con, table, columns, ctx.run_id)
            return {"rows": 0, "sha256": [], "extra_columns": []}
        result = read(con, files[0], ctx.run_id)
        if isinstance(result, ParsedFile):
            return {
                "rows": len(result.rows),
                "sha256": [result.sha256],
                "extra_columns": list(result.extra_columns),
            }
        # a reader that returns a count (the Stata panel) recorded its sha256 in the table
        sha = scalar(con, f"select any_value(_source_sha256) from {table}")
        return {"rows": result, "sha256": [sha], "extra_columns": []}

    return load


def _load_cases(con: duckdb.DuckDBPyConnection, files: list[Path], ctx: LoadContext) -> dict:
    """The release files of this load, scanned once and staged (raw.cases_load) for the
    checks: all fiscal years (a full load: the files will replace every case record) or the
    run's fiscal years only (an incremental load: they will replace those years, the others
    stay)."""
    rows = load_raw_cases(
        con, files, ctx.run_id, ctx.warehouse.root / "cases_copies", fiscal_years=ctx.fiscal_years
    )
    by_year = dict(
        con.execute(
            "select coalesce(cast(fiscal_year as varchar), 'undated'), sum(n) "
            "from raw.cases_load group by all order by 1"
        ).fetchall()
    )
    return {
        "rows": rows,
        "sha256": [r[0] for r in con.execute("select sha256 from raw.cases_load_files").fetchall()],
        "load": "full" if ctx.fiscal_years is None else "incremental",
        "rows_by_fiscal_year": {k: int(v) for k, v in by_year.items()},
    }


def source_asset(spec: SourceAsset) -> dg.AssetsDefinition:
    """The Dagster asset of one source (partitioned by fiscal year when the source is)."""

    @dg.asset(
        key=spec.key,
        group_name="ingest",
        kinds={"duckdb"},
        description=spec.description,
        partitions_def=case_fiscal_years() if spec.partitioned else None,
        code_version=code_version()[:16],
        backfill_policy=dg.BackfillPolicy.single_run() if spec.partitioned else None,
    )
    def _asset(
        context: dg.AssetExecutionContext, config: SourceConfig, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        files = source_paths(spec.source, config.paths)
        ctx = LoadContext(
            context.run_id, warehouse, run_fiscal_years(context) if spec.partitioned else None
        )
        catalog = load_sources()[spec.source]
        with warehouse.connect() as con:
            meta = spec.load(con, files, ctx)
            status = (
                load_status(
                    [catalog.status_of(f, s) for f, s in zip(files, meta["sha256"], strict=True)]
                )
                if files
                else "not loaded"
            )
            record_source_load(
                con,
                SourceLoad(
                    source=spec.source,
                    status=status,
                    files=[str(f.resolve()) for f in files],
                    sha256=list(meta["sha256"]),
                    publisher=catalog.publisher,
                    license=catalog.license,
                    rows=int(meta["rows"]),
                    load_id=context.run_id,
                ),
            )
            # what the raw tables now hold, in the terms `scomm run` compares before a run
            if ctx.fiscal_years is None:
                statuses = [
                    catalog.status_of(f, s) for f, s in zip(files, meta["sha256"], strict=True)
                ]
                loaded = fingerprint(
                    spec.source,
                    zip(meta["sha256"], statuses, strict=True),
                    spec_hashes()[spec.source],
                    code_version(),
                )
            else:
                loaded = incremental_fingerprint(
                    loaded_fingerprint(con, spec.source), ctx.fiscal_years, list(meta["sha256"])
                )
            record_fingerprint(con, spec.source, loaded)
        if not files:
            context.log.warning(f"{spec.source}: not loaded this run (no file)")
        checkpoint("ingest")
        # its GX suites start now, in the validation process, while the run goes on
        validate_ahead(context.run_id, SUITES_AHEAD, [spec.key], warehouse)
        extra = meta.get("extra_columns") or []
        if extra:
            context.log.warning(f"{files[0]}: extra column(s) {extra} kept in _extra_columns")
        return dg.MaterializeResult(
            data_version=dg.DataVersion(loaded),
            metadata={
                "source": spec.source,
                "source_file": ", ".join(str(f.resolve()) for f in files),
                "data_status": status,
                **{k: v for k, v in meta.items() if k != "sha256"},
                "source_sha256": " ".join(meta["sha256"]),
            },
        )

    return _asset


SOURCE_ASSETS: dict[str, SourceAsset] = {
    s.source: s
    for s in (
        SourceAsset(
            "interop",
            RAW_INTEROP,
            _one_file(load_raw_interop, "raw.interop_reports", INTEROP_COLUMNS),
            "ICE IDENT/IAFIS interoperability statistics exactly as published: one row "
            "per jurisdiction per report, counts cumulative since activation, every value "
            "kept as text (blank = not reported), with the source file, its sha256, the "
            "line of each row and the load time. Replaced on every load, so a rerun never "
            "duplicates rows.",
        ),
        SourceAsset(
            "population",
            RAW_POPULATION,
            _one_file(load_raw_population, "raw.census_population"),
            "Census county and state population estimates 2010-2019 (co-est2019-alldata "
            "layout), the columns the warehouse uses, as text, with load metadata.",
        ),
        SourceAsset(
            "noncitizen",
            RAW_NONCITIZEN,
            _one_file(load_raw_noncitizen, "raw.acs_noncitizen"),
            "ACS 5-year non-citizen population by county and year, with its margin of "
            "error, as text (NA = not published), with load metadata.",
        ),
        SourceAsset(
            "activations",
            RAW_ACTIVATIONS,
            _one_file(load_raw_activations, "raw.sc_activation_panel"),
            "Secure Communities activation panel (county x calendar year, Stata), as "
            "published: date_secure is missing in the years before activation.",
        ),
        SourceAsset(
            "figures",
            RAW_FIGURES,
            _one_file(load_raw_figures, "raw.published_figures", FIGURE_COLUMNS),
            "Figures ICE and DHS published (hand-compiled, one row per figure with its source "
            "page and whether the page is the agency or a report quoting it), as text, with load "
            "metadata. Not loaded in a sample run (there is no synthetic version).",
        ),
        SourceAsset(
            "place_figures",
            RAW_PLACE_FIGURES,
            _one_file(load_raw_place_figures, "raw.place_figures", PLACE_FIGURE_COLUMNS),
            "Figures ICE and DHS gave for one county, city, state or field office (compiled "
            "from public pages: data/published/place_figures.csv, one row per figure with its "
            "period, a quote of at most 25 words and the page), every value as written (a "
            "percentage stays '52%'), with load metadata.",
        ),
        SourceAsset(
            "cases",
            RAW_CASES,
            _load_cases,
            "Case-level removal records (ICE FOIA releases), one row per removal, every "
            "column of the release kept as text with file, sha256 and row number; "
            "loaded by DuckDB straight from CSV, gzip, Parquet or xlsx.",
            partitioned=True,
        ),
        SourceAsset(
            "g287",
            RAW_G287,
            _one_file(load_raw_g287, "raw.g287_agency_years", G287_COLUMNS),
            "ICE 287(g) statistics as published: persons identified and removed through "
            "287(g), one row per participating agency and fiscal year (FY2006-FY2013), every "
            "value kept as text (blank = no figure in the release, not 0), with the source "
            "file, its sha256 and the line of each row.",
        ),
    )
}


def raw_cases_grouped_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=RAW_CASES_GROUPED,
        deps=[RAW_CASES],
        group_name="ingest",
        kinds={"duckdb"},
        partitions_def=case_fiscal_years(),
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def raw_cases_grouped(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        """The warehouse's case records, counted (file, state, county, fiscal year, codes):
        the staged load moved in once its blocking checks passed, replacing every fiscal year
        (full load) or the run's fiscal years (incremental load). A load refused by a check
        never gets here, so a later incremental run cannot publish it."""
        with warehouse.connect() as con:
            held = merge_cases_load(con, full=run_fiscal_years(context) is None)
            years = scalar(con, "select count(distinct fiscal_year) from raw.cases_grouped")
        return dg.MaterializeResult(metadata={"records": held, "fiscal_years": years})

    return raw_cases_grouped


def raw_assets() -> list[dg.AssetsDefinition]:
    """Every source asset and the case merge (built when the definitions are, not at
    import)."""
    # one run per load, whatever the number of fiscal years (a beta parameter in Dagster 1.13)
    warnings.filterwarnings(
        "ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning
    )
    return [*(source_asset(spec) for spec in SOURCE_ASSETS.values()), raw_cases_grouped_asset()]


def run_config_for(sources: dict[str, Path | list[Path]]) -> dict:
    """Run config that points each named source's ingest asset at its file(s)."""
    ops = {}
    for name, value in sources.items():
        files = value if isinstance(value, list) else [value]
        ops[SOURCE_ASSETS[name].op_name] = {"config": {"paths": [str(p) for p in files]}}
    return {"ops": ops}
