"""Read-only access to the published file (marts.duckdb) for the dashboard, `scomm sql` and
`scomm export`, in four parts:

- connection: the sealed connection (read-only, limits, time limit, locked configuration), the
  refusal of anything but queries, and the per-version cache;
- queries: what the dashboard reads (levels and measures, jurisdictions, year rows, ranking);
- publication: the publication's record, its sources and the citation lines;
- csvsafe: formula-safe CSV for people.

The names below are this room's front door: callers outside it import from
`orchestration.serve.published`.
"""

from orchestration.serve.published.connection import (
    DEFAULT_LIMITS,
    PublishedFileMissing,
    QueryLimits,
    QueryRefused,
    QueryTimedOut,
    check_query,
    limit_message,
    not_published_yet,
    per_version,
    published,
    published_tables,
    rows,
)
from orchestration.serve.published.csvsafe import (
    FORMULA_PREFIXES,
    csv_safe,
    csv_safe_columns,
    csv_safe_sql,
    records_csv,
)
from orchestration.serve.published.publication import (
    SOURCE_TITLES,
    STATUS_LABELS,
    Source,
    citation,
    publication_info,
    source_named,
    sources,
)
from orchestration.serve.published.queries import (
    LEVEL_LABELS,
    LEVELS,
    MEASURES,
    SINGULAR,
    SMALL_COUNT,
    Jurisdiction,
    fiscal_years,
    jurisdictions,
    other_fiscal_years,
    ranking,
    states,
    table_rows,
    wilson,
    year_rows,
)

__all__ = [
    "DEFAULT_LIMITS",
    "FORMULA_PREFIXES",
    "LEVELS",
    "LEVEL_LABELS",
    "MEASURES",
    "SINGULAR",
    "SMALL_COUNT",
    "SOURCE_TITLES",
    "STATUS_LABELS",
    "Jurisdiction",
    "PublishedFileMissing",
    "QueryLimits",
    "QueryRefused",
    "QueryTimedOut",
    "Source",
    "check_query",
    "citation",
    "csv_safe",
    "csv_safe_columns",
    "csv_safe_sql",
    "fiscal_years",
    "jurisdictions",
    "limit_message",
    "not_published_yet",
    "other_fiscal_years",
    "per_version",
    "publication_info",
    "published",
    "published_tables",
    "ranking",
    "records_csv",
    "rows",
    "source_named",
    "sources",
    "states",
    "table_rows",
    "wilson",
    "year_rows",
]
