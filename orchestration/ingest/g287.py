"""ICE's 287(g) statistics: persons identified and removed through 287(g), by participating
agency and fiscal year (FY2006-FY2013), in the layout the Deportation Data Project publishes
(`pre2018-ice-removals-long.csv`; see ../shared/reference/README.md).

Two things live here, both without Dagster:

* the reader: raw.g287_agency_years, every value kept as the published text (blank -> NULL:
  "no figure in the release", which is not 0), with file, sha256 and line;
* the agency rules: which jurisdiction a participating agency stands for. The statistics name
  agencies, not places, so each agency is turned into a place name and resolved with the same
  normalization as the statistics (orchestration/ingest/jurisdictions.py `resolve`, `fold`).
  First hit wins:

  1. the agency overrides seed (`dbt_project/seeds/agency_overrides.csv`): cities inside a
     county, consolidated city-counties, metropolitan and regional agencies, each with its rule;
  2. a state agency (department of public safety / corrections / law enforcement / safety,
     highway patrol, state police or patrol, named by its state) -> the state-level id
     `<state fips>000`;
  3. a county agency (sheriff's office or department, county jail, detention or corrections,
     county police) -> its county ("Washington County Sheriff Office AR" -> Washington County, AR);
  4. a city or town police department -> only when the city is itself a county equivalent (a
     Virginia independent city, Baltimore, St. Louis, Carson City); any other city lies inside a
     county and needs a seed row naming that county;
  5. anything else is quarantined with its reason. Nothing is guessed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
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
from orchestration.ingest.values import ValueRules, warehouse_days
from orchestration.paths import DBT_PROJECT_DIR

G287_COLUMNS: tuple[str, ...] = (
    "state",
    "agency",
    "agency_short",
    "fiscal_year",
    "fy_start",
    "fy_end",
    "identified",
    "removed",
    "attests_active",
    "source_footnote",
    "latitude",
    "longitude",
    "address",
    "agency_raw",
    "source",
)
COUNT_COLUMNS: tuple[str, ...] = ("identified", "removed")
AGENCY_OVERRIDES = DBT_PROJECT_DIR / "seeds" / "agency_overrides.csv"


def parse_g287_csv(path: Path) -> ParsedFile:
    """The published layout (UTF-8, optional BOM); every value as text, blank -> NULL."""
    return read_layout_csv(path, G287_COLUMNS)


def load_raw_g287(con: duckdb.DuckDBPyConnection, path: Path, load_id: str) -> ParsedFile:
    """Replace raw.g287_agency_years with the rows of ``path`` (a rerun never duplicates)."""
    parsed = parse_g287_csv(path)
    days = warehouse_days()
    rules = ValueRules(
        counts=COUNT_COLUMNS, years=("fiscal_year",), dates={"fy_start": days, "fy_end": days}
    )
    write_raw_text(con, "g287_agency_years", parsed, G287_COLUMNS, path, load_id, rules)
    return parsed


# --- agency -> jurisdiction -------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyOverride:
    jurisdiction_id: str
    rule: str


def load_agency_overrides(path: Path = AGENCY_OVERRIDES) -> dict[tuple[str, str], AgencyOverride]:
    """(USPS state, folded agency name) -> override. Validates ids and states as it reads."""
    out: dict[tuple[str, str], AgencyOverride] = {}
    with path.open("r", encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            jid = (row.get("jurisdiction_id") or "").strip()
            if not re.fullmatch(r"\d{5}", jid):
                raise ValueError(
                    f"{path}, line {line}, column 'jurisdiction_id': {jid!r} is "
                    "not a 5-digit FIPS code"
                )
            state = us.states.lookup((row.get("state") or "").strip())
            if state is None or state.fips != jid[:2]:
                raise ValueError(
                    f"{path}, line {line}, column 'state': {row.get('state')!r} is not the "
                    f"state of {jid}"
                )
            rule = (row.get("rule") or "").strip()
            if not rule:
                raise ValueError(f"{path}, line {line}, column 'rule': every override says why")
            out[(state.abbr, fold(row["agency"]))] = AgencyOverride(jid, rule)
    return out


_STATE_BODY = (
    r"department of public safety|department of safety|department of corrections"
    r"|corrections department|department of law enforcement|state highway patrol"
    r"|highway patrol|state police|state patrol"
)
_STATE_AGENCY = re.compile(rf"^(?P<prefix>.*?)\s*(?P<body>{_STATE_BODY})$")
_COUNTY_AGENCY = re.compile(
    r"^(?P<place>.+?) county (sheriff'?s?( office| department)?|jail|detention center"
    r"|department of corrections|corrections( department)?|police (department|dept\.?))$"
)
_SHERIFF = re.compile(r"^(?P<place>.+?) sheriff'?s?( office| department)?$")
_CITY_POLICE = re.compile(
    r"^((city|town) of )?(?P<place>.+?)( city| town)? police (department|dept\.?)$"
)


def state_level(state: us.states.State, published: str, method: str) -> Resolution:
    return Resolution(
        state.abbr,
        published,
        f"{state.fips}000",
        f"{state.name} (state agencies)",
        STATE_LEVEL,
        method,
    )


def place_agency(
    state_text: str | None,
    agency: str | None,
    agency_overrides: dict[tuple[str, str], AgencyOverride],
    overrides: dict[tuple[str, str], Override],
) -> Resolution:
    """The jurisdiction a participating agency stands for (rules in the module docstring).
    ``state_text`` is the state as published (a full name, "NEW HAMPSHIRE", or a USPS code)."""
    published = agency or ""
    state = us.states.lookup(state_text.strip()) if state_text and state_text.strip() else None
    if state is None or not state.fips:
        return Resolution.quarantined(
            state_text, published, f"unknown state {state_text!r}: expected a US state name"
        )
    usps = state.abbr
    if not published.strip():
        return Resolution.quarantined(usps, published, "agency name is blank")
    folded = fold(published).rstrip("*").strip()
    override = agency_overrides.get((usps, folded))
    if override is not None:
        return _from_override(state, published, override)
    # "Washington County Sheriff Office AR": a trailing USPS code of the row's own state
    folded = re.sub(rf"\s+{usps.lower()}$", "", folded)

    match = _STATE_AGENCY.match(folded)
    if match and "county" not in folded and not folded.startswith(("city of", "town of")):
        prefix = re.sub(r"\s*state$", "", match["prefix"]).strip()
        if prefix in ("", usps.lower(), fold(state.name)):
            return state_level(state, published, "state agency -> state level")
        return Resolution.quarantined(
            usps,
            published,
            f"state agency named for {prefix!r}, not {state.name}: check the state column "
            "or add the agency to the agency overrides seed",
        )

    match = _COUNTY_AGENCY.match(folded)
    if match:
        return _resolved_or_quarantined(
            resolve(usps, f"{match['place']} County", overrides),
            published,
            "county agency -> its county",
            f"a county agency, but there is no {match['place'].title()} County in {usps}",
        )

    match = _SHERIFF.match(folded)
    if match:  # a sheriff named for a place that is not called a county
        return _resolved_or_quarantined(
            resolve(usps, f"{match['place']} County", overrides),
            published,
            "sheriff -> its county",
            f"a sheriff's office of {match['place'].title()!r}, which is not a county of "
            f"{usps} (a consolidated city-county?)",
        )

    match = _CITY_POLICE.match(folded)
    if match:
        city = resolve(usps, f"{match['place']} city", overrides)
        if city.kind == "independent city":
            return _resolved_or_quarantined(
                city, published, "independent city police -> the city", ""
            )
        return Resolution.quarantined(
            usps,
            published,
            f"city police department of {match['place'].title()!r}: a city inside a county; "
            "add the county that contains it to the agency overrides seed",
        )

    return Resolution.quarantined(
        usps,
        published,
        "not a recognized kind of agency (sheriff, county jail or corrections, city police, "
        "state agency): add it to the agency overrides seed with its rule",
    )


def _resolved_or_quarantined(
    found: Resolution, published: str, method: str, reason: str
) -> Resolution:
    if found.jurisdiction_id is None:
        return Resolution.quarantined(
            found.state,
            published,
            f"{reason}; add the agency to the agency overrides seed",
        )
    return Resolution(found.state, published, found.jurisdiction_id, found.name, found.kind, method)


def _from_override(state: us.states.State, published: str, override: AgencyOverride) -> Resolution:
    jid = override.jurisdiction_id
    method = f"agency override: {override.rule}"
    if jid.endswith("000"):
        return state_level(state, published, method)
    name = county_index().names.get(jid)
    if name is None:
        return Resolution.quarantined(
            state.abbr,
            published,
            f"the agency overrides seed maps it to {jid}, which is not a county code",
        )
    return Resolution(state.abbr, published, jid, name, kind_of(name), method)


def resolve_agency(
    state: str | None,
    agency: str | None,
    overrides: dict[tuple[str, str], Override],
    path: Path = AGENCY_OVERRIDES,
) -> Resolution:
    """place_agency with the agency overrides seed beside the jurisdiction overrides the
    name-matching pass already read."""
    return place_agency(state, agency, _agency_overrides(path, path.stat().st_mtime_ns), overrides)


@cache
def _agency_overrides(path: Path, mtime_ns: int) -> dict[tuple[str, str], AgencyOverride]:
    """The seed read once per version of the file (keyed on its mtime), not once per agency."""
    return load_agency_overrides(path)
