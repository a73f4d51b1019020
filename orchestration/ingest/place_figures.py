"""Figures ICE and DHS gave for one place (a county, a city, a state or an ICE field office),
compiled from public pages into `data/published/place_figures.csv`, one row per figure with its
period, a short quote and the page (data/published/README.md says how it was compiled).

Loaded into raw.place_figures exactly as written (every value text, with file, sha256 and line):
the value stays "52%" or "1,234", the period stays "2011-07" or "2011-07-31". Typing (numbers,
percentages, partial dates), the checks that quarantine a row and the shares derived from pairs
of figures happen in dbt (staging/place_figures). Each place is placed by ``resolve_figure_place``
with the pipeline's own normalizer (orchestration/ingest/jurisdictions.py)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import duckdb
import us

from orchestration.ingest.jurisdictions import (
    STATE_LEVEL,
    Override,
    Resolution,
    county_index,
    fold,
    kind_of,
    resolve,
)
from orchestration.ingest.raw_tables import write_raw_text
from orchestration.ingest.readers.csv import ParsedFile, read_layout_csv
from orchestration.ingest.values import ValueRules
from orchestration.paths import CITY_COUNTIES

PLACE_FIGURE_COLUMNS: tuple[str, ...] = (
    "place",
    "state",
    "place_kind",
    "period_start",
    "period_end",
    "period_text",
    "as_of_basis",
    "metric",
    "value",
    "qualifier",
    "quote",
    "source_url",
    "source_kind",
    "source_name",
    "published",
    "note",
)
PLACE_KINDS = ("county", "city", "state", "field_office")
# (state, name) pairs are resolved once each; the kind travels in the name as "kind|place"
KEY_SEPARATOR = "|"


def load_raw_place_figures(con: duckdb.DuckDBPyConnection, path: Path, load_id: str) -> ParsedFile:
    """Replace raw.place_figures with the rows of ``path``, every value as written."""
    parsed = read_layout_csv(path, PLACE_FIGURE_COLUMNS)
    write_raw_text(con, "place_figures", parsed, PLACE_FIGURE_COLUMNS, path, load_id, ValueRules())
    return parsed


@cache
def _city_counties(path: Path, mtime_ns: int) -> dict[tuple[str, str], list[str]]:
    """The city_counties seed: (USPS state, folded city) -> the counties holding the city."""
    out: dict[tuple[str, str], list[str]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            key = (row["state"].strip(), fold(row["city"]))
            out.setdefault(key, []).append(row["jurisdiction_id"].strip())
    return out


def city_counties(path: Path = CITY_COUNTIES) -> dict[tuple[str, str], list[str]]:
    return _city_counties(path, path.stat().st_mtime_ns)


def _state_of(state_text: str | None) -> us.states.State | None:
    state = us.states.lookup(state_text.strip()) if state_text and state_text.strip() else None
    return state if state is not None and state.fips else None


def _whole_state(state: us.states.State, published: str) -> Resolution:
    return Resolution(
        state.abbr, published, f"{state.fips}000", state.name, STATE_LEVEL, "state figure"
    )


def _city(
    state: us.states.State, place: str, overrides: dict[tuple[str, str], Override]
) -> Resolution:
    """A city's figure (its police department's arrests) stands for the county holding it: the
    city_counties seed, else an independent city of the same name (Virginia's, Baltimore,
    St. Louis). A city spanning several counties (New York City) is not placed on any one."""
    bare = fold(place)
    # "Washington, D.C.", "Boston, MA", "Boston, Massachusetts": the state written after a comma
    for suffix in {state.abbr.lower(), fold(state.name)} | (
        {"d.c.", "d. c."} if state.abbr == "DC" else set()
    ):
        bare = bare.removesuffix(f", {suffix}")
    bare = bare.removeprefix("city of ").removesuffix(" city").strip()
    counties = city_counties().get((state.abbr, bare), [])
    if len(counties) == 1:
        name = county_index().names.get(counties[0])
        if name is not None:
            return Resolution(
                state.abbr, place, counties[0], name, kind_of(name), "city -> its county (seed)"
            )
    if len(counties) > 1:
        return Resolution.quarantined(
            state.abbr,
            place,
            f"the city {place!r} spans {len(counties)} counties ({', '.join(counties)}): a "
            "city-wide figure is not placed on one of them",
        )
    independent = resolve(state.abbr, f"{bare} city", overrides)
    if independent.jurisdiction_id is not None and independent.kind == "independent city":
        return Resolution(
            state.abbr,
            place,
            independent.jurisdiction_id,
            independent.name,
            independent.kind,
            "independent city",
        )
    return Resolution.quarantined(
        state.abbr,
        place,
        f"a city ({place!r}) that is not in seeds/city_counties.csv: add it with the county "
        "that holds it",
    )


def resolve_figure_place(
    state_text: str | None, key: str | None, overrides: dict[tuple[str, str], Override]
) -> Resolution:
    """Place one figure: ``key`` is "kind|place as written". A county by the name normalizer; a
    city by its county; a state at state level (<state fips>000); an ICE field office, which
    spans several counties or states, is listed with the reason and placed nowhere."""
    kind, _, place = (key or "").partition(KEY_SEPARATOR)
    state = _state_of(state_text)
    if state is None:
        return Resolution.quarantined(
            state_text, place, f"unknown state {state_text!r}: expected a 2-letter USPS code"
        )
    if not place.strip():
        return Resolution.quarantined(state.abbr, place, "place is blank")
    if kind == "state":
        if fold(place) not in (fold(state.name), state.abbr.lower()):
            return Resolution.quarantined(
                state.abbr, place, f"a state figure for {place!r}, but the state is {state.abbr}"
            )
        return _whole_state(state, place)
    if kind == "county":
        return resolve(state.abbr, place, overrides)
    if kind == "city":
        return _city(state, place, overrides)
    if kind == "field_office":
        return Resolution.quarantined(
            state.abbr,
            place,
            "an ICE field office (area of responsibility) spans several counties or states: "
            "listed, not placed on a county",
        )
    return Resolution.quarantined(
        state.abbr, place, f"unknown place_kind {kind!r}: expected one of {', '.join(PLACE_KINDS)}"
    )
