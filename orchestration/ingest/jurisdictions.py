"""Jurisdiction normalization: published (name, state) -> 5-digit county FIPS key.

Published statistics name jurisdictions by name and state in varying spellings ("Suffolk County",
"Suffolk Co.", "SUFFOLK", "Dona Ana County"). Resolution order, first hit wins:

1. the overrides seed (`dbt_project/seeds/jurisdiction_overrides.csv`), for spellings no library
   knows and for state-wide agencies, which get the state-level id `<state fips>000`;
2. `addfips` (Census county names, 2010 vintage, the program's era), after expanding abbreviations
   ("Co." -> "County"); a bare name that fits two county equivalents of the state (Virginia's
   "Richmond" is Richmond County 51159 *and* Richmond city 51760) is ambiguous and is NOT guessed.

Anything else is quarantined with a reason saying what to do; it is never dropped or guessed.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import addfips
import us

from orchestration.paths import JURISDICTION_OVERRIDES

ADDFIPS_VINTAGE = 2010
_SUFFIX = re.compile(
    r" (county|city and borough|borough|census area|municipio|municipality|parish|city)$"
)
_ABBREVIATIONS = [
    (re.compile(r"\s+(co|cnty|cty)\.?$"), " county"),
    (re.compile(r"\s+par\.?$"), " parish"),
    (re.compile(r"\s+boro\.?$"), " borough"),
]
KIND_BY_SUFFIX = {
    "county": "county",
    "parish": "parish",
    "borough": "borough",
    "census area": "census area",
    "city and borough": "city and borough",
    "municipality": "municipality",
    "municipio": "municipio",
    "city": "independent city",
}
STATE_LEVEL = "state-level"


@dataclass(frozen=True)
class Resolution:
    state: str | None
    published_name: str
    jurisdiction_id: str | None
    name: str | None
    kind: str | None
    method: str | None
    quarantine_reason: str | None = None

    @classmethod
    def quarantined(cls, state: str | None, published_name: str, reason: str) -> Resolution:
        """A name that resolves to no jurisdiction, with the reason."""
        return cls(state, published_name, None, None, None, None, reason)


def fold(text: str) -> str:
    """Lower-case, accents removed, whitespace collapsed: the key names are compared on."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", ascii_only).strip().lower()


def expand_abbreviations(folded: str) -> str:
    for pattern, replacement in _ABBREVIATIONS:
        folded = pattern.sub(replacement, folded)
    return folded


def strip_kind(folded: str) -> str:
    """A folded name without its kind suffix ("dona ana county" -> "dona ana")."""
    return _SUFFIX.sub("", folded)


def kind_of(official_name: str) -> str:
    match = _SUFFIX.search(fold(official_name))
    return KIND_BY_SUFFIX[match.group(1)] if match else "county"


@dataclass(frozen=True)
class CountyIndex:
    names: dict[str, str]  # fips -> official Census name
    bare: dict[tuple[str, str], frozenset[str]]  # (state fips, bare folded name) -> fips set


