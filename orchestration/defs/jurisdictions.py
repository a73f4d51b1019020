"""Name → jurisdiction: every distinct published (state, name) of a source resolved to a 5-digit
FIPS key by one function (orchestration/ingest/jurisdictions.py: addfips/us and the overrides
seed; state-wide agencies get `<state fips>000`). Names that cannot be resolved (unknown,
ambiguous, redacted) carry a quarantine reason: their rows are kept out of the facts and
counted in the qa_ marts, never dropped or guessed. One asset factory, used once per source."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from orchestration.defs.keys import (
    RAW_CASE_MATCHES,
    RAW_CASE_PLACES,
    RAW_CASES_GROUPED,
    RAW_G287,
    RAW_G287_MATCHES,
    RAW_INTEROP,
    RAW_MATCHES,
    RAW_PLACE_FIGURE_MATCHES,
    RAW_PLACE_FIGURES,
)
from orchestration.defs.resources import WarehouseResource
from orchestration.ingest.g287 import resolve_agency
from orchestration.ingest.jurisdictions import (
    Override,
    Resolution,
    load_overrides,
    resolve,
    resolve_place,
)
from orchestration.ingest.place_figures import KEY_SEPARATOR, resolve_figure_place
from orchestration.ingest.raw_tables import replace_table
from orchestration.paths import CASE_PLACE_OVERRIDES, JURISDICTION_OVERRIDES

REDACTED = "b(6), b(7)c"


@dataclass(frozen=True)
class NameSource:
    """Where a source's published names are: a query giving (state, name, rows) per distinct
    pair, the table the matches go to, and what its name column is called."""

    key: dg.AssetKey
    upstream: dg.AssetKey
    pairs_sql: str
    name_column: str
    description: str
    redacted: str | None = None  # a name the release redacted (quarantined as such)
    # how one (state, name) is resolved, and the override seeds it reads (later ones win)
    resolver: Callable[[str | None, str | None, dict[tuple[str, str], Override]], Resolution] = (
        resolve
    )
    overrides: tuple[Path, ...] = (JURISDICTION_OVERRIDES,)


def resolve_names(con: duckdb.DuckDBPyConnection, names: NameSource) -> pd.DataFrame:
    """Resolve every distinct pair of ``names`` and replace its matches table; returns it."""
    overrides: dict[tuple[str, str], Override] = {}
    for path in names.overrides:
        overrides |= load_overrides(path)
    pairs = con.execute(names.pairs_sql).fetchall()
    resolved: list[Resolution] = []
    for state, name, _ in pairs:
        if names.redacted is not None and name is not None and name.strip() == names.redacted:
            resolved.append(
                Resolution.quarantined(
                    None,
                    name,
                    f"county redacted in the release ({names.redacted})",
                )
            )
        else:
            resolved.append(names.resolver(state, name, overrides))
    frame = pd.DataFrame(
        {
            "published_state": [p[0] for p in pairs],
            names.name_column: [p[1] for p in pairs],
            "rows": [p[2] for p in pairs],
            "state": [r.state for r in resolved],
            "jurisdiction_id": [r.jurisdiction_id for r in resolved],
            "jurisdiction_name": [r.name for r in resolved],
            "kind": [r.kind for r in resolved],
            "match_method": [r.method for r in resolved],
            "quarantine_reason": [r.quarantine_reason for r in resolved],
        },
        dtype=object,
    )
    types = {c: "varchar" for c in frame.columns} | {"rows": "bigint"}
    replace_table(con, ".".join(names.key.path), frame, types)
    return frame


def matches_asset(names: NameSource) -> dg.AssetsDefinition:
    @dg.asset(
        key=names.key,
        deps=[names.upstream],
        group_name="ingest",
        kinds={"duckdb", "python"},
        description=names.description,
    )
    def _asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            frame = resolve_names(con, names)
        quarantined = frame[frame["quarantine_reason"].notna()]
        for row in quarantined.head(50).itertuples():
            context.log.warning(
                f"quarantined {row.published_state} "
                f"{getattr(row, names.name_column)!r}: {row.quarantine_reason}"
            )
        total, set_aside = int(frame["rows"].sum()), int(quarantined["rows"].sum())
        context.log.info(f"rows: {total} = {total - set_aside} placed + {set_aside} quarantined")
        return dg.MaterializeResult(
            metadata={
                "published_names": len(frame),
                "resolved": len(frame) - len(quarantined),
                "quarantined": len(quarantined),
                "rows": total,
                "quarantined_rows": set_aside,
            }
        )

    return _asset


INTEROP_NAMES = NameSource(
    key=RAW_MATCHES,
    upstream=RAW_INTEROP,
    name_column="published_name",
    pairs_sql="select state, jurisdiction, count(*) from raw.interop_reports "
    "group by all order by all",
    description="Every distinct published (state, jurisdiction name) of the statistics resolved "
    "to a 5-digit FIPS key; unresolvable names quarantined with their reason "
    "(qa_interop_quarantined_reports).",
)
CASE_NAMES = NameSource(
    key=RAW_CASE_MATCHES,
    upstream=RAW_CASES_GROUPED,
    name_column="published_county",
    pairs_sql="select apprehension_state, apprehension_county, sum(n) from raw.cases_grouped "
    "where coalesce(event_kind, 'removal') = 'removal' group by all order by all",
    redacted=REDACTED,
    description="Every distinct (Apprehension State, Apprehension County) of the case records "
    "resolved with the same normalization as the statistics; redacted and "
    "unresolvable names quarantined with their reason, their rows counted "
    "(qa_cases_quarantined).",
)

G287_NAMES = NameSource(
    key=RAW_G287_MATCHES,
    upstream=RAW_G287,
    name_column="published_agency",
    pairs_sql="select state, agency, count(*) from raw.g287_agency_years group by all order by all",
    resolver=resolve_agency,
    description="Every distinct (state, agency) of the 287(g) statistics placed in a "
    "jurisdiction by the agency rules of orchestration/ingest/g287.py (the agency overrides "
    "seed; state agencies -> <state fips>000; sheriffs, county jails and corrections -> their "
    "county; city police -> an independent city or the seed's county) and the same name "
    "normalization as the statistics; unplaced agencies quarantined with their reason "
    "(qa_287g_quarantined_agencies).",
)


CASE_PLACES = NameSource(
    key=RAW_CASE_PLACES,
    upstream=RAW_CASES_GROUPED,
    name_column="published_place",
    pairs_sql="select apprehension_state, place, sum(n) from raw.cases_grouped "
    "where event_kind <> 'removal' group by all order by all",
    resolver=resolve_place,
    overrides=(JURISDICTION_OVERRIDES, CASE_PLACE_OVERRIDES),
    description="Every distinct (state, place) of the arrest and book-in records: a jail "
    "resolved to its county (the same normalization plus seeds/case_place_overrides.csv); "
    "offices, operations, prisons, non-custodial arrests and unresolved jails stay at state "
    "level, their class in match_method and the reason in quarantine_reason.",
)


PLACE_FIGURE_NAMES = NameSource(
    key=RAW_PLACE_FIGURE_MATCHES,
    upstream=RAW_PLACE_FIGURES,
    name_column="published_key",
    pairs_sql=f"select state, place_kind || '{KEY_SEPARATOR}' || place, count(*) "
    "from raw.place_figures group by all order by all",
    resolver=resolve_figure_place,
    description="Every distinct (state, kind|place) of the compiled place figures placed by "
    "orchestration/ingest/place_figures.py: a county by the same normalization as the "
    "statistics, a city by the county holding it (seeds/city_counties.csv, or an independent "
    "city), a state at <state fips>000; ICE field offices and places that cannot be placed "
    "are listed with the reason (qa_place_figures_quarantined), never dropped.",
)


def matches_assets() -> list[dg.AssetsDefinition]:
    return [
        matches_asset(names)
        for names in (INTEROP_NAMES, CASE_NAMES, CASE_PLACES, G287_NAMES, PLACE_FIGURE_NAMES)
    ]
