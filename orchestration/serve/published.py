"""Read-only access to the published file (marts.duckdb) for the dashboard, `scomm sql` and
`scomm export`. Every connection is short-lived and read-only, so readers never hold a lock the
pipeline needs and each new connection sees the latest complete publication."""

from __future__ import annotations

import math
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from orchestration.paths import RUN_LOG

T = TypeVar("T")

LEVELS = ("l1", "l2", "l3", "nc")
LEVEL_LABELS = {"l1": "Level 1", "l2": "Level 2", "l3": "Level 3", "nc": "Non-criminal"}
MEASURES = ("referrals", "removals")
SINGULAR = {"referrals": "referral", "removals": "removal"}
SMALL_COUNT = 20  # denominators below this are flagged, not ranked


class PublishedFileMissing(FileNotFoundError):
    pass


@dataclass(frozen=True)
class QueryLimits:
    """What one reader of the published file may use: every connection `published()` opens
    (scomm sql, the dashboard, export) gets these, and the configuration is locked after them,
    so no query can raise its own limits, turn on logging or profiling, or move its spill."""

    timeout_s: float | None = 60.0  # the query and the fetching of its rows; None: no limit
    memory_limit: str = "2GB"
    threads: int = 2
    max_temp_size: str = "4GB"  # spill to disk, in a temporary folder outside the warehouse


DEFAULT_LIMITS = QueryLimits()


class QueryTimedOut(RuntimeError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out after {seconds:g} s")
        self.seconds = seconds


class _SpillFolder:
    """One temporary folder per process for every open connection's spill (DuckDB shares one
    database instance per file inside a process, so concurrent connections must have the same
    configuration): created with the first connection, removed when the last one closes. In the
    system's temporary folder ($TMPDIR), never in the warehouse, where a spill could fill the
    disk the next publication needs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._path: Path | None = None

    def acquire(self) -> Path:
        with self._lock:
            if self._path is None:
                self._path = Path(tempfile.mkdtemp(prefix="scomm-query-spill-"))
            self._users += 1
            return self._path

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._path is not None:
                shutil.rmtree(self._path, ignore_errors=True)
                self._path = None


_SPILL = _SpillFolder()


class _Watchdog:
    """Interrupts the connection's query once ``seconds`` have passed, and keeps interrupting
    until stopped: DuckDB clears an interrupt when the next query starts, and it has no statement
    timeout of its own."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float | None) -> None:
        self.fired = False
        self._con = con
        self._seconds = seconds
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="scomm-query-timeout")
        if seconds is not None:
            self._thread.start()

    def _run(self) -> None:
        assert self._seconds is not None
        if self._done.wait(self._seconds):
            return
        self.fired = True
        while not self._done.is_set():
            self._con.interrupt()
            self._done.wait(0.05)

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()


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
            f"{folder / RUN_LOG}); {build} builds and publishes it"
        )
    return f"{folder} has no published marts.duckdb yet: {build} builds it"


