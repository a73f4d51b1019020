"""Ingest assets: each source file into its raw DuckDB table, and jurisdiction normalization."""

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from pydantic import Field

from orchestration.cases_ingest import (
    FIRST_FISCAL_YEAR,
    LAST_FISCAL_YEAR,
    load_raw_cases,
    merge_cases_load,
)
from orchestration.faults import checkpoint
from orchestration.ingest import load_raw_interop, replace_table
from orchestration.jurisdictions import load_overrides, resolve
from orchestration.reference_ingest import (
    load_raw_activations,
    load_raw_noncitizen,
    load_raw_population,
)
from orchestration.resources import WarehouseResource
from orchestration.sources import load_sources

RAW_INTEROP = dg.AssetKey(["raw", "interop_reports"])
RAW_MATCHES = dg.AssetKey(["raw", "jurisdiction_matches"])
RAW_POPULATION = dg.AssetKey(["raw", "census_population"])
RAW_NONCITIZEN = dg.AssetKey(["raw", "acs_noncitizen"])
RAW_ACTIVATIONS = dg.AssetKey(["raw", "sc_activation_panel"])
RAW_CASES = dg.AssetKey(["raw", "cases"])
RAW_CASES_GROUPED = dg.AssetKey(["raw", "cases_grouped"])
RAW_CASE_MATCHES = dg.AssetKey(["raw", "cases_jurisdiction_matches"])
REDACTED = "b(6), b(7)c"

# Case records are partitioned by fiscal year (October-September, named by the year it ends):
# an incremental load of one year's release reads that release only and replaces that year.
CASE_FISCAL_YEARS = dg.StaticPartitionsDefinition(
    [str(y) for y in range(FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR + 1)])
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def fiscal_year_tags(first: int | None = None, last: int | None = None) -> dict[str, str]:
    """Run tags selecting fiscal years first..last of the case partitions (default: all of
    them, a full load)."""
    return {RANGE_START: str(first or FIRST_FISCAL_YEAR), RANGE_END: str(last or LAST_FISCAL_YEAR)}


def is_full_load(tags: dict[str, str]) -> bool:
    """True for a run over every case partition (or an unpartitioned one)."""
    if "dagster/partition" in tags:
        return False
    return (tags.get(RANGE_START, str(FIRST_FISCAL_YEAR)) == str(FIRST_FISCAL_YEAR)
            and tags.get(RANGE_END, str(LAST_FISCAL_YEAR)) == str(LAST_FISCAL_YEAR))


def run_fiscal_years(context: dg.AssetExecutionContext) -> list[int] | None:
    """The fiscal years this run loads, or None when it covers every partition (a full
    load)."""
    keys = context.partition_keys
    if set(keys) == set(CASE_FISCAL_YEARS.get_partition_keys()):
        return None
    return [int(k) for k in keys]


class SourceConfig(dg.Config):
    """Which file this run loads for the source; empty = its default in sources.yml (the
    embedded synthetic sample)."""

    path: str | None = Field(default=None, description="A file in the source's layout.")
    paths: list[str] | None = Field(
        default=None, description="Several files of one load (case-level records only).")


@dataclass(frozen=True)
class SourceAsset:
    source: str
    key: dg.AssetKey
    load: Callable[[duckdb.DuckDBPyConnection, Path, str], object]
    description: str
    many_files: bool = False

    @property
    def op_name(self) -> str:
        return "__".join(self.key.path)


def source_path(source: str, configured: str | None) -> Path:
    if configured:
        return Path(configured)
    default = load_sources()[source].default_path
    if default is None:
        raise ValueError(f"source {source!r} has no default file in sources.yml; pass one")
    return default


def _rows(result: object) -> int:
    return len(result.rows) if hasattr(result, "rows") else int(result)


def _build(spec: SourceAsset) -> dg.AssetsDefinition:
    @dg.asset(key=spec.key, group_name="ingest", kinds={"duckdb"}, description=spec.description)
    def _asset(context: dg.AssetExecutionContext, config: SourceConfig,
               warehouse: WarehouseResource) -> dg.MaterializeResult:
        path = source_path(spec.source, config.path)
        with warehouse.connect() as con:
            result = spec.load(con, path, context.run_id)
            sha = con.execute(f"select any_value(_source_sha256) from "
                              f"{'.'.join(spec.key.path)}").fetchone()[0]
        checkpoint("ingest")
        extra = list(getattr(result, "extra_columns", ()))
        if extra:
            context.log.warning(f"{path}: extra column(s) {extra} kept in _extra_columns")
        return dg.MaterializeResult(metadata={
            "source": spec.source, "source_file": str(path.resolve()), "source_sha256": sha,
            "rows": _rows(result), "extra_columns": extra,
        })

    return _asset


