"""Smoke test: the Dagster code location loads and wires what the README promises."""

import dagster as dg

from orchestration.definitions import build_definitions, defs


def test_definitions_load_with_the_whole_graph(dbt_manifest):
    definitions = build_definitions("/nonexistent/never-written")
    keys = {k.to_user_string() for k in definitions.resolve_all_asset_keys()}
    assert {
        "raw/interop_reports",
        "raw/jurisdiction_matches",
        "staging/stg_interop__reports",
        "intermediate/int_interop_reports_differenced",
        "marts/fct_referrals_by_severity",
        "marts/mart_jurisdiction_year",
        "marts/mart_state_year",
        "marts/mart_national_year",
        "marts/dim_jurisdiction",
        "serving/marts",
    } <= keys
    job = definitions.resolve_job_def("scomm_job")
    assert job is not None
    assert definitions.resolve_schedule_def("monthly_refresh").cron_schedule == "0 6 2 * *"
    assert definitions.resolve_sensor_def("inbox_sensor") is not None


def test_blocking_checks_guard_raw_data_and_every_year_mart(dbt_manifest):
    definitions = build_definitions("/nonexistent/never-written")
    checks = {}
    for checks_def in definitions.asset_checks or []:
        for spec in checks_def.check_specs:
            checks[(spec.asset_key.to_user_string(), spec.name)] = spec.blocking
    assert checks[("raw/interop_reports", "interop_raw_suite")] is True
    for mart in ("mart_jurisdiction_year", "mart_state_year", "mart_national_year"):
        assert checks[(f"marts/{mart}", f"{mart}_suite")] is True
    assert (
        checks[("intermediate/int_interop_cumulative_changes", "interop_restatements_suite")]
        is False
    )


def test_lazy_entry_point_returns_definitions(dbt_manifest):
    assert isinstance(defs(), dg.Definitions)


def test_inbox_sensor_requests_a_run_per_new_file(tmp_path, monkeypatch):
    from orchestration.defs.jobs import inbox_sensor

    monkeypatch.setenv("SCOMM_INBOX", str(tmp_path))
    (tmp_path / "interop_2012-03.csv").write_text("state\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    result = inbox_sensor(dg.build_sensor_context())
    assert len(result.run_requests) == 1
    request = result.run_requests[0]
    assert request.run_key.startswith("interop_2012-03.csv:")
    path = request.run_config["ops"]["raw__interop_reports"]["config"]["paths"][0]
    assert path == str((tmp_path / "interop_2012-03.csv").resolve())


def test_dagster_cli_loads_the_code_location_from_pyproject(dbt_manifest, tmp_path):
    """What `dagster dev` does first: find [tool.dagster] and load the definitions."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Validation successful for code location scomm" in result.stderr + result.stdout


def test_cases_are_partitioned_by_fiscal_year_and_the_cases_job_is_the_case_lineage(dbt_manifest):
    definitions = build_definitions("/nonexistent/never-written")
    graph = definitions.resolve_asset_graph()
    for key in (["raw", "cases"], ["raw", "cases_grouped"]):
        partitions = graph.get(dg.AssetKey(key)).partitions_def
        assert partitions.get_partition_keys()[:2] == ["2003", "2004"]
    job = definitions.resolve_job_def("cases_job")
    in_job = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert {
        "raw/cases",
        "raw/cases_grouped",
        "raw/cases_jurisdiction_matches",
        "intermediate/int_case_removals_by_severity",
        "marts/mart_case_removals_year",
        "serving/marts",
    } <= in_job
    assert not in_job & {
        "raw/interop_reports",
        "raw/census_population",
        "intermediate/int_interop_reports_differenced",
    }
    # the scheduled full refresh covers every fiscal year
    request = definitions.resolve_schedule_def("monthly_refresh").evaluate_tick(
        dg.build_schedule_context()
    )
    tags = request.run_requests[0].tags
    assert (
        tags["dagster/asset_partition_range_start"],
        tags["dagster/asset_partition_range_end"],
    ) == ("2003", "2035")


def test_dbt_resource_shortcuts_rest_on_what_they_replace():
    """ScommDbtCliResource skips `dbt --version` and the in-process adapter: the version it
    reports must be the one the dbt executable reports, and the hooks must still exist."""
    import re
    import subprocess

    from dagster_dbt import DbtCliResource

    from orchestration.defs.dbt import ScommDbtCliResource, dbt_executable

    assert hasattr(DbtCliResource, "_cli_version")
    assert hasattr(DbtCliResource, "_initialize_dbt_core_adapter")
    resource = ScommDbtCliResource(
        project_dir=str(dbt_manifest_dir()), dbt_executable=dbt_executable()
    )
    printed = subprocess.run(
        [dbt_executable(), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert str(resource._cli_version) == re.search(r"(\d+\.\d+\.\d+)", printed).group(1)


def dbt_manifest_dir():
    from orchestration.paths import DBT_PROJECT_DIR

    return DBT_PROJECT_DIR
