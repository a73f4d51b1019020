"""Read-only access to the published file (marts.duckdb) for the dashboard, `scomm sql` and
`scomm export`. Every connection is short-lived and read-only, so readers never hold a lock the
pipeline needs and each new connection sees the latest complete publication."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

LEVELS = ("l1", "l2", "l3", "nc")
LEVEL_LABELS = {"l1": "Level 1", "l2": "Level 2", "l3": "Level 3", "nc": "Non-criminal"}
MEASURES = ("referrals", "removals")
SINGULAR = {"referrals": "referral", "removals": "removal"}
SMALL_COUNT = 20  # denominators below this are flagged, not ranked


class PublishedFileMissing(FileNotFoundError):
    pass


def not_published_yet(path: Path) -> str:
    """Why there is no published file at ``path`` (WAREHOUSE/marts.duckdb) and the command that
    builds that warehouse: a folder that does not exist (a typo?) is told from one with no
    publication yet."""
    folder = path.parent
    build = f"`scomm run --warehouse {folder}`"
    if not folder.exists():
        return f"no warehouse folder {folder} (a typo?); {build} builds a warehouse there"
    if (folder / "build.duckdb").exists():
        return (
            f"{folder} has no published marts.duckdb: no run there has published yet (see "
            f"{folder / 'logs' / 'last_run.log'}); {build} builds and publishes it"
        )
    return f"{folder} has no published marts.duckdb yet: {build} builds it"


@contextmanager
def published(path: Path, external_access: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; without external access unless a caller (export) needs to write
    files. Closed on exit."""
    if not path.exists():
        raise PublishedFileMissing(not_published_yet(path))
    # Connect to the version the symlink points at now (see publish.py): a new path per
    # publication, so DuckDB's per-process cache never hands back a replaced version.
    con = duckdb.connect(
        str(path.resolve()), read_only=True, config={"enable_external_access": external_access}
    )
    try:
        yield con
    finally:
        con.close()


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' "
            "order by table_name"
        ).fetchall()
    ]


STATUS_LABELS = {
    "real": "Real data: pinned public releases",
    "synthetic": "SYNTHETIC sample data: not real statistics",
    "mixed": "MIXED: real and synthetic sources",
    "unverified": "Unverified files: not matched to a pinned release",
    "not loaded": "No data loaded",
}


def publication_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The publication record with its data status and, per source, what was loaded. A file
    published before statuses were recorded is read as synthetic when it names a sample."""
    tables = set(published_tables(con))
    if "_publication" not in tables:
        return None
    info = rows(con, "select * from _publication")[0]
    if "data_status" not in info:
        info["data_status"] = "synthetic" if "/data/sample/" in (info["sources"] or "") else "mixed"
        info["data_status_note"] = ""
    info["status_label"] = STATUS_LABELS.get(info["data_status"], info["data_status"])
    info["sources_loaded"] = (
        rows(con, "select source, data_status, rows, publisher from _publication_sources")
        if "_publication_sources" in tables
        else []
    )
    info["not_loaded"] = [
        s["source"] for s in info["sources_loaded"] if s["data_status"] == "not loaded"
    ]
    return info


@dataclass(frozen=True)
class Jurisdiction:
    jurisdiction_id: str
    name: str
    state: str
    activation_date: Any

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


def jurisdictions(con: duckdb.DuckDBPyConnection) -> list[Jurisdiction]:
    return [
        Jurisdiction(**r)
        for r in rows(
            con,
            """
        select jurisdiction_id, name, state, activation_date
        from dim_jurisdiction where in_interop_reports
        order by name, state""",
        )
    ]


def find_jurisdictions(
    candidates: list[Jurisdiction], text: str, state: str | None
) -> list[Jurisdiction]:
    """What the user typed: an id, an exact "Name, ST" label, or part of a name."""
    text = (text or "").strip()
    if not text:
        return []
    pool = [j for j in candidates if not state or j.state == state]
    for exact in (lambda j: j.jurisdiction_id == text, lambda j: j.label.lower() == text.lower()):
        found = [j for j in candidates if exact(j)]
        if found:
            return found
    needle = text.lower()
    return [j for j in pool if needle in j.name.lower()]


def year_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key_column: str | None,
    key: str | None,
    fy_from: int,
    fy_to: int,
) -> list[dict[str, Any]]:
    assert table in ("mart_jurisdiction_year", "mart_state_year", "mart_national_year")
    where = f"{key_column} = ? and " if key_column else ""
    params = ([key] if key_column else []) + [fy_from, fy_to]
    return rows(
        con,
        f"select * from {table} where {where}fiscal_year between ? and ? order by fiscal_year",
        params,
    )


def fiscal_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [
        r[0]
        for r in con.execute(
            "select distinct fiscal_year from mart_national_year order by 1"
        ).fetchall()
    ]


def states(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select distinct state from mart_jurisdiction_year order by 1"
        ).fetchall()
    ]


def ranking(
    con: duckdb.DuckDBPyConnection, fiscal_year: int, measure: str, state: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Jurisdictions of one fiscal year by minor share of ``measure``, with the 95% interval.
    Returns (ranked, flagged): denominators under SMALL_COUNT are flagged, not ranked."""
    assert measure in MEASURES
    all_rows = rows(
        con,
        f"""
        select jurisdiction_id, jurisdiction_name, state, {measure}_minor as minor,
               {measure}_total as total, minor_share_{measure} as share,
               minor_share_{measure}_low as low, minor_share_{measure}_high as high
        from mart_jurisdiction_year
        where fiscal_year = ? and (? is null or state = ?) and {measure}_total is not null
        order by minor_share_{measure} desc nulls last, total desc, jurisdiction_name""",
        [fiscal_year, state, state],
    )
    ranked = [r for r in all_rows if r["total"] >= SMALL_COUNT and r["share"] is not None]
    flagged = [r for r in all_rows if r["total"] < SMALL_COUNT or r["share"] is None]
    for i, r in enumerate(ranked, start=1):
        r["rank"] = i
    return ranked, flagged
