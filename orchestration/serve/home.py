"""The home page: the national series beside the figures ICE published, the rollout, and a
county map of the United States for a chosen measure and fiscal year.

Read-only on the published file like the rest of the dashboard; every view is a link
(`/?map=MEASURE&fy=YEAR`) with a CSV of the data behind it (`/home.csv?view=...`). A source
that is not in the publication is said to be "not loaded" and never drawn as 0; a county
without a value is "no data"; a share or rate whose denominator is under SMALL_COUNT is drawn
muted (a pattern, not a colour) and its tooltip says why.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import duckdb
from markupsafe import Markup, escape

from orchestration import fiscal
from orchestration.serve import homecharts, usmap
from orchestration.serve.charts import pct
from orchestration.serve.published import (
    SMALL_COUNT,
    publication_info,
    published_tables,
    rows,
)

# Parameters of the old explorer (`/?q=...`): a request with any of them is the explorer's.
EXPLORER_PARAMS = ("q", "state", "fy_from", "fy_to", "measure")

# ColorBrewer YlGnBu (sequential, colour-blind safe, prints in grey), by number of classes.
YLGNBU = {
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}

SOURCE_TITLES = {
    "interop": "ICE IDENT/IAFIS Interoperability Statistics",
    "activations": "Secure Communities activation dates",
    "g287": "ICE 287(g) statistics",
    "noncitizen": "ACS 5-year non-citizen population (table B05001)",
    "population": "Census population estimates (vintage 2019)",
    "figures": "Figures ICE and DHS published",
    "cases": "ICE case-level records (FOIA)",
}


def is_home(params: Mapping[str, str]) -> bool:
    """`/` without the explorer's parameters is the home page (old `/?q=FIPS` links still open
    the jurisdiction view)."""
    return not any(name in params for name in EXPLORER_PARAMS)


def county_url(jurisdiction_id: str) -> str:
    """Where a click on a county goes: its jurisdiction page."""
    return f"/?q={jurisdiction_id}"


def _int(n: int | float | None) -> str:
    return "—" if n is None else f"{int(n):,}"


# ---------------------------------------------------------------------------------------------
# Sources and citations


@dataclass(frozen=True)
class Source:
    name: str
    status: str  # real / synthetic / unverified / not loaded (absent from an old publication)
    publisher: str
    files: tuple[str, ...]
    loaded_at: dt.datetime | None

    @property
    def loaded(self) -> bool:
        return self.status != "not loaded"

    def citation(self, published_at: Any) -> str:
        """One plain line: source, publisher, file and date, status."""
        title = SOURCE_TITLES.get(self.name, self.name)
        if not self.loaded:
            return f"Source: {title} — not loaded in this publication."
        files = ", ".join(PurePosixPath(f).name for f in self.files) or "embedded sample"
        date = str(self.loaded_at or published_at or "")[:10]
        return (
            f"Source: {title} — {self.publisher}. File: {files}, loaded {date}. "
            f"Data status: {self.status}."
        )


def sources(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, Source]:
    if "_publication_sources" not in tables:
        return {}
    return {
        r["source"]: Source(
            r["source"],
            r["data_status"],
            r["publisher"] or "",
            tuple(r["files"] or ()),
            r["loaded_at"],
        )
        for r in rows(
            con, "select source, data_status, publisher, files, loaded_at from _publication_sources"
        )
    }


def _source(all_sources: dict[str, Source], name: str) -> Source:
    return all_sources.get(name) or Source(name, "not loaded", "", (), None)


# ---------------------------------------------------------------------------------------------
# The map's measures


@dataclass(frozen=True)
class Measure:
    key: str
    label: str  # in the menu and the map's title
    unit: str  # the legend's heading
    source: str  # the source that must be loaded
    by_year: bool  # a fiscal year is chosen
    note: str  # one sentence under the map


MEASURES = {
    m.key: m
    for m in (
        Measure(
            "minor_removals",
            "Minor share of removals",
            "Share of removals that were Level 3 or non-criminal",
            "interop",
            True,
            "Removals whose most serious conviction was Level 3 or none, of all removals "
            "through Secure Communities in the county that fiscal year.",
        ),
        Measure(
            "minor_referrals",
            "Minor share of referrals",
            "Share of referrals (IDENT matches) that were Level 3 or non-criminal",
            "interop",
            True,
            "Referrals (IDENT matches) whose most serious conviction was Level 3 or none, of "
            "all referrals in the county that fiscal year.",
        ),
        Measure(
            "removals_per_100k",
            "Removals per 100,000 non-citizens",
            "Removals per 100,000 non-citizen residents (ACS 5-year)",
            "interop",
            True,
            "Secure Communities removals in the fiscal year per 100,000 non-citizen residents "
            "(ACS 5-year estimate ending that year); classes are quintiles of the counties shown.",
        ),
        Measure(
            "activation",
            "Activation date",
            "Fiscal year of activation (FY N runs October N-1 to September N)",
            "activations",
            False,
            "The date Secure Communities began sharing the county's fingerprints with ICE.",
        ),
        Measure(
            "g287_presence",
            "287(g) agencies",
            "287(g) agencies of the county in the release",
            "g287",
            True,
            "Counties with a city, county or regional agency in ICE's 287(g) statistics that "
            "fiscal year (state agencies are listed beside the map).",
        ),
        Measure(
            "g287_removed",
            "287(g) removals",
            "People removed through the county's 287(g) agencies",
            "g287",
            True,
            "People removed after identification by a 287(g) agency of the county, summed over "
            "the county's agencies; blank when the release had no figure.",
        ),
    )
}


@dataclass
class Cell:
    """One county's (or off-map jurisdiction's) value under the current measure."""

    jurisdiction_id: str
    name: str
    state: str
    kind: str = ""
    value: float | None = None  # what the class is chosen from
    text: str = "no data"  # the value as shown
    count: str = ""  # e.g. "85 L3 + NC of 240 removals"
    interval: str = ""  # e.g. "95% interval 29.5–41.3%"
    muted: bool = False
    category: str | None = None  # categorical measures: the class label
    css: str = "nd"  # class on the map

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}" if self.state else self.name


@dataclass
class MapView:
    measure: Measure
    fiscal_year: int | None
    years: list[int]
    source: Source
    cells: dict[str, Cell]  # by 5-digit FIPS (counties on the map)
    off_map: list[Cell]  # state-level or other ids the atlas does not draw
    classes: list[tuple[str, str, str]] = field(default_factory=list)  # (css, colour, label)
    counts: dict[str, int] = field(default_factory=dict)
    css_counts: dict[str, int] = field(default_factory=dict)  # counties of the map per css

    @property
    def title(self) -> str:
        year = f", FY{self.fiscal_year}" if self.fiscal_year else ""
        return f"{self.measure.label} by county{year}"

    @property
    def absent(self) -> tuple[str, str]:
        """(css, text) of a county the measure has no row for: the source is not loaded, the
        county had no 287(g) agency (the release lists every agency), or no data."""
        if not self.source.loaded:
            return "nl", "not loaded (the source is not in this publication)"
        if self.measure.source == "g287":
            return "na", "no 287(g) agency in the release"
        return "nd", "no data"


def _years(con: duckdb.DuckDBPyConnection, table: str, tables: set[str]) -> list[int]:
    assert table in ("mart_jurisdiction_year", "mart_287g_jurisdiction_year")
    if table not in tables:
        return []
    return [
        r[0] for r in con.execute(f"select distinct fiscal_year from {table} order by 1").fetchall()
    ]


_NAMES: dict[str, dict[str, tuple[str, str, str]]] = {}


def _names(
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


def _share_cells(con: duckdb.DuckDBPyConnection, flow: str, fiscal_year: int) -> list[Cell]:
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
            cell.count = f"{_int(r['minor'])} Level 3 + non-criminal of {_int(r['total'])} {flow}"
            if r["low"] is not None:
                cell.interval = f"95% interval {100 * r['low']:.1f}–{pct(r['high'])}"
            cell.muted = r["total"] < SMALL_COUNT
        cells.append(cell)
    return cells


def _rate_cells(con: duckdb.DuckDBPyConnection, fiscal_year: int) -> list[Cell]:
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
            cell.count = f"{_int(r['removals_total'])} removals"
        elif r["rate"] is None:
            cell.text = "no rate (no non-citizen residents estimated)"
            cell.count = f"{_int(r['removals_total'])} removals"
        else:
            cell.value = r["rate"]
            cell.text = f"{r['rate']:,.1f} per 100,000"
            cell.count = (
                f"{_int(r['removals_total'])} removals; {_int(population)} non-citizen residents"
            )
            cell.muted = population < SMALL_COUNT
        cells.append(cell)
    return cells


def _activation_cells(con: duckdb.DuckDBPyConnection) -> list[Cell]:
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


def _g287_cells(con: duckdb.DuckDBPyConnection, fiscal_year: int, presence: bool) -> list[Cell]:
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
            f"identified {_int(r['identified'])}, removed {_int(r['removed'])}"
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


def _nice(x: float) -> float:
    """x rounded to two significant digits (class breaks people can read)."""
    if x <= 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(x)))
    return round(x, digits)


def _classify(view: MapView) -> None:
    """Give every cell its class (css) and build the legend's classes for the measure."""
    key = view.measure.key
    valued = [c for c in view.cells.values() if c.value is not None and not c.muted]
    breaks: list[float]
    labels: list[str]
    if key in ("minor_removals", "minor_referrals"):
        breaks = [0.2, 0.4, 0.6, 0.8]
        labels = ["0–20%", "20–40%", "40–60%", "60–80%", "80–100%"]
    elif key == "removals_per_100k":
        values = sorted(c.value for c in valued if c.value is not None)
        breaks = []
        if values:
            for q in (0.2, 0.4, 0.6, 0.8):
                b = _nice(values[min(int(q * len(values)), len(values) - 1)])
                if b > 0 and (not breaks or b > breaks[-1]):
                    breaks.append(b)
        edges = [0.0, *breaks]
        labels = [f"{edges[i]:,g}–{edges[i + 1]:,g}" for i in range(len(breaks))] + [
            f"{edges[-1]:,g} or more" if breaks else "any rate"
        ]
    elif key == "activation":
        years = sorted({int(c.value) for c in valued if c.value is not None})
        if len(years) > 7:  # group the earliest years so at most 7 classes
            years = years[-7:]
        breaks = [y - 0.5 for y in years[1:]]
        labels = [f"FY{y}" for y in years] or ["FY"]
        if years and len(years) < len({int(c.value) for c in valued if c.value is not None}):
            labels[0] = f"FY{years[0]} or before"
    elif key == "g287_presence":
        breaks = [0.5]
        labels = ["agency, no figures published", "agency with figures"]
    else:  # g287_removed
        breaks = [10, 100, 1000]
        labels = ["0–9", "10–99", "100–999", "1,000 or more"]
    palette = YLGNBU[min(max(len(labels), 3), 7)]
    colours = palette if len(labels) >= 3 else (palette[0], palette[-1])[-len(labels) :]
    view.classes = [(f"k{i}", colours[i], label) for i, label in enumerate(labels)]
    for cell in view.cells.values():
        if cell.muted:
            cell.css = "sm"
        elif cell.value is None:
            cell.css = "nd"
        else:
            cell.css = f"k{sum(1 for b in breaks if cell.value >= b)}"
    view.css_counts = _class_counts(view)
    view.counts = {
        "valued": len(valued),
        "muted": sum(1 for c in view.cells.values() if c.muted),
        "no_value": sum(1 for c in view.cells.values() if c.value is None and not c.muted),
    }


