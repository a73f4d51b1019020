"""The data dictionary: what each published table and column means travels from dbt's yml into the
published file as DuckDB comments, and says what a reader needs (grain, source, how a share is
computed, what NULL means). tests/test_compat.py reads the comments with a DuckDB 1.x client."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from orchestration.dictionary.comments import (
    published_columns,
    published_tables,
    quote_literal,
    write_comments,
)
from orchestration.dictionary.manifest import TableDoc, published_docs

pytestmark = pytest.mark.fast  # make test-fast


@pytest.fixture(scope="module")
def docs(dbt_manifest: Path) -> dict[str, TableDoc]:
    from orchestration.defs.dbt import load_manifest

    return published_docs(load_manifest(dbt_manifest))


def test_descriptions_come_from_the_published_models_and_the_publication_source(docs, dbt_manifest):
    from orchestration.defs.dbt import published_models

    publication = {"_publication", "_publication_sources", "_publication_inputs"}
    assert set(docs) == set(published_models(dbt_manifest)) | publication | {"_publication_tables"}
    # doc blocks are rendered: no Jinja left for a reader to see
    for doc in docs.values():
        for text in [doc.description, *doc.columns.values()]:
            assert "{{" not in text and "{%" not in text, doc.name


def test_every_table_description_states_its_grain_and_its_source(docs):
    for table, doc in docs.items():
        assert re.search(r"\bone row\b", doc.description, re.I), f"{table}: no grain"
        assert re.search(r"\bSources?:", doc.description), f"{table}: no source"


def test_every_share_says_how_it_is_computed(docs):
    """A share column gives its formula (numerator / denominator) or, for an interval bound,
    the interval it bounds; and says it is a fraction, not a percentage."""
    shares = [
        (t, c, s)
        for t, d in docs.items()
        for c, s in d.columns.items()
        if "share" in c.split("_") and not c.endswith("_id")
    ]
    assert len(shares) > 40
    for table, column, text in shares:
        assert " / " in text or "Wilson" in text, f"{table}.{column}: {text}"
        if column.endswith(("_low", "_high")) or " / " in text:
            assert re.search(r"\[0, 1\]|\(0-1\)|fraction", text), f"{table}.{column}: a fraction?"


def _columns_holding_null(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    columns = con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' and not internal"
    ).fetchall()
    return [
        (t, c)
        for t, c in columns
        if con.execute(f'select count(*) - count("{c}") from "{t}"').fetchone()[0]
    ]


def assert_null_is_explained(con: duckdb.DuckDBPyConnection, docs: dict[str, TableDoc]) -> int:
    """Every column that holds a NULL in the publication open on ``con`` says what NULL means
    there (not reported, not recorded, not applicable, …): a blank is never left for a reader
    to take for 0. Returns how many columns hold a NULL."""
    holding = _columns_holding_null(con)
    unexplained = [f"{t}.{c}" for t, c in holding if "NULL" not in docs[t].columns.get(c, "")]
    assert unexplained == [], "these columns hold NULL but their description does not say why"
    return len(holding)


def test_every_column_holding_null_in_the_sample_says_what_null_means(sample_run, docs):
    with duckdb.connect(str(sample_run.serving.resolve()), read_only=True) as con:
        assert assert_null_is_explained(con, docs) > 20


def test_comments_are_quoted_and_what_has_no_description_is_reported(tmp_path):
    text = 'It\'s a "quoted" $$dollar$$ text; -- not a comment\nsecond line: é ü 100 %'
    database = tmp_path / "pub.duckdb"
    con = duckdb.connect()
    con.execute(f"attach {quote_literal(str(database))} as pub (storage_version 'v1.0.0')")
    con.execute('create table pub.main."odd ""name""" as select 1 as "a b", 2 as c')
    con.execute("create table pub.main.bare as select 1 as x")
    docs = {'odd "name"': TableDoc('odd "name"', text, {"a b": text})}
    missing = write_comments(con, "pub", docs)
    con.close()
    assert missing == ["bare", "bare.x", 'odd "name".c']
    with duckdb.connect(str(database), read_only=True) as con:
        tables = published_tables(con)
        assert [(t.name, t.description, t.rows) for t in tables] == [
            ("bare", None, 1),
            ('odd "name"', text, 1),
        ]
        columns = published_columns(con, 'odd "name"')
        assert [(c.name, c.description) for c in columns] == [("a b", text), ("c", None)]
        assert published_columns(con, "no such table") == []


def test_a_failed_comment_leaves_no_half_commented_file(tmp_path):
    """The comments are one transaction: when one fails (here the column's, after the
    table's), none is written and the error is raised."""

    class FailingOnColumns:
        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self.con = con

        def execute(self, sql: str, *args):
            if sql.startswith("comment on column"):
                raise duckdb.IOException("disk full (simulated)")
            return self.con.execute(sql, *args)

    con = duckdb.connect()
    con.execute(f"attach {quote_literal(str(tmp_path / 'pub.duckdb'))} as pub")
    con.execute("create table pub.main.t as select 1 as a")
    docs = {"t": TableDoc("t", "a table", {"a": "a column"})}
    with pytest.raises(duckdb.IOException, match="simulated"):
        write_comments(FailingOnColumns(con), "pub", docs)  # type: ignore[arg-type]
    assert con.execute("select comment from duckdb_tables() where table_name = 't'").fetchone() == (
        None,
    )
    assert write_comments(con, "pub", docs) == []  # the connection is usable: nothing left open
    assert con.execute("select comment from duckdb_tables() where table_name = 't'").fetchone() == (
        "a table",
    )
