"""The home page's headline on a publication without the interoperability statistics: the shares
of removals with no criminal conviction that were published — the nation's, derived from ICE's
national cumulative figures, and the largest counties', from the compiled place figures — each
cumulative to its as-of date, drawn as points with their intervals instead of an empty plot."""

from __future__ import annotations

from typing import Any

import duckdb

from orchestration.serve.charts.figures import as_of_label, share_point, shares_chart
from orchestration.serve.published import rows, wilson

LARGEST = 12  # counties, by 2010 population, with a published share


def reported_shares(con: duckdb.DuckDBPyConnection, tables: set[str]) -> list[dict[str, Any]]:
    """One row per share: the nation's (every pair of national removals with no conviction and
    removals in all of one page and period) then the largest counties' latest."""
    out: list[dict[str, Any]] = []
    if "mart_published_figures" in tables:
        for r in rows(
            con,
            """
            select t.period_end, n.value as numerator, t.value as denominator, t.source_url,
                   t.source_class, n.is_approximate or t.is_approximate as is_approximate
            from mart_published_figures n
            join mart_published_figures t
              on n.scope = t.scope and n.period_end = t.period_end
             and n.source_url = t.source_url
            where n.program = 'Secure Communities' and n.geography = 'national'
              and n.metric = 'removed_noncriminal' and t.metric = 'removed_total'
              and t.value > 0 and n.value <= t.value
            order by t.period_end""",
        ):
            low, high = wilson(r["numerator"], r["denominator"])
            out.append(
                {
                    "place": "United States",
                    "jurisdiction_id": None,
                    "share": r["numerator"] / r["denominator"],
                    "share_low": low,
                    "share_high": high,
                    "numerator": r["numerator"],
                    "denominator": r["denominator"],
                    "value_published": f"{r['numerator']:,}",
                    "basis": "derived from published figures",
                    "period_end": r["period_end"],
                    "period_end_precision": "day",
                    "source_name": r["source_class"],
                    "source_url": r["source_url"],
                    "quote": f"{r['numerator']:,} of {r['denominator']:,} removals",
                }
            )
    if {"mart_place_figure_shares", "dim_jurisdiction"} <= tables:
        out += rows(
            con,
            f"""
            with latest as (
                select * from mart_place_figure_shares
                where measure = 'removals' and severity = 'nc'
                qualify row_number() over (
                    partition by jurisdiction_id order by period_end desc, source_line desc) = 1
            )
            select d.name || ', ' || d.state as place, latest.jurisdiction_id, share,
                   share_low, share_high, numerator, denominator, value_published, basis,
                   period_end, period_end_precision, source_name, source_url, quote
            from latest join dim_jurisdiction d using (jurisdiction_id)
            order by d.population_2010 desc nulls last
            limit {LARGEST}""",
        )
    return out


def reported_chart(shares: list[dict[str, Any]], status: str) -> Any:
    points = [
        share_point(
            s, f"{s['place']}, as of {as_of_label(s['period_end'], s['period_end_precision'])}"
        )
        for s in shares
    ]
    return shares_chart(
        "Share of removals with no criminal conviction, as published: the nation and the "
        "largest counties, cumulative to each as-of date (not fiscal-year flows)",
        points,
        status,
    )
