"""Quoting names and text into the SQL the readers build (file paths, column names of a release):
DuckDB's table functions take a file name only as a literal, not as a bound parameter."""

from __future__ import annotations


def ident(column: str) -> str:
    """``column`` as a quoted SQL identifier."""
    return '"' + column.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