def map_view(
    con: duckdb.DuckDBPyConnection,
    params: Mapping[str, str],
    all_sources: dict[str, Source],
    tables: set[str],
) -> MapView:
    interop_loaded = _source(all_sources, "interop").loaded
    default = "minor_removals" if interop_loaded else "activation"
    key = params.get("map", default)
    measure = MEASURES.get(key, MEASURES[default])
    source = _source(all_sources, measure.source)
    table = "mart_287g_jurisdiction_year" if measure.source == "g287" else "mart_jurisdiction_year"
    years = _years(con, table, tables) if measure.by_year and source.loaded else []
    fiscal_year: int | None = None
    if years:
        try:
            fiscal_year = int(params.get("fy", years[-1]))
        except ValueError:
            fiscal_year = years[-1]
        if fiscal_year not in years:
            fiscal_year = years[-1]
    cells: list[Cell] = []
    if source.loaded:
        if measure.key in ("minor_removals", "minor_referrals") and fiscal_year is not None:
            cells = _share_cells(con, measure.key.removeprefix("minor_"), fiscal_year)
        elif measure.key == "removals_per_100k" and fiscal_year is not None:
            cells = _rate_cells(con, fiscal_year)
        elif measure.key == "activation":
            cells = _activation_cells(con)
        elif measure.key.startswith("g287") and fiscal_year is not None:
            cells = _g287_cells(con, fiscal_year, measure.key == "g287_presence")
    on_map = {c.fips for c in usmap.atlas().counties}
    view = MapView(
        measure,
        fiscal_year,
        years,
        source,
        cells={c.jurisdiction_id: c for c in cells if c.jurisdiction_id in on_map},
        off_map=sorted(
            (c for c in cells if c.jurisdiction_id not in on_map),
            key=lambda c: (c.state, c.name),
        ),
    )
    _classify(view)
    return view