SOURCE_ASSETS: dict[str, SourceAsset] = {
    s.source: s for s in (
        SourceAsset("interop", RAW_INTEROP, load_raw_interop,
                    "ICE IDENT/IAFIS interoperability statistics exactly as published: one row "
                    "per jurisdiction per report, counts cumulative since activation, every value "
                    "kept as text (blank = not reported), with the source file, its sha256, the "
                    "line of each row and the load time. Replaced on every load, so a rerun never "
                    "duplicates rows."),
        SourceAsset("population", RAW_POPULATION, load_raw_population,
                    "Census county and state population estimates 2010-2019 (co-est2019-alldata "
                    "layout), the columns the warehouse uses, as text, with load metadata."),
        SourceAsset("noncitizen", RAW_NONCITIZEN, load_raw_noncitizen,
                    "ACS 5-year non-citizen population by county and year, with its margin of "
                    "error, as text (NA = not published), with load metadata."),
        SourceAsset("activations", RAW_ACTIVATIONS, load_raw_activations,
                    "Secure Communities activation panel (county x calendar year, Stata), as "
                    "published: date_secure is missing in the years before activation."),
        SourceAsset("cases", RAW_CASES, load_raw_cases,
                    "Case-level removal records (ICE FOIA releases), one row per removal, every "
                    "column of the release kept as text with file, sha256 and row number; "
                    "loaded by DuckDB straight from CSV, gzip, Parquet or xlsx.",
                    many_files=True),
    )
}


