"""The dbt project as Dagster assets (dagster-dbt); dbt tests become asset checks."""

import gc
import json
import os
import queue
import shutil
import sys
import threading
from collections.abc import Iterator, Mapping
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.defs.partitions import is_full_load
from orchestration.defs.resources import WarehouseResource
from orchestration.faults import checkpoint
from orchestration.paths import DBT_PROJECT_DIR


def dbt_executable() -> str:
    """The dbt next to this interpreter: outside an activated venv `dbt` is not on PATH."""
    return str(Path(sys.executable).parent / "dbt")


class ScommDbtCliResource(DbtCliResource):
    """DbtCliResource without two start-up costs this project does not use, ≈5 s of every run
    (measured with cProfile: 2.0 s and 2.8 s, before dbt even starts):

    * dagster-dbt runs `dbt --version` in a subprocess to learn which dbt it will call. Ours is
      the dbt-core installed next to this interpreter, pinned in requirements.lock, so its
      version is read from the package metadata (tests check the two agree).
    * it opens a dbt adapter in-process, which only serves fetch_row_counts() and
      fetch_column_metadata(); we call neither (row counts are published by our own asset).

    Both are private hooks of dagster-dbt 0.29.27; tests fail if an upgrade renames them."""

    @cached_property
    def _cli_version(self):  # noqa: ANN202 (a packaging Version, as in the base class)
        from packaging import version

        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> None:  # type: ignore[override]  # noqa: ARG002
        return None


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest is missing or older than any file of the dbt project."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    root = Path(project.project_dir)
    files = [root / "dbt_project.yml", root / "profiles.yml"]
    for folder in ("models", "seeds", "macros", "tests"):
        files += [p for p in (root / folder).rglob("*") if p.is_file()]
    return any(f.stat().st_mtime > built for f in files if f.exists())


def ensure_manifest(project: DbtProject, force: bool = False) -> Path:
    """`dbt parse` when target/manifest.json is missing or older than the dbt files (so the asset
    graph always matches the models dbt will build), or when ``force``d. `make` does the same
    through its file dependencies; the default DbtProject preparer would look for `dbt` on
    PATH, which is not there outside an activated venv."""
    if force or manifest_is_stale(project):
        ScommDbtCliResource(
            project_dir=project,  # type: ignore[arg-type]  # __init__ takes a DbtProject
            dbt_executable=dbt_executable(),
        ).cli(["parse", "--quiet"], target_path=project.target_path, raise_on_error=True).wait()
    return project.manifest_path


def _models(manifest_path: Path) -> list[dict[str, Any]]:
    with manifest_path.open(encoding="utf-8") as f:
        nodes = json.load(f)["nodes"].values()
    return sorted((n for n in nodes if n["resource_type"] == "model"), key=lambda n: n["name"])


def published_models(manifest_path: Path) -> list[str]:
    """The models dbt declares published (tag `published`): the one list of what the serving
    file holds, read by the publish asset, the checks and the README test."""
    return [n["name"] for n in _models(manifest_path) if "published" in n["tags"]]


def models_with_suite(manifest_path: Path, suite: str) -> list[str]:
    """The models that declare a Great Expectations suite in dbt
    (`config: {meta: {expectation_suite: <suite>}}`)."""
    return [
        n["name"]
        for n in _models(manifest_path)
        if (n["config"].get("meta") or {}).get("expectation_suite") == suite
    ]


class ScommTranslator(DagsterDbtTranslator):
    """Asset keys are [schema, table] as in the build database (marts/mart_jurisdiction_year),
    so Python assets and checks depend on dbt models by the name SQL users see; groups by
    folder."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = (
            manifest.get("nodes", {}).get(unique_id)
            or manifest.get("sources", {}).get(unique_id)
            or {}
        )
        if node.get("resource_type") in ("model", "seed", "snapshot"):
            schema = node.get("config", {}).get("schema") or node.get("schema")
            schema = str(schema)
            spec = spec.replace_attributes(
                key=dg.AssetKey([schema, node["name"]]), group_name=schema
            )
        return spec


# `dbt build` as a run invokes it: dbt's unit tests test the SQL of the models, not the data,
# so they run with the test suite (tests/test_dbt_tests.py), not in every run — as dbt's docs
# advise for production builds
RUN_BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")

# dbt's events that dagster-dbt turns into materializations and check results, plus errors
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
_PARSED: dict[tuple[str, int], Any] = {}  # (partial_parse.msgpack, mtime) -> dbt Manifest


def parsed_manifest(project: DbtProject, target: Path) -> Any:
    """dbt's own Manifest of the project, parsed in this process once per version of the
    project: from the project's partial-parse file (written with target/manifest.json), copied
    into ``target``. The parse sees the profile and vars the project was parsed with (no
    warehouse path), so dbt reuses that file whichever warehouse runs: no full parse per new
    warehouse. The warehouse's database is given to the build only."""
    from dbt.cli.main import dbtRunner

    # the project's own target folder (DbtProject.target_path is relative to the project)
    source = project.manifest_path.parent / "partial_parse.msgpack"
    key = (str(source), source.stat().st_mtime_ns if source.exists() else 0)
    if key not in _PARSED:
        target.mkdir(parents=True, exist_ok=True)
        copy = target / "partial_parse.msgpack"
        if source.exists() and (
            not copy.exists() or copy.stat().st_mtime_ns < source.stat().st_mtime_ns
        ):
            shutil.copy2(source, copy)
        result = dbtRunner().invoke(["parse", *_common_args(project, target), "--quiet"])
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
        _PARSED.clear()
        _PARSED[key] = result.result
    return _PARSED[key]


