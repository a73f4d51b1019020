"""What a layout's well-formed values must be to be stored and true (ValueRules): a date within
its source's plausible years, a year within the warehouse's fiscal years, a count that fits its
column's type. Checked on the parsed rows before they are written; the first row that breaks a
rule is refused naming file, line, column and value. Values that are not well formed (not
digits, not YYYY-MM-DD) are left to the Great Expectations suites and dbt staging."""

from __future__ import annotations

import datetime as dt
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from orchestration.fiscal import fiscal_year_range, fiscal_year_start
from orchestration.ingest.errors import InputFileError

# The types dbt staging casts published values to: a value that does not fit is refused here,
# naming its line, rather than by a cast error in dbt that names neither file nor line.
BIGINT_MAX = 2**63 - 1
# Secure Communities ran from 2008 (the first activation: Harris County, TX, 27 October 2008)
PROGRAM_FIRST_DAY = dt.date(2008, 1, 1)


def warehouse_days() -> tuple[dt.date, dt.date]:
    """First and last day of the fiscal years the warehouse accepts (dbt_project.yml vars)."""
    first, last = fiscal_year_range()
    return fiscal_year_start(first), fiscal_year_start(last + 1) - dt.timedelta(days=1)


def program_days() -> tuple[dt.date, dt.date]:
    """The days a Secure Communities date (an activation, a report's end) can fall on."""
    return PROGRAM_FIRST_DAY, warehouse_days()[1]


def _range_reason(first: dt.date, last: dt.date) -> str:
    first_fy, last_fy = fiscal_year_range()
    if first == PROGRAM_FIRST_DAY:
        return (
            f"Secure Communities' years ({first} to {last}: the program began in 2008, "
            f"the warehouse ends with FY{last_fy}, dbt_project.yml vars)"
        )
    return (
        f"the fiscal years the warehouse accepts (FY{first_fy} to FY{last_fy}: {first} to "
        f"{last}, dbt_project.yml vars)"
    )


@dataclass(frozen=True)
class ValueRules:
    """What a layout's well-formed values must be to be stored and true. Values that are not
    well formed (not digits, not YYYY-MM-DD, an impossible day) are left to the GX suites,
    which name them with the rest of the format checks."""

    counts: tuple[str, ...] = ()  # whole numbers stored as bigint: must fit
    years: tuple[str, ...] = ()  # whole years: within the warehouse's fiscal years
    dates: Mapping[str, tuple[dt.date, dt.date]] = field(default_factory=dict)  # first, last


WHOLE = re.compile(r"^[+-]?[0-9]+$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def value_problem(rules: ValueRules, column: str, value: object) -> str | None:
    """Why ``value`` of ``column`` breaks ``rules`` (None when it does not, or when it is not
    well formed: the format checks name that)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None  # not reported
    if column in rules.counts or column in rules.years:
        if isinstance(value, numbers.Integral):
            number = int(value)
        elif isinstance(value, float):
            if not value.is_integer():
                return None if column in rules.counts else f"year {value} is not a whole year"
            number = int(value)
        elif isinstance(value, str) and WHOLE.match(value.strip()):
            number = int(value.strip())
        else:
            return None
        if column in rules.years:
            first, last = fiscal_year_range()
            if not first <= number <= last:
                return (
                    f"year {_show(value)} is outside the fiscal years the warehouse accepts "
                    f"(FY{first} to FY{last}, dbt_project.yml vars)"
                )
        elif not -BIGINT_MAX - 1 <= number <= BIGINT_MAX:
            return (
                f"count {_show(value)} does not fit its column's type (a 64-bit integer, at most "
                f"{BIGINT_MAX:,})"
            )
    if column in rules.dates:
        if isinstance(value, dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
        elif isinstance(value, str) and ISO_DATE.match(value.strip()):
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                return None  # an impossible day: the GX suites name it
        else:
            return None
        earliest, latest = rules.dates[column]
        if not earliest <= day <= latest:
            shown = value if isinstance(value, str) else day.isoformat()
            return f"date {shown!r} is outside {_range_reason(earliest, latest)}"
    return None


def _show(value: object) -> str:
    """A value as the message quotes it: text quoted as published, a whole float without .0."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_values(
    frame: pd.DataFrame, path: Path, rules: ValueRules, line_column: str = "_source_line"
) -> None:
    """Refuse the first row (in file order) with a value that breaks ``rules``: one line naming
    file, line, column and value."""
    first: tuple[int, str, str] | None = None
    columns = [*rules.counts, *rules.years, *(c for c in rules.dates if c not in rules.years)]
    for column in dict.fromkeys(columns):
        if column not in frame.columns:
            continue
        for line, value in zip(frame[line_column], frame[column], strict=True):
            if first is not None and line >= first[0]:
                break
            problem = value_problem(rules, column, value)
            if problem:
                first = (int(line), column, problem)
                break
    if first is not None:
        raise InputFileError(path, first[2], line=first[0], column=first[1])