@cache
def county_index() -> CountyIndex:
    """Official names and bare-name ambiguity, from the same Census file addfips resolves with."""
    data = resources.files(addfips).joinpath("data", f"counties_{ADDFIPS_VINTAGE}.csv")
    names: dict[str, str] = {}
    bare: dict[tuple[str, str], set[str]] = defaultdict(set)
    with data.open("r", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            fips = row["statefp"] + row["countyfp"]
            names.setdefault(fips, row["name"])  # later rows are aliases ("Brooklyn Borough")
            bare[(row["statefp"], _SUFFIX.sub("", fold(row["name"])))].add(fips)
    return CountyIndex(names, {k: frozenset(v) for k, v in bare.items()})


@cache
def _addfips() -> addfips.AddFIPS:
    return addfips.AddFIPS(vintage=ADDFIPS_VINTAGE)


@dataclass(frozen=True)
class Override:
    jurisdiction_id: str
    name: str
    kind: str


def load_overrides(path: Path = JURISDICTION_OVERRIDES) -> dict[tuple[str, str], Override]:
    """(USPS state, folded published name) -> override. Validates ids as it reads."""
    out: dict[tuple[str, str], Override] = {}
    with path.open("r", encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            jid = row["jurisdiction_id"].strip()
            if not re.fullmatch(r"\d{5}", jid):
                raise ValueError(
                    f"{path}, line {line}, column 'jurisdiction_id': {jid!r} is "
                    "not a 5-digit FIPS code"
                )
            state = row["state"].strip().upper()
            kind = row["kind"].strip() or None
            if jid.endswith("000"):
                kind = STATE_LEVEL
                name = row["name"].strip() or row["published_name"].strip()
            else:
                name = county_index().names.get(jid) or row["name"].strip()
                kind = kind or kind_of(name)
            out[(state, fold(row["published_name"]))] = Override(jid, name, kind)
    return out


def resolve(
    state: str | None, published_name: str | None, overrides: dict[tuple[str, str], Override]
) -> Resolution:
    """Resolve one published (state, name) pair. Never guesses: see module docstring."""
    name_text = published_name or ""
    state_obj = us.states.lookup(state.strip()) if state and state.strip() else None
    if state_obj is None or not state_obj.fips:
        return Resolution.quarantined(
            state,
            name_text,
            f"unknown state {state!r}: expected a 2-letter USPS code",
        )
    usps, state_fips = state_obj.abbr, state_obj.fips
    if not name_text.strip():
        return Resolution.quarantined(usps, name_text, "jurisdiction name is blank")
    folded = fold(name_text)
    override = overrides.get((usps, folded))
    if override is not None:
        return Resolution(
            usps, name_text, override.jurisdiction_id, override.name, override.kind, "override"
        )
    expanded = expand_abbreviations(folded)
    index = county_index()
    if not _SUFFIX.search(expanded):
        candidates = index.bare.get((state_fips, expanded), frozenset())
        if len(candidates) > 1:
            listed = ", ".join(f"{index.names[c]} ({c})" for c in sorted(candidates))
            return Resolution.quarantined(
                usps,
                name_text,
                f"ambiguous: {name_text!r} in {usps} could be {listed}; add the "
                "intended one to the jurisdiction overrides seed",
            )
    fips = _addfips().get_county_fips(expanded, state_fips)
    if fips is None or fips not in index.names:
        return Resolution.quarantined(
            usps,
            name_text,
            f"no county or county equivalent named {name_text!r} in {usps}; if it "
            "is a spelling variant or a state-wide agency, add it to the "
            "jurisdiction overrides seed",
        )
    official = index.names[fips]
    return Resolution(usps, name_text, fips, official, kind_of(official), "addfips")


# Places (where a case event happened: a landmark or facility name). A jail is local custody,
# the route Secure Communities fed: it resolves to its county. Anything else (ICE offices and
# sub-offices, fugitive operations, non-custodial and street arrests, state and federal prisons,
# juvenile facilities) stays at state level and is counted as such, never guessed.
PLACE_NOT_RECORDED = "place not recorded"
PLACE_NOT_A_JAIL = "office or operation"
PLACE_JAIL_UNRESOLVED = "jail not resolved"
_PLACE_STATE_SUFFIX = re.compile(r",\s*[a-z]{2}$")
_PLACE_PARENTHESES = re.compile(r"\s*\([^)]*\)\s*$")
_COUNTY_JAIL = re.compile(r"^(?P<name>.+?)\s+(?:county|co|cnty)\.?\s*(?:regional\s+)?jails?$")
_JAIL = re.compile(r"\bjails?\b")


def _state_level(state: str | None, place: str, method: str, reason: str) -> Resolution:
    return Resolution(state, place, None, None, None, method, f"{reason}: counted at state level")


def resolve_place(
    state: str | None, place: str | None, overrides: dict[tuple[str, str], Override]
) -> Resolution:
    """Resolve where a case event happened. In order: blank/NA = not recorded; a (state,
    place) in the overrides (city and regional jails, sheriffs' holding facilities: the county
    containing them); a "<name> County/Co. Jail(s)" (", WA" and a trailing parenthesis ignored)
    resolved as the county "<name> County" by ``resolve``; any other jail is unresolved; every
    other place is an office or operation. Only a resolved jail has a jurisdiction_id; the
    rest carry their class in ``method`` and stay at state level."""
    text = place or ""
    folded = fold(text)
    if folded in ("", "na"):
        return _state_level(state, text, PLACE_NOT_RECORDED, "no place in the record")
    state_obj = us.states.lookup(state.strip()) if state and state.strip() else None
    usps = state_obj.abbr if state_obj is not None and state_obj.fips else None
    override = overrides.get((usps, folded)) if usps else None
    if override is not None:
        return Resolution(
            usps, text, override.jurisdiction_id, override.name, override.kind, "override"
        )
    if not _JAIL.search(folded):
        return _state_level(
            state, text, PLACE_NOT_A_JAIL, "not a jail (office, operation, prison or at large)"
        )
    bare = _PLACE_PARENTHESES.sub("", _PLACE_STATE_SUFFIX.sub("", folded))
    match = _COUNTY_JAIL.match(bare)
    if match is None:
        return _state_level(
            state,
            text,
            PLACE_JAIL_UNRESOLVED,
            "a jail that names no county (a city or regional jail: add it with the county "
            "containing it to seeds/case_place_overrides.csv)",
        )
    county = resolve(state, f"{match['name']} county", overrides)
    if county.jurisdiction_id is None:
        return _state_level(
            state,
            text,
            PLACE_JAIL_UNRESOLVED,
            f"jail's county not resolved ({county.quarantine_reason})",
        )
    return Resolution(
        county.state, text, county.jurisdiction_id, county.name, county.kind, "county jail"
    )
