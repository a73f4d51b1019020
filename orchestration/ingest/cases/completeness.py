"""The completeness gate's comparison, and the operator's explicit acceptance of a smaller
release.

Every load's records per fiscal year stay in raw.cases_load_counts. A load is compared, for
each fiscal year it replaces (raw.cases_load_scope), with the last *published* load of that
year: more than ``completeness_max_drop`` (sources.yml) fewer records is a drop, and the
blocking check `cases_completeness` refuses the load (defs/checks/cases.py).

A drop can be right (the earlier release was wrong: it double-counted, a later correction
withdrew records). The operator then says so for one run: `scomm run --accept-smaller
"REASON"`. The run carries who and why as run tags (ACCEPT_TAGS); the gate then warns instead
of refusing, and the publication records who accepted which drops and why (`_publication`'s
accepted_smaller_* columns). The threshold itself is never edited for it.

Light imports only (the command line builds an Acceptance before Dagster is imported)."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

REASON_TAG = "scomm/accept_smaller_reason"
BY_TAG = "scomm/accept_smaller_by"
MAX_REASON = 500


@dataclass(frozen=True)
class Acceptance:
    """An operator's acceptance of a smaller release for one run."""

    by: str
    reason: str

    def tags(self) -> dict[str, str]:
        return {REASON_TAG: self.reason, BY_TAG: self.by}

    def __str__(self) -> str:
        return f"accepted by {self.by}: {self.reason!r}"


def reason_problem(reason: str) -> str | None:
    """Why ``reason`` cannot be recorded as given (None when it can): it must say something, on
    one line, briefly."""
    if not reason.strip():
        return 'give the reason, e.g. --accept-smaller "FY2016 release corrected by ICE"'
    if any(not c.isprintable() for c in reason):
        return "the reason must be one line of printable text"
    if len(reason) > MAX_REASON:
        return f"the reason is {len(reason)} characters long; at most {MAX_REASON}"
    return None


def operator() -> str:
    """Who runs this process: the login name, else the user id."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def accepted(tags: Mapping[str, str]) -> Acceptance | None:
    """The acceptance a run's tags carry, if any."""
    reason = tags.get(REASON_TAG)
    return Acceptance(tags.get(BY_TAG) or "unknown", reason) if reason else None


@dataclass(frozen=True)
class Drop:
    """A fiscal year with fewer records than its last published load."""

    fiscal_year: int
    before: int
    now: int
    loaded_at: dt.datetime
    load_id: str

    @property
    def share(self) -> float:
        return (self.before - self.now) / self.before

    def __str__(self) -> str:
        return (
            f"FY{self.fiscal_year}: {self.now:,} records, {self.before - self.now:,} "
            f"({self.share:.1%}) fewer than the load published {self.loaded_at:%Y-%m-%d %H:%M} "
            f"(run {self.load_id[:8]}, {self.before:,})"
        )


def compared_years(con: duckdb.DuckDBPyConnection, load_id: str) -> list[Drop]:
    """Every fiscal year load ``load_id`` replaces that a published load held, with both
    counts (a year the load no longer holds counts 0)."""
    rows = con.execute(
        """
        with previous as (
            select fiscal_year, arg_max(rows, loaded_at) as rows,
                   max(loaded_at) as loaded_at, arg_max(load_id, loaded_at) as load_id
            from raw.cases_load_counts
            where published and load_id <> $run
            group by fiscal_year
        ),
        this_load as (
            select fiscal_year, rows from raw.cases_load_counts where load_id = $run
        )
        select p.fiscal_year, p.rows, coalesce(t.rows, 0) as now, p.loaded_at, p.load_id
        from previous p
        join raw.cases_load_scope s using (fiscal_year)
        left join this_load t using (fiscal_year)
        order by p.fiscal_year""",
        {"run": load_id},
    ).fetchall()
    return [Drop(int(fy), int(before), int(now), at, load) for fy, before, now, at, load in rows]


def drops(compared: list[Drop], max_drop: float) -> list[Drop]:
    """The years of ``compared`` that lost more than ``max_drop`` of their records."""
    return [d for d in compared if d.before > 0 and d.share > max_drop]


def loaded_by(con: duckdb.DuckDBPyConnection, load_id: str) -> bool:
    """Whether run ``load_id`` staged a case load (the gate ran on it)."""
    staged = con.execute(
        "select 1 from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'cases_load_files'"
    ).fetchone()
    if staged is None:
        return False
    found = con.execute("select 1 from raw.cases_load_files where load_id = ? limit 1", [load_id])
    return found.fetchone() is not None