def _class_counts(view: MapView) -> dict[str, int]:
    """Counties of the map per class (css), those without a row under the view's absent css."""
    counts = {css: 0 for css, _, _ in view.classes}
    counts.update({"sm": 0, "nd": 0, "nl": 0, "na": 0})
    for county in usmap.atlas().counties:
        cell = view.cells.get(county.fips)
        css = view.absent[0] if cell is None else cell.css
        counts[css] += 1
    return counts


OTHER_CLASSES = {
    "sm": ("url(#p-small)", f"fewer than {SMALL_COUNT} in the denominator: muted, not compared"),
    "nd": ("url(#p-nodata)", "no data or not reported"),
    "na": ("#e4e4e4", "no 287(g) agency in the release"),
    "nl": ("url(#p-nodata)", "not loaded: the source is not in this publication"),
}


def _other_classes(view: MapView) -> list[tuple[str, str, str, int]]:
    """Legend entries besides the value classes: (css, fill, label, counties), those in use."""
    counts = view.css_counts
    return [
        (css, fill, label, counts[css])
        for css, (fill, label) in OTHER_CLASSES.items()
        if counts[css]
    ]


# ---------------------------------------------------------------------------------------------
# Drawing the map


STATUS_STRIP = 80  # map units below the atlas for the status line

