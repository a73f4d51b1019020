"""What a run executes, decided before anything runs: the job (the full scomm_job, the cases
job for some fiscal years, or a partial job for the sources that changed), the sources it
loads, the sources whose build state it forgets, and the run config and tags it passes.
Which sources changed is decided earlier, by sources/fingerprint.py; this turns that answer
into a Dagster job."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestration.ingest.cases.completeness import Acceptance

PARTIAL_JOB = "scomm_partial"


@dataclass
class RunPlan:
    job: str  # the job's name in the definitions
    sources: dict  # source name -> file(s) this run loads
    rebuilt: set[str] | None  # sources no longer as published once the run starts (None: all)
    extra_jobs: list[Any] = field(default_factory=list)  # jobs added to the definitions
    run_config: dict = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def acceptance_of(reason: str) -> Acceptance:
    """The operator's acceptance of a smaller release (`--accept-smaller REASON`), by the user
    running this process; ValueError when the reason cannot be recorded as given."""
    from orchestration.ingest.cases.completeness import Acceptance, operator, reason_problem

    problem = reason_problem(reason)
    if problem:
        raise ValueError(problem)
    return Acceptance(operator(), reason.strip())


def plan_job(
    sources: dict,
    fiscal_years: tuple[int, int] | None = None,
    only: set[str] | None = None,
    acceptance: Acceptance | None = None,
) -> RunPlan:
    """The job for a full load (neither argument), a case load of ``fiscal_years`` (first,
    last), or a partial run of the sources in ``only``: those sources, their checks,
    everything downstream of them (the dbt models built on them and their tests, the mart
    checks) and the publish; the rest of the build database is reused as it was published.
    ``acceptance`` travels as run tags to the completeness gate and the publication."""
    import dagster as dg

    from orchestration.defs.keys import SERVING
    from orchestration.defs.partitions import fiscal_year_tags
    from orchestration.defs.raw import SOURCE_ASSETS, run_config_for

    if fiscal_years is not None:
        plan = RunPlan("cases_job", sources, {"cases"})
    elif only is not None:
        selection = dg.AssetSelection.assets(*(SOURCE_ASSETS[s].key for s in sorted(only)))
        partial = dg.define_asset_job(
            PARTIAL_JOB, selection=selection.downstream() | dg.AssetSelection.assets(SERVING)
        )
        chosen = {name: files for name, files in sources.items() if name in only}
        plan = RunPlan(PARTIAL_JOB, chosen, set(only), extra_jobs=[partial])
    else:
        plan = RunPlan("scomm_job", sources, None)
    # The summary says what failed and why; Dagster's own console log would add stack traces
    # for expected failures (a blocking check), so only critical messages pass.
    plan.run_config = {
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
        **run_config_for(plan.sources),
    }
    plan.tags = fiscal_year_tags(*(fiscal_years or ()))
    if acceptance is not None:
        plan.tags |= acceptance.tags()
    return plan
