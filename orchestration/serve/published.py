"""Read-only access to the published file (marts.duckdb) for the dashboard, `scomm sql` and
`scomm export`. Every connection is short-lived and read-only, so readers never hold a lock the
pipeline needs and each new connection sees the latest complete publication."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

T = TypeVar("T")

LEVELS = ("l1", "l2", "l3", "nc")
LEVEL_LABELS = {"l1": "Level 1", "l2": "Level 2", "l3": "Level 3", "nc": "Non-criminal"}
MEASURES = ("referrals", "removals")
SINGULAR = {"referrals": "referral", "removals": "removal"}
SMALL_COUNT = 20  # denominators below this are flagged, not ranked


class PublishedFileMissing(FileNotFoundError):
    pass


@contextmanager
def published(path: Path, external_access: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; without external access unless a caller (export) needs to write
    files. Closed on exit."""
    if not path.exists():
        raise PublishedFileMissing(f"{path} does not exist yet: run `make run` first")
    # Connect to the version the symlink points at now (see publish.py): a new path per
    # publication, so DuckDB's per-process cache never hands back a replaced version.
    con = duckdb.connect(
        str(path.resolve()), read_only=True, config={"enable_external_access": external_access}
    )
    _VERSION_OF[id(con)] = str(path.resolve())
    try:
        yield con
    finally:
        _VERSION_OF.pop(id(con), None)
        con.close()


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


# A published version is never changed after it is written (publish.py writes a new file per
# publication), so what is read from its structure and small lists can be kept per version path.
_BY_VERSION: dict[tuple[str, str], Any] = {}
_VERSION_OF: dict[int, str] = {}  # open connection (id) -> the version file it reads


def per_version(con: duckdb.DuckDBPyConnection, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per published version (the database file's path) and ``name``."""
    version = _VERSION_OF.get(id(con))
    if version is None:  # a connection not opened by published()
        found = con.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        version = str(found[0] if found else "")
    key = (version, name)
    if key not in _BY_VERSION:
        if len(_BY_VERSION) > 64:
            _BY_VERSION.clear()
        _BY_VERSION[key] = compute()
    return _BY_VERSION[key]


def published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return per_version(
        con,
        "tables",
        lambda: [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main' "
                "and database_name = current_database() order by table_name"
            ).fetchall()
        ],
    )


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
        rows(
            con,
            "select source, data_status, rows, publisher, files, loaded_at "
            "from _publication_sources",
        )
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
    in_interop_reports: bool = True
    in_287g_statistics: bool = False
    in_case_records: bool = False

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


CASE_MARTS = ("mart_case_removals_year", "mart_case_events_county_year")


def jurisdictions(con: duckdb.DuckDBPyConnection) -> list[Jurisdiction]:
    """Every jurisdiction with reports in this publication: in the interoperability statistics,
    the 287(g) statistics or the case records."""
    return per_version(con, "jurisdictions", lambda: _jurisdictions(con))


def _jurisdictions(con: duckdb.DuckDBPyConnection) -> list[Jurisdiction]:
    tables = set(published_tables(con))
    cases = [f"select jurisdiction_id from {t}" for t in CASE_MARTS if t in tables]
    case_ids = " union ".join(cases) if cases else "select null::varchar as jurisdiction_id"
    g287 = (
        "coalesce(in_287g_statistics, false)"
        if _has_column(con, "dim_jurisdiction", "in_287g_statistics")
        else "false"
    )
    return [
        Jurisdiction(**r)
        for r in rows(
            con,
            f"""
        with case_ids as ({case_ids})
        select jurisdiction_id, name, state, activation_date,
               coalesce(in_interop_reports, false) as in_interop_reports,
               {g287} as in_287g_statistics,
               jurisdiction_id in (select jurisdiction_id from case_ids) as in_case_records
        from dim_jurisdiction
        where in_interop_reports or {g287}
           or jurisdiction_id in (select jurisdiction_id from case_ids)
        order by name, state""",
        )
    ]


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.columns "
            "where table_schema = 'main' and table_name = ? and column_name = ?",
            [table, column],
        ).fetchone()[0]  # type: ignore[index]
    )


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


