"""What the warehouse knows about one place, even without interoperability statistics: its
activation date and population (dim_jurisdiction), what ICE reported for it (the compiled place
figures and the shares they allow) and, from those, a few plain sentences answering the
project's question — each number linked to its source, a sentence left out when its number is
not known (never written with a blank)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb

from orchestration.serve.charts.figures import as_of_label, share_point, shares_chart

# PEP replaced Secure Communities on 20 November 2014 (DHS memo); the months a county was active
PROGRAM_REPLACED = dt.date(2014, 11, 20)
MEASURE_WORDS = {
    "submissions": "fingerprint submissions",
    "matches": "IDENT matches (people identified)",
    "detainers": "detainers",
    "arrests": "ICE arrests",
    "removals": "removals",
}
SEVERITY_WORDS = {
    "total": "in all",
    "l1": "Level 1 (aggravated felony or two felonies)",
    "l2": "Level 2 (other felony or three misdemeanours)",
    "l3": "Level 3 (misdemeanour)",
    "nc": "no criminal conviction",
    "convicted": "with a criminal conviction",
}
SEVERITY_SHORT = {
    "total": "all",
    "l1": "Level 1",
    "l2": "Level 2",
    "l3": "Level 3",
    "nc": "no conviction",
    "convicted": "convicted",
}
QUALIFIER_WORDS = {
    "exact": "",
    "about": "about ",
    "more_than": "more than ",
    "fewer_than": "fewer than ",
    "at_least": "at least ",
    "nearly": "nearly ",
    "up_to": "up to ",
}


@dataclass(frozen=True)
class Link:
    """A piece of a sentence: text, and the address it links to (None: plain text)."""

    text: str
    href: str | None = None


@dataclass
class PlaceRecord:
    jurisdiction_id: str
    name: str | None = None
    state: str | None = None
    activation_date: dt.date | None = None
    population_2010: int | None = None
    figures: list[dict[str, Any]] = field(default_factory=list)
    state_figures: list[dict[str, Any]] = field(default_factory=list)  # the whole state's
    shares: list[dict[str, Any]] = field(default_factory=list)
    sentences: list[list[Link]] = field(default_factory=list)

    @property
    def months_active(self) -> int | None:
        """Months from activation until PEP replaced the program (None when not activated)."""
        if self.activation_date is None:
            return None
        end = PROGRAM_REPLACED
        return (end.year - self.activation_date.year) * 12 + end.month - self.activation_date.month

    @property
    def knows_anything(self) -> bool:
        return bool(self.activation_date or self.population_2010 or self.figures)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def place_record(con: duckdb.DuckDBPyConnection, jurisdiction_id: str) -> PlaceRecord:
    """The record of one county (5-digit FIPS); its state's figures are not mixed in."""
    tables = _tables(con)
    record = PlaceRecord(jurisdiction_id)
    if "dim_jurisdiction" in tables:
        found = _dicts(
            con,
            "select name, state, activation_date, population_2010 from dim_jurisdiction "
            "where jurisdiction_id = ?",
            [jurisdiction_id],
        )
        if found:
            row = found[0]
            record.name, record.state = row["name"], row["state"]
            record.activation_date = row["activation_date"]
            record.population_2010 = row["population_2010"]
    if "mart_place_figures" in tables:
        record.figures = _dicts(
            con,
            "select * from mart_place_figures where jurisdiction_id = ? "
            "order by period_end, measure, severity, source_line",
            [jurisdiction_id],
        )
        record.state_figures = _dicts(
            con,
            "select * from mart_place_figures where jurisdiction_id = ? "
            "order by period_end, measure, severity, source_line",
            [jurisdiction_id[:2] + "000"],
        )
    if "mart_place_figure_shares" in tables:
        record.shares = _dicts(
            con,
            "select * from mart_place_figure_shares where jurisdiction_id = ? "
            "order by period_end, measure, severity, source_line",
            [jurisdiction_id],
        )
    record.sentences = sentences(record)
    return record


def as_of_text(value: dt.date, precision: str | None) -> str:
    """A date as precisely as it was published: 31 July 2011, July 2011 or 2011."""
    if precision == "year":
        return f"{value.year}"
    if precision == "month":
        return value.strftime("%B %Y")
    return f"{value.day} {value.strftime('%B %Y')}"


