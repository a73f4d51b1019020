"""A Parquet file's typed columns (DATE, TIMESTAMP, integers, floats …) read as the text a CSV of
the same release would hold, so that every file of a load reads alike (all text) whatever its
format, and the same parsers (the event date, the codes) apply to all of them."""

from __future__ import annotations

from orchestration.ingest.sql_text import ident


def as_text(column: str, column_type: str) -> str:
    """A typed column as the text a CSV of the same release would hold: a date or a timestamp
    as its day YYYY-MM-DD (which the event date parser reads), a whole float without its .0,
    anything else as DuckDB writes it."""
    col = ident(column)
    kind = column_type.upper()
    if kind == "DATE" or kind.startswith("TIMESTAMP"):
        return f"cast(cast({col} as date) as varchar)"
    if kind in ("FLOAT", "DOUBLE", "REAL"):
        return (
            f"case when isfinite({col}) and {col} = round({col}) and abs({col}) < 1e18 "
            f"then cast(cast({col} as bigint) as varchar) else cast({col} as varchar) end"
        )
    return f"cast({col} as varchar)"


def typed_as_text(relation: str, types: list[tuple[str, str]]) -> str:
    """``relation`` with every typed (non-text) column replaced by its text."""
    typed = [(c, t) for c, t in types if t.upper() != "VARCHAR"]
    if not typed:
        return relation
    replaced = ", ".join(f"{as_text(c, t)} as {ident(c)}" for c, t in typed)
    return f"(select * replace ({replaced}) from {relation})"
