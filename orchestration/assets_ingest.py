"""Ingest assets: source files into raw DuckDB tables, and jurisdiction normalization."""


from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from orchestration.ingest import load_raw_interop
from orchestration.jurisdictions import load_overrides, resolve
from orchestration.paths import SAMPLE_INTEROP
from orchestration.resources import WarehouseResource

RAW_INTEROP = dg.AssetKey(["raw", "interop_reports"])
RAW_MATCHES = dg.AssetKey(["raw", "jurisdiction_matches"])


class InteropSourceConfig(dg.Config):
    """Which file this run loads (the embedded synthetic sample unless told otherwise)."""

    path: str = Field(
        default=str(SAMPLE_INTEROP),
        description="A CSV in the canonical interoperability layout (see DOMAIN.md).",
    )


@dg.asset(key=RAW_INTEROP, group_name="ingest", kinds={"duckdb", "csv"})
def raw_interop_reports(
    context: dg.AssetExecutionContext,
    config: InteropSourceConfig,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """ICE IDENT/IAFIS interoperability statistics exactly as published: one row per
    jurisdiction per report, counts cumulative since activation, every value kept as text
    (blank = not reported), with the source file, its sha256, the line of each row and the
    load time. Replaced on every load, so a rerun never duplicates rows."""
    path = Path(config.path)
    with warehouse.connect() as con:
        parsed = load_raw_interop(con, path, context.run_id)
    rows = len(parsed.rows)
    if parsed.extra_columns:
        context.log.warning(
            f"{path}: extra column(s) {list(parsed.extra_columns)} kept in _extra_columns"
        )
    return dg.MaterializeResult(
        metadata={
            "source_file": str(path.resolve()),
            "source_sha256": parsed.sha256,
            "rows": rows,
            "extra_columns": list(parsed.extra_columns),
        }
    )


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
        con.register("incoming_matches", frame)
        con.execute(
            """
            create or replace table raw.jurisdiction_matches as
            select
                cast(published_state as varchar) as published_state,
                cast(published_name as varchar) as published_name,
                cast(state as varchar) as state,
                cast(jurisdiction_id as varchar) as jurisdiction_id,
                cast(jurisdiction_name as varchar) as jurisdiction_name,
                cast(kind as varchar) as kind,
                cast(match_method as varchar) as match_method,
                cast(quarantine_reason as varchar) as quarantine_reason
            from incoming_matches
            """
        )
        con.unregister("incoming_matches")
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
