"""A county's value under each measure, read from the published marts: one query per measure
(minor shares, rates, activation dates, 287(g)), and the names of the counties without a row."""

from __future__ import annotations

import duckdb

from orchestration import fiscal
from orchestration.serve.formats import count, pct
from orchestration.serve.map.measures import Cell
from orchestration.serve.published import SMALL_COUNT, rows

_NAMES: dict[str, dict[str, tuple[str, str, str]]] = {}


def names(
    con: duckdb.DuckDBPyConnection, publication_key: str | None
) -> dict[str, tuple[str, str, str]]:
    """jurisdiction id -> (name, state, kind) from dim_jurisdiction, read once per publication
    (a published file never changes: a new publication is a new file with a new run id);
    read every time when the publication has no key."""
    if publication_key is None:
        return {
            r[0]: (r[1] or "", r[2] or "", r[3] or "")
            for r in con.execute(
                "select jurisdiction_id, name, state, kind from dim_jurisdiction"
            ).fetchall()
        }
    if publication_key not in _NAMES:
        if len(_NAMES) >= 4:
            _NAMES.pop(next(iter(_NAMES)))
        _NAMES[publication_key] = {
            r[0]: (r[1] or "", r[2] or "", r[3] or "")
            for r in con.execute(
                "select jurisdiction_id, name, state, kind from dim_jurisdiction"
            ).fetchall()
        }
    return _NAMES[publication_key]


def share_cells(con: duckdb.DuckDBPyConnection, flow: str, fiscal_year: int) -> list[Cell]:
    assert flow in ("referrals", "removals")
    cells = []
    for r in rows(
        con,
        f"""
        select jurisdiction_id, jurisdiction_name, state, kind, {flow}_minor as minor,
               {flow}_total as total, minor_share_{flow} as share,
               minor_share_{flow}_low as low, minor_share_{flow}_high as high,
               {flow}_restated as restated
        from mart_jurisdiction_year where fiscal_year = ?""",
        [fiscal_year],
    ):
        cell = Cell(r["jurisdiction_id"], r["jurisdiction_name"], r["state"], r["kind"] or "")
        if r["total"] == 0:
            cell.text = f"no {flow} (no share)"
            cell.count = f"0 {flow}"
            cell.muted = True
        elif r["share"] is None or r["total"] is None:
            cell.text = "restated: counts withdrawn" if r["restated"] else "not reported"
        else:
            cell.value = r["share"]
            cell.text = pct(r["share"])
            cell.count = f"{count(r['minor'])} Level 3 + non-criminal of {count(r['total'])} {flow}"
            if r["low"] is not None:
                cell.interval = f"95% interval {100 * r['low']:.1f}–{pct(r['high'])}"
            cell.muted = r["total"] < SMALL_COUNT
        cells.append(cell)
    return cells


def rate_cells(con: duckdb.DuckDBPyConnection, fiscal_year: int) -> list[Cell]:
    cells = []
    for r in rows(
        con,
        """
        select jurisdiction_id, jurisdiction_name, state, kind, removals_total,
               noncitizen_population, removals_per_100k_noncitizens as rate
        from mart_jurisdiction_year where fiscal_year = ?""",
        [fiscal_year],
    ):
        cell = Cell(r["jurisdiction_id"], r["jurisdiction_name"], r["state"], r["kind"] or "")
        population = r["noncitizen_population"]
        if r["removals_total"] is None:
            cell.text = "removals not reported"
        elif population is None:
            cell.text = "no non-citizen population estimate"
            cell.count = f"{count(r['removals_total'])} removals"
        elif r["rate"] is None:
            cell.text = "no rate (no non-citizen residents estimated)"
            cell.count = f"{count(r['removals_total'])} removals"
        else:
            cell.value = r["rate"]
            cell.text = f"{r['rate']:,.1f} per 100,000"
            cell.count = (
                f"{count(r['removals_total'])} removals; {count(population)} non-citizen residents"
            )
            cell.muted = population < SMALL_COUNT
        cells.append(cell)
    return cells


def activation_cells(con: duckdb.DuckDBPyConnection) -> list[Cell]:
    cells = []
    for fips, name, state, kind, date, year in con.execute(
        f"""
        select jurisdiction_id, coalesce(name, ''), coalesce(state, ''), coalesce(kind, ''),
               strftime(activation_date, '%Y-%m-%d'), {fiscal.fiscal_year_sql("activation_date")}
        from dim_jurisdiction where activation_date is not null"""
    ).fetchall():
        cell = Cell(fips, name, state, kind, float(year), f"activated {date} (FY{year})")
        cell.category = f"FY{year}"
        cells.append(cell)
    return cells


def reported_cells(con: duckdb.DuckDBPyConnection) -> list[Cell]:
    """Per county, the latest published share of removals with no criminal conviction
    (mart_place_figure_shares), with its as-of date and page; ties at one date go to the later
    line of the figures file."""
    cells = []
    for r in rows(
        con,
        """
        select jurisdiction_id, jurisdiction_name, state, share, share_low, share_high,
               value_published, numerator, denominator, basis, period_end, source_name
        from mart_place_figure_shares
        where measure = 'removals' and severity = 'nc'
        qualify row_number() over (
            partition by jurisdiction_id order by period_end desc, source_line desc) = 1""",
    ):
        cell = Cell(r["jurisdiction_id"], r["jurisdiction_name"], r["state"])
        cell.value = r["share"]
        cell.text = f"{pct(r['share'])} with no conviction, as of {r['period_end']}"
        of = f" of {count(r['denominator'])} removals" if r["denominator"] is not None else ""
        what = f"{count(r['numerator'])}" if r["numerator"] is not None else r["value_published"]
        cell.count = f"{what}{of} ({r['basis']}; {r['source_name'] or 'source'})"
        if r["share_low"] is not None:
            cell.interval = f"95% interval {100 * r['share_low']:.1f}–{pct(r['share_high'])}"
        cells.append(cell)
    return cells


def g287_cells(con: duckdb.DuckDBPyConnection, fiscal_year: int, presence: bool) -> list[Cell]:
    cells = []
    for r in rows(
        con,
        """
        select jurisdiction_id, jurisdiction_name, state, kind, identified, removed, agencies,
               agencies_with_figures, agency_names
        from mart_287g_jurisdiction_year where fiscal_year = ?""",
        [fiscal_year],
    ):
        cell = Cell(r["jurisdiction_id"], r["jurisdiction_name"], r["state"], r["kind"] or "")
        agencies = (
            f"{r['agencies']} agenc{'y' if r['agencies'] == 1 else 'ies'}: {r['agency_names']}"
        )
        figures = (
            f"identified {count(r['identified'])}, removed {count(r['removed'])}"
            if r["agencies_with_figures"]
            else "no figures in the release"
        )
        cell.count = f"{agencies}; {figures}"
        if presence:
            with_figures = bool(r["agencies_with_figures"])
            cell.category = "with figures" if with_figures else "no figures published"
            cell.value = 1.0 if with_figures else 0.0
            cell.text = "287(g) agency " + (
                "with figures" if with_figures else "(no figures published)"
            )
        elif r["removed"] is None:
            cell.text = "287(g) agency, no removal figure published"
        else:
            cell.value = float(r["removed"])
            cell.text = f"{r['removed']:,} removed through 287(g)"
        cells.append(cell)
    return cells
