"""The About page: the publication's record in full (files, sha256, run), per source, and the
definitions."""

from __future__ import annotations

from typing import Any

import duckdb

from orchestration.serve.published import (
    LEVEL_LABELS,
    SMALL_COUNT,
    publication_info,
    published_tables,
    rows,
)


def context(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The About page: the publication's record in full (files, sha256, run), per source."""
    publication = publication_info(con)
    sources = (
        rows(con, "select * from _publication_sources order by source")
        if "_publication_sources" in published_tables(con)
        else []
    )
    return {
        "publication": publication,
        "sources": sources,
        "small_count": SMALL_COUNT,
        "level_labels": LEVEL_LABELS,
        "tables": published_tables(con),
    }
