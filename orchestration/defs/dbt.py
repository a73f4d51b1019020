"""The dbt project as Dagster assets (dagster-dbt); dbt tests become asset checks."""

import gc
import json
import queue
import sys
import threading
from collections.abc import Generator, Iterator, Mapping
from functools import cached_property, lru_cache
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.defs import dbt_runner
from orchestration.defs.checks.common import SuiteFrame, validate_ahead
from orchestration.defs.partitions import is_full_load
from orchestration.defs.resources import WarehouseResource, release_connections
from orchestration.dictionary.manifest import TableDoc, published_docs
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


def load_manifest(manifest_path: Path) -> dict[str, Any]:
    """The parsed manifest, read once per version of the file (≈40 ms a read): building the
    definitions asks it for the published models, their descriptions and the suites."""
    stat = manifest_path.stat()
    return _load_manifest(manifest_path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _load_manifest(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:  # noqa: ARG001
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def _models(manifest_path: Path) -> list[dict[str, Any]]:
    nodes = load_manifest(manifest_path)["nodes"].values()
    return sorted((n for n in nodes if n["resource_type"] == "model"), key=lambda n: n["name"])


def published_models(manifest_path: Path) -> list[str]:
    """The models dbt declares published (tag `published`): the one list of what the serving
    file holds, read by the publish asset, the checks and the README test."""
    return [n["name"] for n in _models(manifest_path) if "published" in n["tags"]]


def published_descriptions(manifest_path: Path) -> dict[str, TableDoc]:
    """What every published table and column means, from dbt's yml (dictionary/manifest.py):
    the publish step writes it into the published file as comments."""
    return published_docs(load_manifest(manifest_path))


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


def dbt_build(
    context: dg.AssetExecutionContext,
    project: DbtProject,
    args: list[str],
    target: Path,
    log: Path | None = None,
) -> Iterator[Any]:
    """`dbt build ARGS` by dbt's programmatic entry point (dbtRunner) on the parsed manifest —
    in the dbt worker process when `scomm run` started one, else in a thread of this process
    (dbt_runner.py says why) — instead of a second interpreter that imports dbt and parses the
    project again; its results become Dagster events as dagster-dbt makes them from the dbt
    CLI's JSON log (dbt's own text log goes to the run's log file). A subset of the models (a
    partial run) is selected as dagster-dbt selects it. The worker appends dbt's text log to
    ``log`` (the run's log file)."""
    from dagster_dbt.asset_utils import (
        get_manifest_and_translator_from_dbt_assets,
        get_subset_selection_for_context,
    )
    from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

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
    argv = [*args, *selection, *(["--indirect-selection", indirect] if indirect else [])]
    release_connections()  # dbt opens the file (in its worker: another process)
    running = dbt_runner.worker()
    if running is not None:
        # into the run's log file (this process's stdout during a run): the worker appends
        # dbt's own log to the same file
        print(f"dbt build in the worker process {running.pid}", flush=True)
        events = running.build(argv, target, log)
    else:
        events = _build_in_thread(argv, target)
    errors: list[str] = []
    count = 0
    while True:
        try:
            item = next(events)
        except StopIteration as done:
            success, error = done.value
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
    if not success:
        raise RuntimeError(
            "dbt build failed"
            + (f": {error}" if error else "")
            + ("\n" + "\n".join(errors) if errors else "")
        )


def _build_in_thread(argv: list[str], target: Path) -> Generator[dict, None, tuple[bool, str]]:
    """dbt_runner.run_build in a thread of this process, its events handed over as they come;
    returns (success, error)."""
    events: queue.Queue = queue.Queue()

    def build() -> None:
        try:
            outcome = dbt_runner.run_build(argv, target, lambda d: events.put(("event", d)))
            events.put(("done", outcome))
        except BaseException as exc:  # noqa: BLE001  (handed to the asset's thread)
            events.put(("raised", exc))

    # no garbage collection while dbt's threads run: a collection in one of them would
    # finalize Dagster's SQLite connections of this thread there (a logged ProgrammingError)
    gc.collect()
    gc.disable()
    worker = threading.Thread(target=build, name="dbt-build", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = events.get()
            if kind == "raised":
                raise item
            if kind == "done":
                return item
            yield item
    finally:
        worker.join()
        gc.enable()


def build_dbt_assets(
    project: DbtProject, ahead: Mapping[dg.AssetKey, Mapping[str, SuiteFrame]] | None = None
) -> dg.AssetsDefinition:
    """The dbt models as assets; ``ahead``: by model, the GX suites of its checks, started in
    the validation process when the build is done (checks/common.validate_ahead)."""

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
        yield from dbt_build(
            context,
            project,
            [*dbt_runner.RUN_BUILD_ARGS, "--vars", dbt_vars, *full],
            warehouse.dbt_target_dir,
            warehouse.run_log,
        )
        # the suites of the checks after dbt start now, in the validation process, one after
        # another while this process goes through those checks' steps
        validate_ahead(context.run.run_id, ahead or {}, context.selected_asset_keys, warehouse)

    return scomm_dbt_models


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return ScommDbtCliResource(
        project_dir=project,  # type: ignore[arg-type]  # __init__ takes a DbtProject
        dbt_executable=dbt_executable(),
    )