def other_fiscal_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Fiscal years of the 287(g) statistics and the case records, for a publication without
    the interoperability statistics (a public run)."""
    tables = set(published_tables(con))
    parts = [
        f"select fiscal_year from {t}"
        for t in (
            "mart_programs_county_year",
            "mart_case_events_county_year",
            "mart_case_removals_year",
        )
        if t in tables
    ]
    if not parts:
        return []
    return [r[0] for r in con.execute(" union ".join(parts) + " order by 1").fetchall()]


def states(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select distinct state from mart_jurisdiction_year order by 1"
        ).fetchall()
    ]


Z95 = 1.959963984540054


def wilson(successes: int, total: int) -> tuple[float, float] | tuple[None, None]:
    """The 95% Wilson score interval of successes / total: the same formula as the dbt macro
    wilson_interval (dbt_project/macros/wilson_interval.sql), for shares summed here."""
    if not total:
        return None, None
    n, p, z2 = float(total), successes / total, Z95 * Z95
    center = p + z2 / (2 * n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, (center - half) / (1 + z2 / n)), min(1.0, (center + half) / (1 + z2 / n))


def ranking(
    con: duckdb.DuckDBPyConnection,
    fy_from: int,
    fy_to: int,
    measure: str,
    state: str | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Jurisdictions by minor share of ``measure`` over fiscal years fy_from..fy_to: counts are
    summed over the years first (years without a reported total, e.g. restated, are left out
    and counted in ``years``), then divided, with the 95% interval of the summed share.
    Returns (ranked, flagged): denominators under SMALL_COUNT are flagged, not ranked."""
    assert measure in MEASURES
    all_rows = rows(
        con,
        f"""
        select jurisdiction_id, any_value(jurisdiction_name) as jurisdiction_name,
               any_value(state) as state,
               cast(sum({measure}_minor) as bigint) as minor,
               cast(sum({measure}_total) as bigint) as total,
               count(*) as years
        from mart_jurisdiction_year
        where fiscal_year between ? and ? and (? is null or state = ?)
          and {measure}_total is not null and {measure}_minor is not null
        group by jurisdiction_id""",
        [fy_from, fy_to, state, state],
    )
    for r in all_rows:
        r["share"] = r["minor"] / r["total"] if r["total"] else None
        r["low"], r["high"] = wilson(r["minor"], r["total"])
    all_rows.sort(key=lambda r: (-(r["share"] or -1), -r["total"], r["jurisdiction_name"]))
    ranked = [r for r in all_rows if r["total"] >= SMALL_COUNT and r["share"] is not None]
    flagged = [r for r in all_rows if r["total"] < SMALL_COUNT or r["share"] is None]
    for i, r in enumerate(ranked, start=1):
        r["rank"] = i
    return ranked, flagged


def table_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    jurisdiction_id: str,
    fy_from: int,
    fy_to: int,
    order: str = "fiscal_year",
) -> list[dict[str, Any]]:
    """One jurisdiction's rows of a county-year mart in the period; [] when the mart is not in
    this publication (an older file) or has nothing for it."""
    assert table in (
        "mart_programs_county_year",
        "mart_287g_jurisdiction_year",
        "mart_case_events_county_year",
        "mart_case_removals_year",
    )
    if table not in published_tables(con):
        return []
    return rows(
        con,
        f"select * from {table} where jurisdiction_id = ? and fiscal_year between ? and ? "
        f"order by {order}",
        [jurisdiction_id, fy_from, fy_to],
    )


def citation(info: dict[str, Any] | None, *sources: str) -> str:
    """A plain citation line for a view built from ``sources``: publisher, file name and load
    date of each, the data status, and the publication date. No local paths or hashes."""
    if not info:
        return "Source: no publication record in this file."
    by_name = {s["source"]: s for s in info["sources_loaded"]}
    parts = []
    for name in sources:
        s = by_name.get(name)
        if s is None:
            continue
        if s["data_status"] == "not loaded":
            parts.append(f"{name}: not loaded")
            continue
        files = ", ".join(Path(f).name for f in (s.get("files") or [])) or "no file"
        loaded = s.get("loaded_at")
        when = f", loaded {loaded:%Y-%m-%d}" if loaded else ""
        parts.append(f"{s['publisher']} — file {files}{when} ({s['data_status']})")
    published_at = info.get("published_at")
    stamp = f"{published_at:%Y-%m-%d}" if published_at else "date unknown"
    return "Source: " + "; ".join(parts or ["unknown"]) + f". Published {stamp} by this warehouse."
