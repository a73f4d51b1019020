"""US federal fiscal years, the one Python statement of the rule (dbt's is the `fiscal_year`
macro in dbt_project/macros/fiscal_year.sql): FY N runs 1 October N-1 through 30 September N.

The range of fiscal years the warehouse accepts (case partitions, dbt range tests, the CLI's
--fiscal-year) is read from one place, the `first_fiscal_year`/`last_fiscal_year` vars of
dbt_project/dbt_project.yml.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from orchestration.paths import DBT_PROJECT_DIR


def fiscal_year(date: dt.date) -> int:
    """The fiscal year a date falls in."""
    return date.year + (1 if date.month >= 10 else 0)


def fiscal_year_start(year: int) -> dt.date:
    return dt.date(year - 1, 10, 1)


def fiscal_year_sql(date_expr: str) -> str:
    """The same rule as a DuckDB expression over ``date_expr`` (for SQL written in Python)."""
    return f"(year({date_expr}) + case when month({date_expr}) >= 10 then 1 else 0 end)"


@cache
def fiscal_year_range() -> tuple[int, int]:
    """(first, last) fiscal year the warehouse accepts, from dbt_project.yml's vars."""
    import yaml

    with (DBT_PROJECT_DIR / "dbt_project.yml").open(encoding="utf-8") as f:
        variables = yaml.safe_load(f)["vars"]
    return int(variables["first_fiscal_year"]), int(variables["last_fiscal_year"])


def current_fiscal_year(today: dt.date | None = None) -> int:
    return fiscal_year(today or dt.date.today())