def _cite(row: dict[str, Any]) -> Link:
    return Link(f"— {row['source_name'] or 'source'}", row["source_url"])


def _latest(rows: list[dict[str, Any]], **where: str) -> dict[str, Any] | None:
    chosen = [r for r in rows if all(r.get(k) == v for k, v in where.items())]
    return max(chosen, key=lambda r: (r["period_end"], r["source_line"])) if chosen else None


def sentences(record: PlaceRecord) -> list[list[Link]]:
    """Plain sentences from the marts, each number linked to its source; a sentence whose number
    is not known is left out."""
    out: list[list[Link]] = []
    place = record.name or record.jurisdiction_id
    if record.activation_date is not None:
        out.append(
            [
                Link(f"Secure Communities began sharing fingerprints in {place} on "),
                Link(as_of_text(record.activation_date, "day"), "/about#source-activations"),
                Link("."),
            ]
        )
    removals = _latest(record.shares, measure="removals", severity="nc")
    if removals is not None:
        out.append(_removals_sentence(removals))
    else:
        total = _latest(record.figures, measure="removals", severity="total")
        if total is not None:
            out.append(
                [
                    Link(f"By {_as_of(total)} ICE reported "),
                    Link(_value(total), total["source_url"]),
                    Link(f" removals through Secure Communities from {total['place_published']} "),
                    _cite(total),
                    Link("."),
                ]
            )
    matches = _latest(record.figures, measure="matches", severity="total")
    if matches is not None:
        out.append(
            [
                Link(f"By {_as_of(matches)} its fingerprints had produced "),
                Link(_value(matches), matches["source_url"]),
                Link(" IDENT matches (people identified to ICE) "),
                _cite(matches),
                Link("."),
            ]
        )
    return out


def _as_of(row: dict[str, Any]) -> str:
    text = as_of_text(row["period_end"], row["period_end_precision"])
    return text + (" (the page's date)" if row["as_of_basis"] == "page_date" else "")


def _value(row: dict[str, Any]) -> str:
    return QUALIFIER_WORDS.get(row["qualifier"], "") + row["value_published"]


def _removals_sentence(share: dict[str, Any]) -> list[Link]:
    """ "By 31 July 2011 ICE reported 369 removals from Boston, 48 percent with no criminal
    conviction (Boston Globe)." — the total only when the same page gives it."""
    url = share["source_url"]
    head = [Link(f"By {_as_of(share)} ")]
    if share["basis"] == "published percentage":
        part = Link(share["value_published"], url)
    else:
        part = Link(f"{share['numerator']:,} ({share['share']:.0%})", url)
    if share["denominator"] is not None:
        head += [
            Link("ICE reported "),
            Link(f"{share['denominator']:,}", url),
            Link(f" removals from {share['place_published']}, "),
            part,
            Link(" with no criminal conviction "),
        ]
    else:
        head += [
            part,
            Link(
                f" of the people ICE removed from {share['place_published']} had no criminal "
                "conviction "
            ),
        ]
    return [*head, _cite(share), Link(".")]


def figures_context(
    con: duckdb.DuckDBPyConnection,
    jurisdiction_id: str,
    status: str,
    cite: str,
) -> dict[str, Any]:
    """The place page's record: the sentences, the facts, "What ICE reported for this place"
    (every figure with its period, quote and page) and the shares drawn as points."""
    record = place_record(con, jurisdiction_id)
    points = [
        share_point(
            s,
            f"{s['measure']}, {SEVERITY_SHORT[s['severity']]}, as of "
            f"{as_of_label(s['period_end'], s['period_end_precision'])} "
            f"({s['source_name'] or 'source'})",
        )
        for s in record.shares
    ]
    title = (
        f"Shares the published figures allow, {record.name or jurisdiction_id}: "
        "cumulative to each as-of date, not fiscal-year flows"
    )
    chart = shares_chart(title, points, status)
    return {
        "record": record,
        "figures_chart": {"title": title, "svg": chart, "cite": cite} if chart else None,
        "place_figures_citation": cite,
    }