def _common_args(project: DbtProject, target: Path) -> list[str]:
    """The flags every in-process dbt command gets: the project, its profile, ``target`` for
    its artifacts and log, no manifest JSON written, no anonymous usage statistics."""
    return [
        "--project-dir",
        str(project.project_dir),
        "--profiles-dir",
        str(project.profiles_dir),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
        "--no-write-json",
        "--no-send-anonymous-usage-stats",
    ]


def dbt_build_in_process(
    context: dg.AssetExecutionContext, project: DbtProject, args: list[str], target: Path
) -> Iterator[Any]:
    """`dbt build ARGS` by dbt's programmatic entry point (dbtRunner) in this process, on the
    parsed manifest, instead of a second interpreter that imports dbt and parses the project
    again; its results become Dagster events as dagster-dbt makes them from the dbt CLI's
    JSON log (dbt's own text log goes to stdout, i.e. the run's log file). A subset of the
    models (a partial run) is selected as dagster-dbt selects it."""
    from dagster_dbt.asset_utils import (
        get_manifest_and_translator_from_dbt_assets,
        get_subset_selection_for_context,
    )
    from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    manifest_json, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    selection, indirect = get_subset_selection_for_context(
        context=context,
        manifest=manifest_json,
        select=context.op.tags.get("dagster_dbt/select"),
        exclude=context.op.tags.get("dagster_dbt/exclude"),
        selector=context.op.tags.get("dagster_dbt/selector"),
        dagster_dbt_translator=translator,
        current_dbt_indirect_selection_env=None,
    )
    manifest = parsed_manifest(project, target)
    events: queue.Queue = queue.Queue()
    errors: list[str] = []

    def on_event(event: Any) -> None:
        if event.info.name in RESULT_EVENTS or event.info.level == "error":
            events.put(("event", msg_to_dict(event)))

    def build() -> None:
        try:
            result = dbtRunner(manifest=manifest, callbacks=[on_event]).invoke(
                [
                    *args,
                    *_common_args(project, target),
                    *selection,
                    *(["--indirect-selection", indirect] if indirect else []),
                ]
            )
            events.put(("done", result))
        except BaseException as exc:  # noqa: BLE001  (handed to the asset's thread)
            events.put(("raised", exc))
        finally:
            _close_duckdb()

    # dbt resolves the project's relative paths (seed files) from the working directory, as
    # the dbt CLI does when run in the project folder
    cwd = os.getcwd()
    os.chdir(project.project_dir)
    # no garbage collection while dbt's threads run: a collection in one of them would
    # finalize Dagster's SQLite connections of this thread there (a logged ProgrammingError)
    gc.collect()
    gc.disable()
    worker = threading.Thread(target=build, name="dbt-build", daemon=True)
    worker.start()
    try:
        count = 0
        while True:
            kind, item = events.get()
            if kind == "raised":
                raise item
            if kind == "done":
                break
            if item["info"]["level"] == "error":
                errors.append(item["info"]["msg"])
            message = DbtCoreCliEventMessage(raw_event=item, event_history_metadata={})
            for dagster_event in message.to_default_asset_events(
                manifest=manifest_json,
                dagster_dbt_translator=translator,
                context=context,
                target_path=target,
                project=project,
            ):
                count += 1
                if count == 5:
                    checkpoint("dbt")  # mid-build, with dbt still running
                yield dagster_event
    finally:
        worker.join()
        os.chdir(cwd)
        gc.enable()
    if not item.success:
        raise RuntimeError(
            "dbt build failed"
            + (f": {item.exception}" if item.exception else "")
            + ("\n" + "\n".join(errors) if errors else "")
        )


def _close_duckdb() -> None:
    """Release the build database dbt-duckdb keeps open between invocations, so this process's
    own (read-only) connections and the publish can open it."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            env.close()
        DuckDBConnectionManager._ENV = None


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=ensure_manifest(project),
        project=project,
        dagster_dbt_translator=ScommTranslator(),
        name="scomm_dbt_models",
    )
    def scomm_dbt_models(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[Any]:
        """dbt build (seeds, staging and intermediate views, mart tables, dbt tests and unit
        tests) against the build database of this warehouse; in a partial run, the models
        downstream of the changed sources and their tests."""
        dbt_vars = json.dumps({"build_db": str(warehouse.build_db)})
        # a full load rebuilds the incremental models whole; an incremental load of some fiscal
        # years (cases_job) lets them replace only those years
        full = ["--full-refresh"] if is_full_load(context.run.tags) else []
        yield from dbt_build_in_process(
            context, project, [*RUN_BUILD_ARGS, "--vars", dbt_vars, *full], warehouse.dbt_target_dir
        )

    return scomm_dbt_models


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return ScommDbtCliResource(
        project_dir=project,  # type: ignore[arg-type]  # __init__ takes a DbtProject
        dbt_executable=dbt_executable(),
    )
