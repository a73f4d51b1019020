"""The layouts case-record releases come in, as data: one CaseLayout per layout says which
published column holds each field of the case record (None = the layout does not carry it).
A file's layout is recognised from its header; a header no layout fits is refused naming the
closest layout and the columns it lacks. A new layout is a new entry here, not new code.

Fields of the case record (what the one-pass scan counts by):

* ``date`` — the event date (its fiscal year is the partition);
* ``state`` — the state as the file gives it (kept as published, never guessed);
* ``county`` — a county name (removals: resolved by the jurisdiction normalization);
* ``place`` — where it happened, a landmark or facility name (a jail resolves to its county,
  offices and operations stay at state level: ingest/jurisdictions.py ``resolve_place``);
* ``method`` — the arrest / apprehension method or program;
* ``threat_level``, ``criminality`` — ICE's published severity codes (removals);
* ``conviction`` — the most serious conviction category (mapped to a severity class by the seed
  dbt_project/seeds/case_conviction_severity.csv);
* ``identifier`` — the record's identifier, when published (kept in the raw view, not counted).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from orchestration.ingest.errors import InputFileError

RECORD_FIELDS = (
    "date",
    "state",
    "county",
    "place",
    "method",
    "threat_level",
    "criminality",
    "conviction",
    "identifier",
)


@dataclass(frozen=True)
class CaseLayout:
    name: str
    event_kind: str  # removal | arrest | book-in
    date: str
    state: str
    county: str | None = None
    place: str | None = None
    method: str | None = None
    threat_level: str | None = None
    criminality: str | None = None
    conviction: str | None = None
    identifier: str | None = None
    # mapped columns a file may lack (read as NULL); every other mapped column is required
    optional: tuple[str, ...] = ()

    def column(self, record_field: str) -> str | None:
        return getattr(self, record_field)

    @property
    def required(self) -> tuple[str, ...]:
        mapped = (self.column(f) for f in RECORD_FIELDS)
        return tuple(c for c in mapped if c is not None and c not in self.optional)


LAYOUTS: tuple[CaseLayout, ...] = (
    # ICE FOIA removals (one row per removal): severity from the published threat level and
    # criminality; MSC NCIC Charge and Final Program stay in the raw view, not counted.
    CaseLayout(
        name="ice_foia_removals",
        event_kind="removal",
        date="Departed Date",
        state="Apprehension State",
        county="Apprehension County",
        threat_level="Case Threat Level",
        criminality="Case Criminality",
        identifier="Unique Identifier",
        optional=("Unique Identifier",),
    ),
    # ICE ERO arrests as released to UWCHR (aor-seattle/analyze/output/arrests_with_state.csv)
    CaseLayout(
        name="uwchr_ero_arrests",
        event_kind="arrest",
        date="arrest_date",
        state="state",
        place="apprehension_landmark",
        method="arrest_method",
        conviction="most_serious_conviction",
        identifier="event_number",
        optional=("event_number",),
    ),
    # ICE ERO detention book-ins, same release (bookins_with_state.csv): the place is the
    # facility the person was booked into
    CaseLayout(
        name="uwchr_ero_bookins",
        event_kind="book-in",
        date="book_in_date",
        state="state",
        place="detention_facility",
        method="apprehension_method",
        conviction="most_serious_conviction",
    ),
)
LAYOUTS_BY_NAME = {layout.name: layout for layout in LAYOUTS}
assert {f.name for f in fields(CaseLayout)} >= set(RECORD_FIELDS)


def is_header(cells: list[str]) -> bool:
    """Whether a row (of a workbook) is a header of some layout: it names the layout's date
    and state columns."""
    return any(layout.date in cells and layout.state in cells for layout in LAYOUTS)


def recognise(path: Path, columns: list[str], line: int | None = 1) -> CaseLayout:
    """The layout whose required columns the header has (the one needing most, if several);
    else InputFileError naming the file, the closest layout and its missing columns."""
    present = set(columns)
    fitting = [lay for lay in LAYOUTS if all(c in present for c in lay.required)]
    if fitting:
        return max(fitting, key=lambda lay: len(lay.required))

    def missing(lay: CaseLayout) -> list[str]:
        return [c for c in lay.required if c not in present]

    closest = min(LAYOUTS, key=lambda lay: (len(missing(lay)), -len(lay.required)))
    lacking = missing(closest)
    raise InputFileError(
        path,
        f"missing required column(s) {lacking} of the closest case layout "
        f"{closest.name!r} ({closest.event_kind} records); found {columns[:12]}; "
        f"known layouts: {', '.join(lay.name for lay in LAYOUTS)}",
        line=line,
        column=lacking[0],
    )
