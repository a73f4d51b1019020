"""Asset checks, by the stage they guard: raw tables, name resolution, case loads, marts."""

from orchestration.defs.checks import cases, jurisdictions, marts, raw


def all_checks(suite_marts: list[str]) -> list:
    """Every check of the code location; ``suite_marts`` are the models that declare the GX
    mart suite in dbt."""
    return [*cases.CHECKS, *raw.CHECKS, *jurisdictions.CHECKS, *marts.checks(suite_marts)]
