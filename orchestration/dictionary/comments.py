"""Descriptions as DuckDB comments: written into the published file by the publish step, read
back by every reader (`duckdb_tables()` and `duckdb_columns()`, which DuckDB 1.x clients — DBeaver,
R, notebooks — show as they are).

Only SQL that DuckDB 1.0 understands is used to read, so the same functions serve an old client
(which lists the columns of its internal views under every database: hence `not internal`)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from orchestration.dictionary.manifest import TableDoc


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A SQL string literal: COMMENT ON does not take a bound parameter (DuckDB's parser
    refuses `IS ?`), so the text is quoted here. Standard SQL strings have no backslash
    escapes: doubling the single quote is the whole rule."""
    return "'" + text.replace("'", "''") + "'"


def write_comments(
    con: duckdb.DuckDBPyConnection, database: str, docs: Mapping[str, TableDoc]
) -> list[str]:
    """Comment every table of ``database``'s main schema, and each of its columns, with its
    description from ``docs``; returns what has none (`table` or `table.column`), which is
    left without a comment.

    One transaction: a COMMENT ON in autocommit mode commits, and each commit of the attached
    file costs ≈4 ms, against ≈0.4 ms inside a transaction (≈350 comments: 1.3 s against 0.15 s,
    measured on the sample's publication)."""
    columns = con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = ? and schema_name = 'main' and not internal "
        "order by table_name, column_index",
        [database],
    ).fetchall()
    tables = [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where database_name = ? "
            "and schema_name = 'main' order by table_name",
            [database],
        ).fetchall()
    ]
    missing: list[str] = []
    statements: list[str] = []
    qualified = {t: f"{quote_identifier(database)}.main.{quote_identifier(t)}" for t in tables}
    for table in tables:
        doc = docs.get(table)
        if doc and doc.description:
            statements.append(
                f"comment on table {qualified[table]} is {quote_literal(doc.description)}"
            )
        else:
            missing.append(table)
    for table, column in columns:
        text = docs[table].columns.get(column, "") if table in docs else ""
        if text:
            statements.append(
                f"comment on column {qualified[table]}.{quote_identifier(column)} "
                f"is {quote_literal(text)}"
            )
        else:
            missing.append(f"{table}.{column}")
    con.execute("begin transaction")
    try:
        for statement in statements:
            con.execute(statement)
    except BaseException:
        # after a fatal error (a full disk) DuckDB has ended the transaction itself: the
        # rollback's own error would hide the cause
        with contextlib.suppress(duckdb.Error):
            con.execute("rollback")
        raise
    con.execute("commit")
    return missing


@dataclass(frozen=True)
class PublishedTable:
    name: str
    description: str | None
    rows: int


@dataclass(frozen=True)
class PublishedColumn:
    name: str
    data_type: str
    description: str | None


def published_tables(con: duckdb.DuckDBPyConnection) -> list[PublishedTable]:
    """The tables of the open published file, with their comment and row count."""
    found = con.execute(
        "select table_name, comment from duckdb_tables() "
        "where database_name = current_database() and schema_name = 'main' "
        "order by table_name"
    ).fetchall()
    tables = []
    for name, comment in found:
        count = con.execute(f"select count(*) from {quote_identifier(name)}").fetchone()
        tables.append(PublishedTable(name, comment or None, int(count[0]) if count else 0))
    return tables


def published_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[PublishedColumn]:
    """The columns of one published table (in order) with their type and comment; empty when
    there is no such table."""
    return [
        PublishedColumn(name, data_type, comment or None)
        for name, data_type, comment in con.execute(
            "select column_name, data_type, comment from duckdb_columns() "
            "where database_name = current_database() and schema_name = 'main' "
            "and not internal and table_name = ? order by column_index",
            [table],
        ).fetchall()
    ]


def table_comment(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    found = con.execute(
        "select comment from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'main' and table_name = ?",
        [table],
    ).fetchone()
    return (found[0] or None) if found else None
