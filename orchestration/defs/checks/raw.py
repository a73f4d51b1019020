"""Blocking checks on the raw tables, as loaded: Great Expectations suites on the interop
statistics, the three reference sources and the 287(g) statistics (layout, types, keys,
arithmetic, ranges)."""

import re

import pandas as pd

from orchestration.defs.checks.common import SuiteCheck, ahead_of, read_frame, suite_check
from orchestration.defs.keys import (
    RAW_ACTIVATIONS,
    RAW_FIGURES,
    RAW_G287,
    RAW_INTEROP,
    RAW_NONCITIZEN,
    RAW_PLACE_FIGURES,
    RAW_POPULATION,
)
from orchestration.defs.resources import WarehouseResource
from orchestration.fiscal import fiscal_year_sql
from orchestration.ingest.interop import COUNT_COLUMNS
from orchestration.ingest.reference import POPULATION_COLUMNS, known_county_fips
from orchestration.paths import DBT_PROJECT_DIR


def _date_or_flag(column: str) -> str:
    """'not given' when blank, the ISO date when valid, NULL only when given but impossible."""
    return (
        f"case when {column} is null then 'not given' "
        f"else cast(cast(try_strptime({column}, '%Y-%m-%d') as date) as varchar) end"
    )


def _level_sum(measure: str) -> str:
    return " + ".join(f"{measure}_{lv}__int" for lv in ("l1", "l2", "l3", "nc"))


RAW_FRAME_SQL = f"""
with typed as (
    select
        *,
        {", ".join(f"try_cast({c} as bigint) as {c}__int" for c in COUNT_COLUMNS)},
        {_date_or_flag("report_through")} as report_through__parsed,
        {_date_or_flag("activation_date")} as activation_date__parsed
    from raw.interop_reports
)
select
    *,
    matches_total__int - ({_level_sum("matches")}) as matches_total__minus_levels,
    removals_total__int - ({_level_sum("removals")}) as removals_total__minus_levels,
    date_diff('day', try_cast(activation_date__parsed as date),
              try_cast(report_through__parsed as date)) as days_since_activation,
    date_diff('day', current_date, try_cast(report_through__parsed as date))
        as report_through__days_after_today
from typed
order by _source_line
"""


def _interop_frame(warehouse: WarehouseResource) -> tuple[pd.DataFrame, str, str]:
    return read_frame(warehouse, RAW_FRAME_SQL), "interop_raw", "raw.interop_reports"


POPULATION_COUNTS = [c for c in POPULATION_COLUMNS if c.startswith(("census", "popestimate"))]


def _population_frame(warehouse: WarehouseResource) -> tuple[pd.DataFrame, str, str]:
    casts = ", ".join(f"try_cast({c} as bigint) as {c}__int" for c in POPULATION_COUNTS)
    frame = read_frame(
        warehouse, f"select *, {casts} from raw.census_population order by _source_line"
    )
    known = known_county_fips()
    frame["fips_known"] = [
        sumlev == "040" or f"{state}{county}" in known
        for sumlev, state, county in zip(
            frame["sumlev"], frame["state"], frame["county"], strict=True
        )
    ]
    return frame, "census_population_raw", "raw.census_population"


def _noncitizen_frame(warehouse: WarehouseResource) -> tuple[pd.DataFrame, str, str]:
    frame = read_frame(
        warehouse,
        """
        select *, try_cast(year as bigint) as year__int,
               try_cast(noncit_pop as bigint) as noncit_pop__int,
               try_cast(moe as bigint) as moe__int
        from raw.acs_noncitizen order by _source_line""",
    )
    known = known_county_fips()
    frame["fips_known"] = [f in known for f in frame["fips"]]
    return frame, "acs_noncitizen_raw", "raw.acs_noncitizen"


ACTIVATION_FRAME_SQL = """
select
    *,
    lpad(cast(cast(county as bigint) as varchar), 5, '0') as jurisdiction_id,
    cast(county as bigint) // 1000 = cast(statefips as bigint) as state_matches_county,
    year(date_secure) as date_secure__year,
    year(date_statewide_secure) as date_statewide_secure__year
from raw.sc_activation_panel
order by _source_line
"""


def _activation_frame(warehouse: WarehouseResource) -> tuple[pd.DataFrame, str, str]:
    frame = read_frame(warehouse, ACTIVATION_FRAME_SQL)
    return frame, "sc_activation_panel_raw", "raw.sc_activation_panel"


def _activation_counties_frame(warehouse: WarehouseResource) -> tuple[pd.DataFrame, str, str]:
    frame = read_frame(
        warehouse,
        f"""
        select jurisdiction_id, min(_source_line) as first_source_line,
               min(date_secure) as activation_date
        from ({ACTIVATION_FRAME_SQL}) group by jurisdiction_id order by jurisdiction_id""",
    )
    changes = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "county_fips_changes.csv", dtype=str)
    known = known_county_fips() | set(changes["old_fips"])
    frame["known"] = [j in known for j in frame["jurisdiction_id"]]
    return frame, "sc_activation_counties_known", "raw.sc_activation_panel (distinct counties)"


def _figures_frame(warehouse: WarehouseResource) -> tuple[pd.DataFrame, str, str]:
    frame = read_frame(warehouse, "select * from raw.published_figures order by _source_line")
    return frame, "published_figures_raw", "raw.published_figures"