# one run per load, whatever the number of fiscal years (a beta parameter in Dagster 1.13)
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`",
                        category=dg.BetaWarning)


@dg.asset(key=RAW_CASES, group_name="ingest", kinds={"duckdb"},
          description=SOURCE_ASSETS["cases"].description,
          partitions_def=CASE_FISCAL_YEARS, backfill_policy=dg.BackfillPolicy.single_run())
def raw_cases(context: dg.AssetExecutionContext, config: SourceConfig,
              warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The release files of this load, scanned once and staged (raw.cases_load) for the
    checks: all fiscal years (a full load: the files will replace every case record) or the
    run's fiscal years only (an incremental load: they will replace those years, the others
    stay)."""
    files = ([Path(p) for p in config.paths] if config.paths
             else [source_path("cases", config.path)])
    fiscal_years = run_fiscal_years(context)
    with warehouse.connect() as con:
        rows = load_raw_cases(con, files, context.run_id, warehouse.root / "cases_copies",
                              fiscal_years=fiscal_years)
        sha = con.execute("select string_agg(sha256, ' ') from raw.cases_load_files"
                          ).fetchone()[0]
        by_year = dict(con.execute(
            "select coalesce(cast(fiscal_year as varchar), 'undated'), sum(n) "
            "from raw.cases_load group by all order by 1").fetchall())
    checkpoint("ingest")
    return dg.MaterializeResult(metadata={
        "source": "cases", "source_file": ", ".join(str(f.resolve()) for f in files),
        "source_sha256": sha, "rows": rows,
        "load": "full" if fiscal_years is None else "incremental",
        "rows_by_fiscal_year": {k: int(v) for k, v in by_year.items()},
    })


@dg.asset(key=RAW_CASES_GROUPED, deps=[RAW_CASES], group_name="ingest", kinds={"duckdb"},
          partitions_def=CASE_FISCAL_YEARS, backfill_policy=dg.BackfillPolicy.single_run())
def raw_cases_grouped(context: dg.AssetExecutionContext,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The warehouse's case records, counted (file, state, county, fiscal year, codes): the
    staged load moved in once its blocking checks passed, replacing every fiscal year (full
    load) or the run's fiscal years (incremental load). A load refused by a check never gets
    here, so a later incremental run cannot publish it."""
    with warehouse.connect() as con:
        held = merge_cases_load(con, full=run_fiscal_years(context) is None)
        years = con.execute("select count(distinct fiscal_year) from raw.cases_grouped"
                            ).fetchone()[0]
    return dg.MaterializeResult(metadata={"records": held, "fiscal_years": years})


SOURCE_ASSET_DEFS = [_build(spec) for spec in SOURCE_ASSETS.values() if not spec.many_files]
SOURCE_ASSET_DEFS += [raw_cases, raw_cases_grouped]


def run_config_for(sources: dict[str, Path | list[Path]]) -> dict:
    """Run config that points each named source's ingest asset at its file(s)."""
    ops = {}
    for name, value in sources.items():
        files = value if isinstance(value, list) else [value]
        config = ({"paths": [str(p) for p in files]} if SOURCE_ASSETS[name].many_files
                  else {"path": str(files[-1])})
        ops[SOURCE_ASSETS[name].op_name] = {"config": config}
    return {"ops": ops}


@dg.asset(key=RAW_MATCHES, deps=[RAW_INTEROP], group_name="ingest", kinds={"duckdb", "python"})
def jurisdiction_matches(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Every distinct published (state, jurisdiction name) resolved to a 5-digit FIPS key with
    addfips/us and the overrides seed; state-wide agencies get `<state fips>000`. Names that
    cannot be resolved (unknown, ambiguous) carry a quarantine reason: their rows are kept out of
    the facts and published in qa_interop_quarantined_reports, never dropped or guessed."""
    overrides = load_overrides()
    with warehouse.connect() as con:
        pairs = con.execute(
            "select distinct state, jurisdiction from raw.interop_reports order by all"
        ).fetchall()
        resolved = [resolve(state, name, overrides) for state, name in pairs]
        frame = pd.DataFrame(
            {
                "published_state": [p[0] for p in pairs],
                "published_name": [p[1] for p in pairs],
                "state": [r.state for r in resolved],
                "jurisdiction_id": [r.jurisdiction_id for r in resolved],
                "jurisdiction_name": [r.name for r in resolved],
                "kind": [r.kind for r in resolved],
                "match_method": [r.method for r in resolved],
                "quarantine_reason": [r.quarantine_reason for r in resolved],
            },
            dtype=object,
        )
        replace_table(con, "raw.jurisdiction_matches", frame,
                      {c: "varchar" for c in frame.columns})
    quarantined = [r for r in resolved if r.quarantine_reason]
    for r in quarantined:
        context.log.warning(f"quarantined {r.state} {r.published_name!r}: {r.quarantine_reason}")
    return dg.MaterializeResult(
        metadata={
            "published_names": len(resolved),
            "resolved": len(resolved) - len(quarantined),
            "quarantined": len(quarantined),
        }
    )


@dg.asset(key=RAW_CASE_MATCHES, deps=[RAW_CASES_GROUPED], group_name="ingest",
          kinds={"duckdb", "python"})
def case_jurisdiction_matches(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Every distinct (Apprehension State, Apprehension County) of the case records resolved
    with the same normalization as the statistics (addfips/us + overrides seed). Redacted and
    unresolvable names are quarantined with a reason; their rows are counted, never guessed."""
    overrides = load_overrides()
    with warehouse.connect() as con:
        pairs = con.execute(
            "select apprehension_state, apprehension_county, sum(n) from raw.cases_grouped "
            "group by all order by all").fetchall()
        resolved = []
        for state, county, _ in pairs:
            if county is not None and county.strip() == REDACTED:
                resolved.append((None, None, "county redacted in the release (b(6), b(7)c)",
                                 None, None))
                continue
            r = resolve(state, county, overrides)
            resolved.append((r.jurisdiction_id, r.state, r.quarantine_reason, r.name, r.kind))
        frame = pd.DataFrame({
            "published_state": [p[0] for p in pairs],
            "published_county": [p[1] for p in pairs],
            "rows": [p[2] for p in pairs],
            "jurisdiction_id": [r[0] for r in resolved],
            "state": [r[1] for r in resolved],
            "quarantine_reason": [r[2] for r in resolved],
            "jurisdiction_name": [r[3] for r in resolved],
            "kind": [r[4] for r in resolved],
        }, dtype=object)
        replace_table(con, "raw.cases_jurisdiction_matches", frame, {
            "published_state": "varchar", "published_county": "varchar", "rows": "bigint",
            "jurisdiction_id": "varchar", "state": "varchar", "quarantine_reason": "varchar",
            "jurisdiction_name": "varchar", "kind": "varchar"})
    quarantined_rows = sum(p[2] for p, r in zip(pairs, resolved, strict=True) if r[2])
    total_rows = sum(p[2] for p in pairs)
    context.log.info(f"case rows: {total_rows} = {total_rows - quarantined_rows} placed + "
                     f"{quarantined_rows} quarantined")
    return dg.MaterializeResult(metadata={"rows": total_rows,
                                          "quarantined_rows": quarantined_rows,
                                          "names": len(pairs)})