MAP_DESC = (
    "Each county of the United States is a shape coloured by its class (see the legend); "
    "hatched counties have no data, dotted counties have a denominator under {small} and are "
    "not coloured. Hover a county for its value, counts and interval; a click opens its page. "
    "The same data are in the table and the CSV below the map."
)


@functools.cache
def _shapes() -> tuple[tuple[str, str, str, str], ...]:
    """Per county of the atlas: (fips, atlas name, the markup before its class, the markup
    between its class and its tooltip), built once per process."""
    return tuple(
        (
            c.fips,
            c.name,
            f'<a href="{county_url(c.fips)}" tabindex="-1"><path class="',
            f'" d="{c.d}"><title>',
        )
        for c in usmap.atlas().counties
    )


def draw_map(view: MapView, names: dict[str, tuple[str, str, str]], status: str) -> Markup:
    """The county map as inline SVG: one linked path per county of the atlas."""
    atlas = usmap.atlas()
    grid = usmap.GRID
    # a strip below the atlas for the data status, so it never covers a county
    x0, y0 = round(atlas.x0 * grid), round(atlas.y0 * grid)
    width, height = round(atlas.width * grid), round(atlas.height * grid) + STATUS_STRIP
    measure = view.measure
    style = "".join(f".usmap .{css}{{fill:{colour}}}" for css, colour, _ in view.classes)
    out = [
        f'<svg class="usmap" id="usmap" viewBox="{x0} {y0} {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg" aria-labelledby="usmap-title" '
        'aria-describedby="usmap-desc" data-measure="' + measure.key + '">',
        f'<title id="usmap-title">{escape(view.title)}</title>',
        f'<desc id="usmap-desc">{escape(MAP_DESC.format(small=SMALL_COUNT))}</desc>',
        f"<style>{style}</style>",
        '<defs><pattern id="p-nodata" width="12" height="12" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="12" height="12" fill="#f4f4f4"/>'
        '<line x1="0" y1="0" x2="0" y2="12" stroke="#b0b0b0" stroke-width="4"/></pattern>'
        '<pattern id="p-small" width="10" height="10" patternUnits="userSpaceOnUse">'
        '<rect width="10" height="10" fill="#f4f4f4"/><circle cx="5" cy="5" r="2.4" '
        'fill="#7a7a7a"/></pattern></defs>',
        '<g class="counties">',
    ]
    not_loaded = not view.source.loaded
    absent_css, absent_text = view.absent
    muted = f"fewer than {SMALL_COUNT} in the denominator: muted, not compared"
    for fips, atlas_name, before_class, before_title in _shapes():
        cell = view.cells.get(fips)
        if cell is None:
            name, state, _ = names.get(fips, (atlas_name, "", ""))
            label = f"{name}, {state}" if state else name
            css = absent_css
            tip = f"{label} — {absent_text}"
        else:
            css = cell.css
            parts = [f"{cell.label} — {cell.text}"]
            if cell.count:
                parts.append(cell.count)
            if cell.interval:
                parts.append(cell.interval)
            if cell.muted:
                parts.append(muted)
            tip = "; ".join(parts)
        # text content of <title>: escaping &, < and > is enough (no attribute)
        out.append(f"{before_class}{css}{before_title}{html.escape(tip, False)}</title></path></a>")
    out.append("</g>")
    out.append(f'<path class="state-borders" d="{atlas.state_borders}"/>')
    out.append(f'<path class="nation" d="{atlas.nation}"/>')
    if not_loaded:
        source_title = SOURCE_TITLES.get(measure.source, measure.source)
        out.append(
            f'<text x="{x0 + width / 2:.0f}" y="{y0 + height / 2:.0f}" class="map-note" '
            f'text-anchor="middle">Not loaded: {escape(source_title)}</text>'
        )
    if status:
        out.append(
            f'<text x="{x0 + width - 10}" y="{y0 + height - 14}" class="data-status map-status" '
            f'text-anchor="end">{escape(status)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


# ---------------------------------------------------------------------------------------------
# The national series, the published figures and the rollout


def national_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return rows(con, "select * from mart_national_year order by fiscal_year")


def published_national(con: duckdb.DuckDBPyConnection, tables: set[str]) -> list[dict[str, Any]]:
    if "mart_published_figures" not in tables:
        return []
    return rows(
        con,
        """
        select program, scope, period_start, period_end, fiscal_year, metric, value,
               is_approximate, note, source_url, source_kind, source_class
        from mart_published_figures where geography = 'national'
        order by period_end, program desc, metric""",
    )


def published_minor_shares(figures: list[dict[str, Any]]) -> list[homecharts.Published]:
    """Minor shares of removals the published figures allow for a fiscal year: (Level 3 +
    non-criminal) / total, when all three were published for the same scope and year."""
    groups: dict[tuple[str, str, int], dict[str, dict[str, Any]]] = {}
    for f in figures:
        if f["fiscal_year"] is not None:
            groups.setdefault((f["program"], f["scope"], f["fiscal_year"]), {})[f["metric"]] = f
    out = []
    for (program, scope, year), metrics in sorted(groups.items(), key=lambda kv: kv[0][2]):
        total = metrics.get("removals_total") or metrics.get("removed_total")
        l3, nc = metrics.get("removed_level3"), metrics.get("removed_noncriminal")
        if total and l3 and nc and total["value"]:
            approximate = any(m["is_approximate"] for m in (total, l3, nc))
            out.append(
                homecharts.Published(
                    year,
                    (l3["value"] + nc["value"]) / total["value"],
                    f"{program} ({scope}): ({l3['value']:,} Level 3 + {nc['value']:,} "
                    f"non-criminal) / {total['value']:,} removals"
                    + (" — approximate" if approximate else ""),
                )
            )
    return out


def rollout_rows(con: duckdb.DuckDBPyConnection, tables: set[str]) -> list[dict[str, Any]]:
    if "mart_rollout" not in tables:
        return []
    return rows(con, "select * from mart_rollout order by activation_date")


def rollout_by_year(rollout: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rollout at the end of each fiscal year (the last activation date in it)."""
    last: dict[int, dict[str, Any]] = {}
    for r in rollout:
        last[fiscal.fiscal_year(r["activation_date"])] = r
    return [{"fiscal_year": y, **last[y]} for y in sorted(last)]


# ---------------------------------------------------------------------------------------------
# The page


def context(con: duckdb.DuckDBPyConnection, params: Mapping[str, str]) -> dict[str, Any]:
    publication = publication_info(con)
    status = publication["status_label"] if publication else ""
    published_at = publication["published_at"] if publication else None
    tables = set(published_tables(con))
    all_sources = sources(con, tables)
    national = national_rows(con)
    figures = published_national(con, tables)
    published_shares = published_minor_shares(figures)
    rollout = rollout_rows(con, tables)
    view = map_view(con, params, all_sources, tables)
    names = _names(con, f"{publication['run_id']}@{published_at}" if publication else None)
    interop = _source(all_sources, "interop")
    figures_source = _source(all_sources, "figures")
    activations = _source(all_sources, "activations")
    return {
        "publication": publication,
        "status": status,
        "sources": all_sources,
        "national": national,
        "national_chart": homecharts.national_series(
            national,
            published_shares,
            interop.loaded,
            status,
            [fiscal.fiscal_year(r["activation_date"]) for r in rollout],
        ),
        "national_citation": interop.citation(published_at),
        "published_shares": published_shares,
        "figures": figures,
        "figures_source": figures_source,
        "figures_citation": figures_source.citation(published_at),
        "rollout": rollout,
        "rollout_years": rollout_by_year(rollout),
        "rollout_chart": homecharts.rollout(rollout, activations.loaded, status),
        "rollout_citation": activations.citation(published_at)
        + " Coverage of counties and population: "
        + _source(all_sources, "population").citation(published_at).removeprefix("Source: "),
        "map": view,
        "map_svg": draw_map(view, names, status),
        "map_counts": view.css_counts,
        "map_other_classes": _other_classes(view),
        "map_citation": view.source.citation(published_at)
        + (
            " Rates: "
            + _source(all_sources, "noncitizen").citation(published_at).removeprefix("Source: ")
            if view.measure.key == "removals_per_100k"
            else ""
        )
        + " "
        + usmap.ATLAS_CITATION
        + ".",
        "measures": MEASURES,
        "small_count": SMALL_COUNT,
        "county_url": county_url,
    }


# ---------------------------------------------------------------------------------------------
# CSV of each view

CSV_VIEWS = ("national", "figures", "rollout", "map")


def csv_rows(
    con: duckdb.DuckDBPyConnection, params: Mapping[str, str]
) -> tuple[str, list[dict[str, Any]]]:
    """(filename, records) of a home-page view; ValueError for an unknown view."""
    kind = params.get("view", "")
    tables = set(published_tables(con))
    if kind == "national":
        return "national_by_fiscal_year.csv", national_rows(con)
    if kind == "figures":
        return "published_figures_national.csv", published_national(con, tables)
    if kind == "rollout":
        return "rollout.csv", rollout_rows(con, tables)
    if kind == "map":
        view = map_view(con, params, sources(con, tables), tables)
        names = _names(con, None)
        labels = {css: text for css, _, text in view.classes}
        records = []
        for county in usmap.atlas().counties:
            cell = view.cells.get(county.fips)
            name, state, _ = names.get(county.fips, (county.name, "", ""))
            records.append(_cell_record(view, labels, county.fips, name, state, cell, on_map=True))
        for cell in view.off_map:
            records.append(
                _cell_record(
                    view, labels, cell.jurisdiction_id, cell.name, cell.state, cell, on_map=False
                )
            )
        year = f"_FY{view.fiscal_year}" if view.fiscal_year else ""
        return f"map_{view.measure.key}{year}.csv", records
    raise ValueError(f"unknown view {kind!r}: one of {', '.join(CSV_VIEWS)}")


def _cell_record(
    view: MapView,
    label: dict[str, str],
    fips: str,
    name: str,
    state: str,
    cell: Cell | None,
    on_map: bool,
) -> dict[str, Any]:
    return {
        "jurisdiction_id": fips,
        "name": name,
        "state": state,
        "on_map": on_map,
        "measure": view.measure.key,
        "fiscal_year": view.fiscal_year,
        "value": None if cell is None else cell.value,
        "shown_as": view.absent[1] if cell is None else cell.text,
        "counts": "" if cell is None else cell.count,
        "interval": "" if cell is None else cell.interval,
        "small_denominator": False if cell is None else cell.muted,
        "class": ""
        if cell is None or cell.value is None or cell.muted
        else label.get(cell.css, ""),
    }