def _place_figures_frame(warehouse: WarehouseResource) -> tuple[pd.DataFrame, str, str]:
    """The raw rows, with what the suite checks beside them: whether the metric is in the
    vocabulary seed, the quote's length in words and whether it holds the value as written."""
    frame = read_frame(warehouse, "select * from raw.place_figures order by _source_line")
    metrics = set(pd.read_csv(DBT_PROJECT_DIR / "seeds" / "place_figure_metrics.csv")["metric"])
    quotes = frame["quote"].fillna("").astype(str)
    values = frame["value"].fillna("").astype(str).str.strip()
    frame["metric__known"] = frame["metric"].isin(metrics)
    frame["quote__words"] = quotes.str.split().str.len()
    found = [_value_in_quote(v, q) for v, q in zip(values, quotes, strict=True)]
    frame["quote__has_value"] = [f is not None for f in found]
    frame["quote__value_unit_agrees"] = [f is not False for f in found]
    return frame, "place_figures_raw", "raw.place_figures"


def _value_in_quote(value: str, quote: str) -> bool | None:
    """None when the quote does not hold the value as a whole number (not "15" inside "2015");
    False when it does, but the value is a count and the quote writes a percentage there every
    time ("15" from "15 percent"); True otherwise."""
    if not value:
        return None
    at = [
        m.end() for m in re.finditer(rf"(?<![0-9.,]){re.escape(value)}(?![0-9]|[.,][0-9])", quote)
    ]
    if not at:
        return None
    if re.search(r"%|percent", value, re.IGNORECASE):
        return True
    return not all(re.match(r"\s*(%|percent|per cent)", quote[i:], re.IGNORECASE) for i in at)


def _in_fiscal_year(column: str) -> str:
    """NULL when blank, else whether the date is real and falls in the row's fiscal year."""
    return (
        f"case when {column} is null then null else coalesce("
        f"{fiscal_year_sql(f'try_cast({column} as date)')} = try_cast(fiscal_year as bigint), "
        f"false) end"
    )


G287_FRAME_SQL = f"""
select
    *,
    try_cast(fiscal_year as bigint) as fiscal_year__int,
    try_cast(identified as bigint) as identified__int,
    try_cast(removed as bigint) as removed__int,
    {_in_fiscal_year("fy_start")} as fy_start__in_fiscal_year,
    {_in_fiscal_year("fy_end")} as fy_end__in_fiscal_year
from raw.g287_agency_years
order by _source_line
"""


def _g287_frame(warehouse: WarehouseResource) -> tuple[pd.DataFrame, str, str]:
    return read_frame(warehouse, G287_FRAME_SQL), "g287_raw", "raw.g287_agency_years"


# (asset, check name, blocking, description, the rows its suite validates)
SUITE_CHECKS: list[SuiteCheck] = [
    (
        RAW_INTEROP,
        "interop_raw_suite",
        True,
        "GX suite expectations/interop_raw.json: layout, types, unique keys, "
        "counts >= 0 and whole, totals = sum of levels, matches <= "
        "submissions, no report before activation.",
        _interop_frame,
    ),
    (
        RAW_POPULATION,
        "census_population_raw_suite",
        True,
        "GX suite expectations/census_population_raw.json: well-formed and "
        "known FIPS, one row per key, populations whole and positive.",
        _population_frame,
    ),
    (
        RAW_NONCITIZEN,
        "acs_noncitizen_raw_suite",
        True,
        "GX suite expectations/acs_noncitizen_raw.json: known 5-digit FIPS, "
        "years, one row per county-year, counts and MOE whole and >= 0.",
        _noncitizen_frame,
    ),
    (
        RAW_ACTIVATIONS,
        "sc_activation_panel_raw_suite",
        True,
        "GX suite expectations/sc_activation_panel_raw.json: well-formed "
        "county codes, one row per county-year, dates within the rollout.",
        _activation_frame,
    ),
    (
        RAW_ACTIVATIONS,
        "sc_activation_counties_known",
        False,
        "Warns about panel county codes that are neither a Census county "
        "code nor a retired code in seeds/county_fips_changes.csv.",
        _activation_counties_frame,
    ),
    (
        RAW_FIGURES,
        "published_figures_raw_suite",
        True,
        "GX suite expectations/published_figures_raw.json: every figure has a scope, "
        "metric, whole-number value, source page and source kind; one row per figure.",
        _figures_frame,
    ),
    (
        RAW_PLACE_FIGURES,
        "place_figures_raw_suite",
        True,
        "GX suite expectations/place_figures_raw.json: every figure names its place, state and "
        "kind, a metric of the vocabulary seed and a value, and cites an http(s) page with a "
        "quote of at most 25 words that contains the value as written.",
        _place_figures_frame,
    ),
    (
        RAW_G287,
        "g287_raw_suite",
        True,
        "GX suite expectations/g287_raw.json: layout, fiscal years 2006-2013 "
        "(fy_start/fy_end inside them), identified and removed whole and >= 0 where given, "
        "one row per agency and fiscal year, state a real state name.",
        _g287_frame,
    ),
]

CHECKS = [suite_check(*spec) for spec in SUITE_CHECKS]

# The suites each raw asset starts as soon as it is materialized (common.validate_ahead).
SUITES_AHEAD = ahead_of(SUITE_CHECKS)
