"""The case record's counted fields as SQL: which column of raw.cases_load each field is counted
under, a file's projection onto them (by its layout) and its record identifier, and the event
date parsed from its text."""

from __future__ import annotations

from orchestration.ingest.cases.layouts import CaseLayout
from orchestration.ingest.sql_text import ident, literal

# the case record's counted fields -> their column in raw.cases_load (the removals' names kept)
COUNTED = (
    ("state", "apprehension_state"),
    ("county", "apprehension_county"),
    ("place", "place"),
    ("method", "method"),
    ("threat_level", "case_threat_level"),
    ("criminality", "case_criminality"),
    ("conviction", "most_serious_conviction"),
)


def projection(
    layout: CaseLayout, file_columns: list[str], nul_checked: tuple[str, ...] = ()
) -> str:
    """The select list mapping a file of ``layout`` onto the counted fields (text), its record
    identifier, and ``_nul``: whether any of the ``nul_checked`` columns holds a NUL byte."""

    def text(column: str | None) -> str:
        if column is None or column not in file_columns:
            return "cast(null as varchar)"
        return f"cast({ident(column)} as varchar)"

    return ", ".join(
        [
            f"{literal(layout.name)} as _layout",
            f"{literal(layout.event_kind)} as event_kind",
            f"{text(layout.date)} as _event_date",
            *(f"{text(layout.column(field))} as {alias}" for field, alias in COUNTED),
            f"{record_id_sql(text(layout.identifier))} as _record_id",
            f"{nul_sql(nul_checked)} as _nul",
        ]
    )


def nul_sql(columns: tuple[str, ...]) -> str:
    """Whether any of ``columns`` holds a NUL byte (false without columns)."""
    return " or ".join(f"contains({ident(c)}, chr(0))" for c in columns) or "false"


# FOIA redaction markers ("(b)(7)e)", "b(6), b(7)c"): a withheld identifier identifies nothing
REDACTED_PREFIXES = ("(b)", "b(")


def record_id_sql(text: str) -> str:
    """A record's identifier from its text: NULL when blank or redacted (a release that
    withholds every event number repeats the same marker on every row)."""
    redacted = " or ".join(f"starts_with({text}, {literal(p)})" for p in REDACTED_PREFIXES)
    return f"case when {redacted} then null else {text} end"


DATE_FORMATS = "['%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%m/%d/%Y %H:%M']"


def event_date_sql(column: str) -> str:
    """The event date of a text column: the releases' usual MM/DD/YYYY first (cheap), the other
    formats only when it does not parse; NULL when none does."""
    col = ident(column)
    return (
        f"cast(coalesce(try_strptime({col}, '%m/%d/%Y'), "
        f"try_strptime(trim({col}), {DATE_FORMATS})) as date)"
    )