@contextmanager
def published(
    path: Path, external_access: bool = False, limits: QueryLimits = DEFAULT_LIMITS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection within ``limits``, its configuration locked; without external
    access unless a caller (export) needs to write files. Closed on exit; a query still running
    when the time limit passes is interrupted and the block raises QueryTimedOut."""
    if not path.exists():
        raise PublishedFileMissing(not_published_yet(path))
    spill = _SPILL.acquire()
    try:
        # Connect to the version the symlink points at now (see publish.py): a new path per
        # publication, so DuckDB's per-process cache never hands back a replaced version.
        con = duckdb.connect(
            str(path.resolve()),
            read_only=True,
            config={
                "enable_external_access": external_access,
                "memory_limit": limits.memory_limit,
                "threads": limits.threads,
                "temp_directory": str(spill),
                "max_temp_directory_size": limits.max_temp_size,
                "lock_configuration": True,
            },
        )
        _VERSION_OF[id(con)] = str(path.resolve())
        watchdog = _Watchdog(con, limits.timeout_s)
        try:
            yield con
        except duckdb.InterruptException as exc:
            if watchdog.fired and limits.timeout_s is not None:
                raise QueryTimedOut(limits.timeout_s) from exc
            raise
        finally:
            watchdog.stop()
            _VERSION_OF.pop(id(con), None)
            con.close()
    finally:
        _SPILL.release()


READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})


class QueryRefused(ValueError):
    pass


def check_query(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Ad hoc SQL runs queries only: every statement must be a SELECT (WITH, FROM, DESCRIBE,
    SHOW, SUMMARIZE are SELECTs to DuckDB) or an EXPLAIN. SET/RESET, PRAGMA, CALL (logging,
    profiling, checkpoints), ATTACH, INSTALL/LOAD, COPY, EXPORT and every write are refused with
    one line, before anything runs. A syntax error is left for DuckDB to report."""
    try:
        statements = con.extract_statements(query)
    except duckdb.ParserException:
        return
    try:
        kinds = [s.type.name for s in statements if s.type not in READ_STATEMENTS]
    except ValueError:  # a statement type this DuckDB binding has no name for (UPDATE EXTENSIONS)
        kinds = ["unsupported"]
    if kinds:
        raise QueryRefused(
            "refused: the published file is read-only for ad hoc SQL and its limits are fixed: "
            f"{kinds[0]} statements do not run here; only queries do (SELECT, WITH, FROM, "
            "DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)"
        )


def limit_message(exc: duckdb.Error, limits: QueryLimits) -> str | None:
    """A one-line explanation when ``exc`` is a query hitting the memory or spill limit."""
    if not isinstance(exc, duckdb.OutOfMemoryException):
        return None
    detail = str(exc).splitlines()[0].removeprefix("Out of Memory Error: ").rstrip(".")
    if "max_temp_directory_size" in str(exc):
        return (
            f"out of disk for spilling: the query needs more than {limits.max_temp_size} of "
            f"temporary files ({detail}); narrow the query or raise --max-temp-size"
        )
    return (
        f"out of memory: the query needs more than {limits.memory_limit} ({detail}) even "
        f"spilling to disk; narrow the query or raise --memory-limit"
    )


# Spreadsheet formulas in CSV (CWE-1236): a cell that starts with one of these characters is
# run as a formula by Excel, LibreOffice and Google Sheets. Every CSV written for people (scomm
# export --format csv, scomm sql --format csv, the dashboard's downloads) gets a leading
# apostrophe on such text cells, as OWASP recommends; numbers stay numbers, Parquet stays exact.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs as a formula: text starting with = + - @
    tab or carriage return gets a leading apostrophe; anything that is not text (a negative
    number, a date, NULL) is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def records_csv(records: list[dict[str, Any]], data_status: str) -> str:
    """Records as CSV for people: the union of their columns (in order of first appearance)
    and a data_status column on every row (real or synthetic), every cell csv_safe, \r\n
    line ends (RFC 4180), so a carriage return inside a value is quoted."""
    import csv
    import io

    columns = list(dict.fromkeys(c for r in records for c in r))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*columns, "data_status"])
    for record in records:
        writer.writerow([*(csv_safe(record.get(c)) for c in columns), data_status])
    return out.getvalue()


def csv_safe_sql(column: str) -> str:
    """csv_safe as a DuckDB expression over the text column ``column`` (a quoted identifier),
    for CSV written by DuckDB itself."""
    prefixes = ", ".join(f"chr({ord(c)})" for c in FORMULA_PREFIXES)
    return f"case when left({column}, 1) in ({prefixes}) then chr(39) || {column} else {column} end"


def csv_safe_columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The select list of ``table`` with every text column made formula-safe (csv_safe_sql)
    under its own name, every other column as it is."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'main' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    quoted = [('"' + name.replace('"', '""') + '"', kind) for name, kind in columns]
    return ", ".join(
        f"{csv_safe_sql(q)} as {q}" if kind == "VARCHAR" or kind.startswith("ENUM") else q
        for q, kind in quoted
    )


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
