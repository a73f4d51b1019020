"""CSV for people from the published file: formula-safe cells (CWE-1236) and a data_status on
every row, written by Python (records_csv) or by DuckDB itself (csv_safe_columns)."""

from __future__ import annotations

from typing import Any

import duckdb

# Spreadsheet formulas in CSV (CWE-1236): a cell that starts with one of these characters is
# run as a formula by Excel, LibreOffice and Google Sheets. Every CSV written for people (scomm
# export --format csv, scomm sql --format csv, the dashboard's downloads) gets a leading
# apostrophe on such text cells, as OWASP recommends; numbers stay numbers, Parquet stays exact.
# The full-width forms of = + - @ (U+FF1D, U+FF0B, U+FF0D, U+FF20) too: some spreadsheets
# normalise them to ASCII (NFKC) before deciding whether a cell is a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_safe(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs as a formula: text starting with = + - @
    (ASCII or full-width), tab or carriage return gets a leading apostrophe; anything that is
    not text (a negative number, a date, NULL) is returned unchanged."""
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
