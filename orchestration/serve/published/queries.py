"""What the dashboard reads from the published file: the vocabulary of offense levels and
measures, the jurisdictions, their rows by fiscal year, the ranking and the 95% Wilson interval."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb

from orchestration.serve.published.connection import per_version, published_tables, rows

LEVELS = ("l1", "l2", "l3", "nc")
LEVEL_LABELS = {"l1": "Level 1", "l2": "Level 2", "l3": "Level 3", "nc": "Non-criminal"}
MEASURES = ("referrals", "removals")
SINGULAR = {"referrals": "referral", "removals": "removal"}
SMALL_COUNT = 20  # denominators below this are flagged, not ranked


@dataclass(frozen=True)
class Jurisdiction:
    jurisdiction_id: str
    name: str
    state: str
    activation_date: Any
    in_interop_reports: bool = True
    in_287g_statistics: bool = False
    in_case_records: bool = False
    in_place_figures: bool = False

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"

    @property
    def has_reports(self) -> bool:
        """Some program's numbers are published for it (the search's suggestions list these);
        a county without any still has a page with what is known: activation, population."""
        return (
            self.in_interop_reports
            or self.in_287g_statistics
            or self.in_case_records
            or self.in_place_figures
        )


CASE_MARTS = ("mart_case_removals_year", "mart_case_events_county_year")


def jurisdictions(con: duckdb.DuckDBPyConnection) -> list[Jurisdiction]:
    """Every jurisdiction the publication knows anything about: reports in the interoperability
    statistics, the 287(g) statistics, the case records or the place figures, or an activation
    date or a population (dim_jurisdiction: every county with the Census file)."""
    return per_version(con, "jurisdictions", lambda: _jurisdictions(con))


def _jurisdictions(con: duckdb.DuckDBPyConnection) -> list[Jurisdiction]:
    tables = set(published_tables(con))
    cases = [f"select jurisdiction_id from {t}" for t in CASE_MARTS if t in tables]
    case_ids = " union ".join(cases) if cases else "select null::varchar as jurisdiction_id"
    g287 = (
        "coalesce(in_287g_statistics, false)"
        if _has_column(con, "dim_jurisdiction", "in_287g_statistics")
        else "false"
    )
    figure_ids = (
        "select jurisdiction_id from mart_place_figures"
        if "mart_place_figures" in tables
        else "select null::varchar as jurisdiction_id"
    )
    return [
        Jurisdiction(**r)
        for r in rows(
            con,
            f"""
        with case_ids as ({case_ids}), figure_ids as ({figure_ids})
        select jurisdiction_id, name, state, activation_date,
               coalesce(in_interop_reports, false) as in_interop_reports,
               {g287} as in_287g_statistics,
               jurisdiction_id in (select jurisdiction_id from case_ids) as in_case_records,
               jurisdiction_id in (select jurisdiction_id from figure_ids) as in_place_figures
        from dim_jurisdiction
        where in_interop_reports or {g287}
           or jurisdiction_id in (select jurisdiction_id from case_ids)
           or jurisdiction_id in (select jurisdiction_id from figure_ids)
           or activation_date is not null or population_2010 is not null
        order by name, state""",
        )
    ]


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.columns "
            "where table_schema = 'main' and table_name = ? and column_name = ?",
            [table, column],
        ).fetchone()[0]  # type: ignore[index]
    )


def year_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key_column: str | None,
    key: str | None,
    fy_from: int,
    fy_to: int,
) -> list[dict[str, Any]]:
    assert table in ("mart_jurisdiction_year", "mart_state_year", "mart_national_year")
    where = f"{key_column} = ? and " if key_column else ""
    params = ([key] if key_column else []) + [fy_from, fy_to]
    return rows(
        con,
        f"select * from {table} where {where}fiscal_year between ? and ? order by fiscal_year",
        params,
    )


def fiscal_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [
        r[0]
        for r in con.execute(
            "select distinct fiscal_year from mart_national_year order by 1"
        ).fetchall()
    ]


def other_fiscal_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Fiscal years of the 287(g) statistics and the case records, for a publication without
    the interoperability statistics (a public run)."""
    tables = set(published_tables(con))
    parts = [
        f"select fiscal_year from {t}"
        for t in (
            "mart_programs_county_year",
            "mart_case_events_county_year",
            "mart_case_removals_year",
        )
        if t in tables
    ]
    if not parts:
        return []
    return [r[0] for r in con.execute(" union ".join(parts) + " order by 1").fetchall()]


def states(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select distinct state from mart_jurisdiction_year order by 1"
        ).fetchall()
    ]


Z95 = 1.959963984540054


def wilson(successes: int, total: int) -> tuple[float, float] | tuple[None, None]:
    """The 95% Wilson score interval of successes / total: the same formula as the dbt macro
    wilson_interval (dbt_project/macros/wilson_interval.sql), for shares summed here."""
    if not total:
        return None, None
    n, p, z2 = float(total), successes / total, Z95 * Z95
    center = p + z2 / (2 * n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, (center - half) / (1 + z2 / n)), min(1.0, (center + half) / (1 + z2 / n))


def ranking(
    con: duckdb.DuckDBPyConnection,
    fy_from: int,
    fy_to: int,
    measure: str,
    state: str | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Jurisdictions by minor share of ``measure`` over fiscal years fy_from..fy_to: counts are
    summed over the years first (years without a reported total, e.g. restated, are left out
    and counted in ``years``), then divided, with the 95% interval of the summed share.
    Returns (ranked, flagged): denominators under SMALL_COUNT are flagged, not ranked."""
    assert measure in MEASURES
    all_rows = rows(
        con,
        f"""
        select jurisdiction_id, any_value(jurisdiction_name) as jurisdiction_name,
               any_value(state) as state,
               cast(sum({measure}_minor) as bigint) as minor,
               cast(sum({measure}_total) as bigint) as total,
               count(*) as years
        from mart_jurisdiction_year
        where fiscal_year between ? and ? and (? is null or state = ?)
          and {measure}_total is not null and {measure}_minor is not null
        group by jurisdiction_id""",
        [fy_from, fy_to, state, state],
    )
    for r in all_rows:
        r["share"] = r["minor"] / r["total"] if r["total"] else None
        r["low"], r["high"] = wilson(r["minor"], r["total"])
    all_rows.sort(key=lambda r: (-(r["share"] or -1), -r["total"], r["jurisdiction_name"]))
    ranked = [r for r in all_rows if r["total"] >= SMALL_COUNT and r["share"] is not None]
    flagged = [r for r in all_rows if r["total"] < SMALL_COUNT or r["share"] is None]
    for i, r in enumerate(ranked, start=1):
        r["rank"] = i
    return ranked, flagged


def table_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    jurisdiction_id: str,
    fy_from: int,
    fy_to: int,
    order: str = "fiscal_year",
) -> list[dict[str, Any]]:
    """One jurisdiction's rows of a county-year mart in the period; [] when the mart is not in
    this publication (an older file) or has nothing for it."""
    assert table in (
        "mart_programs_county_year",
        "mart_287g_jurisdiction_year",
        "mart_case_events_county_year",
        "mart_case_removals_year",
    )
    if table not in published_tables(con):
        return []
    return rows(
        con,
        f"select * from {table} where jurisdiction_id = ? and fiscal_year between ? and ? "
        f"order by {order}",
        [jurisdiction_id, fy_from, fy_to],
    )
