"""The map's measures (what a county is coloured by, and from which source), a county's value
under one of them (Cell), and a map view (MapView: the measure, the fiscal year, the cells)."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration.serve.published import Source


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
            "reported_no_conviction",
            "Share with no conviction, as reported",
            "Share of removals with no criminal conviction, as ICE's figures for the place give it",
            "place_figures",
            False,
            "The latest share of people removed with no criminal conviction that a published "
            "figure for the county (or a city in it) gives, cumulative to its as-of date (in the "
            "tooltip) — not a fiscal-year flow; counties without one are blank.",
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
