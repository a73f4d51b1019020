"""Finding a place: what a user types, matched the way the pipeline matches published names.

The key is the pipeline's own normalization (orchestration/ingest/jurisdictions.py: `fold` —
accents, case, whitespace — and `expand_abbreviations` — "Co." → "County"), then punctuation
and the kind suffix ("County", "Parish", "city", …) dropped, so "Dona Ana", "doña ana co." and
"DOÑA ANA COUNTY" meet "Doña Ana County", and "miami dade" meets "Miami-Dade County".

Cities come from the published seed of major cities (dim_city_county: "Boston" → Suffolk
County, MA). A real county (the Census county list the pipeline resolves against) that has no
reports in this publication is said to have none, instead of "no match".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

import duckdb
import us

from orchestration.ingest.jurisdictions import county_index, expand_abbreviations, fold, strip_kind
from orchestration.serve.published import Jurisdiction, per_version, published_tables, rows

_APOSTROPHES = re.compile(r"['’`]")
_PUNCTUATION = re.compile(r"[^\w\s]")
_SAINT = re.compile(r"\bsaint\b|\bste?\b")
_STATE_AFTER_COMMA = re.compile(r"^(?P<name>.+?),\s*(?P<state>[A-Za-z]{2})$")
MAX_CHOICES = 60


@lru_cache(maxsize=65536)
def key(text: str) -> str:
    """The comparison key of a place name (see the module docstring)."""
    folded = expand_abbreviations(fold(text))
    folded = _APOSTROPHES.sub("", folded)
    folded = re.sub(r"\s+", " ", _PUNCTUATION.sub(" ", folded)).strip()
    folded = expand_abbreviations(folded)  # "co" once the period is gone
    folded = strip_kind(folded)
    return _SAINT.sub("st", folded).strip()


@dataclass
class SearchResult:
    matches: list[Jurisdiction]
    # jurisdiction id -> the cities typed that it holds ("Boston, MA")
    cities: dict[str, list[str]] = field(default_factory=dict)
    # real counties without reports in this publication ("Loving County, TX")
    no_reports: list[str] = field(default_factory=list)
    more: int = 0  # matches beyond MAX_CHOICES, not listed


def city_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """The published major-city seed; [] in a file published before it existed."""
    if "dim_city_county" not in published_tables(con):
        return []
    return per_version(
        con,
        "cities",
        lambda: rows(con, "select city, state, jurisdiction_id from dim_city_county"),
    )


@cache
def census_counties() -> tuple[tuple[str, str, str], ...]:
    """(fips, official name, USPS state) of every county of the Census list the pipeline
    resolves names against (addfips, 2010 vintage)."""
    out = []
    for fips, name in county_index().names.items():
        state = us.states.lookup(fips[:2])
        if state is not None:
            out.append((fips, name, state.abbr))
    return tuple(out)


def find(
    candidates: list[Jurisdiction],
    cities: list[dict[str, str]],
    text: str,
    state: str | None,
) -> SearchResult:
    """What the user typed: an id, an exact "Name, ST" label, a county name in any spelling the
    pipeline accepts (whole, else part of one), or a major city. ``candidates`` are the
    jurisdictions with reports; ``state`` narrows the name search."""
    text = (text or "").strip()
    if not text:
        return SearchResult([])
    for exact in (lambda j: j.jurisdiction_id == text, lambda j: j.label.lower() == text.lower()):
        found = [j for j in candidates if exact(j)]
        if found:
            return SearchResult(found)
    typed = _STATE_AFTER_COMMA.match(text)
    typed_state = us.states.lookup(typed["state"]) if typed else None
    if typed and typed_state is not None:
        text, state = typed["name"], typed_state.abbr
    needle = key(text)
    if not needle:
        return SearchResult([])
    pool = [j for j in candidates if not state or j.state == state]
    by_id = {j.jurisdiction_id: j for j in candidates}
    result = SearchResult([j for j in pool if key(j.name) == needle])
    for city in cities:
        if key(city["city"]) == needle and (not state or city["state"] == state):
            j = by_id.get(city["jurisdiction_id"])
            label = f"{city['city']}, {city['state']}"
            if j is None:
                result.no_reports.append(_county_label(city["jurisdiction_id"]) + f" ({label})")
                continue
            result.cities.setdefault(j.jurisdiction_id, []).append(label)
            if j not in result.matches:
                result.matches.append(j)
    if not result.matches:
        result.matches = [j for j in pool if needle in key(j.name)]
    if not result.matches:
        reporting = {j.jurisdiction_id for j in candidates}
        result.no_reports += [
            f"{name}, {st}"
            for fips, name, st in census_counties()
            if fips not in reporting and key(name) == needle and (not state or st == state)
        ]
    result.more = max(len(result.matches) - MAX_CHOICES, 0)
    result.matches = result.matches[:MAX_CHOICES]
    return result


def _county_label(fips: str) -> str:
    for county, name, st in census_counties():
        if county == fips:
            return f"{name}, {st}"
    return fips
