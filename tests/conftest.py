"""Shared fixtures: dbt parse once per session, one full pipeline run on the embedded sample.

Under pytest-xdist (`-n 2`, the default in pyproject) "once per session" means once for all the
workers together: the first worker that needs the parse or the sample warehouse makes it under a
file lock in the workers' common temporary folder, the others wait for it and then use it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.defs.dbt import dbt_project, ensure_manifest
from orchestration.paths import SAMPLE_INTEROP
from orchestration.run.execute import execute
from orchestration.run.report import RunReport

ROOT = Path(__file__).resolve().parents[1]

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Nothing a test does touches data/warehouse or data/inbox of the checkout."""
    os.environ["SCOMM_WAREHOUSE"] = str(tmp_path_factory.mktemp("default_warehouse"))
    os.environ["SCOMM_INBOX"] = str(tmp_path_factory.mktemp("inbox"))
    yield


def _session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the whole test session shares: the common parent of the xdist workers'
    temporary folders, or the one temporary folder of a run without xdist."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def _session_lock(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """Hold the session-wide lock ``name`` (one worker at a time); yields the session folder."""
    shared = _session_dir(tmp_path_factory)
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield shared
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dbt parse` once for the session, so the asset graph matches the dbt files under test
    (once for all xdist workers: two parses at once would write the same target/ folder)."""
    project = dbt_project()
    with _session_lock(tmp_path_factory, "dbt_parse") as shared:
        done = shared / "dbt_parse.done"
        if not done.exists():
            ensure_manifest(project, force=True)
            done.touch()
    return project.manifest_path


@dataclass(frozen=True)
class SampleRun:
    warehouse: Path
    report: RunReport

    @property
    def serving(self) -> Path:
        return self.warehouse / "marts.duckdb"

    @property
    def build(self) -> Path:
        return self.warehouse / "build.duckdb"


@pytest.fixture(scope="session")
def sample_run(dbt_manifest: Path, tmp_path_factory: pytest.TempPathFactory) -> SampleRun:
    """The whole job (ingest → GX → dbt build → GX → publish) on the embedded sample, once for
    the session (all xdist workers). Read-only: a test that writes to a warehouse, or opens one
    of its databases for writing, works on `sample_copy` instead."""
    with _session_lock(tmp_path_factory, "sample_run") as shared:
        warehouse = shared / "sample_warehouse"
        saved = shared / "sample_run_report.pickle"
        if not saved.exists():
            report = execute(warehouse, {"interop": SAMPLE_INTEROP})
            saved.write_bytes(pickle.dumps(report))
        report = pickle.loads(saved.read_bytes())
    return SampleRun(warehouse, report)


@dataclass(frozen=True)
class DocsWarehouse:
    """A warehouse folder whose marts.duckdb is the sample's publication and whose docs/ is
    dbt's documentation site generated from the sample's build database (scomm docs)."""

    warehouse: Path
    nodes: int
    build_untouched: bool  # the build database's mtime is what it was before

    @property
    def serving(self) -> Path:
        return self.warehouse / "marts.duckdb"

    @property
    def docs(self) -> Path:
        return self.warehouse / "docs"


@pytest.fixture(scope="session")
def docs_warehouse(
    sample_run: SampleRun, tmp_path_factory: pytest.TempPathFactory
) -> DocsWarehouse:
    """dbt docs generated once for the session (all xdist workers): ≈20 s of dbt."""
    from orchestration.dictionary.dbt_docs import generate

    with _session_lock(tmp_path_factory, "docs_site") as shared:
        warehouse = shared / "docs_warehouse"
        saved = shared / "docs_warehouse.pickle"
        if not saved.exists():
            warehouse.mkdir(exist_ok=True)
            (warehouse / "marts.duckdb").unlink(missing_ok=True)
            (warehouse / "marts.duckdb").symlink_to(sample_run.serving.resolve())
            before = sample_run.build.stat().st_mtime_ns
            site = generate(sample_run.build, warehouse / "docs")
            untouched = sample_run.build.stat().st_mtime_ns == before
            saved.write_bytes(pickle.dumps(DocsWarehouse(warehouse, site.nodes, untouched)))
        return pickle.loads(saved.read_bytes())


@pytest.fixture
def sample_copy(sample_run: SampleRun, tmp_path: Path) -> SampleRun:
    """A private copy of the whole sample warehouse (build database, dbt target, published
    versions and the marts.duckdb symlink, which is relative and so points into the copy)."""
    warehouse = tmp_path / "sample_warehouse"
    shutil.copytree(sample_run.warehouse, warehouse, symlinks=True)
    assert not os.path.isabs(os.readlink(warehouse / "marts.duckdb"))
    return SampleRun(warehouse, sample_run.report)


def write_variant(tmp_path: Path, name: str, edit) -> Path:
    """A copy of the sample CSV with ``edit(lines) -> lines`` applied (lines without newline)."""
    lines = SAMPLE_INTEROP.read_text(encoding="utf-8").splitlines()
    out = tmp_path / name
    out.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return out


class DashboardServer:
    """The real dashboard app served by uvicorn on 127.0.0.1 in its own process.

    A process, not a thread: a server thread importing modules lazily (anyio's file
    backend on the first static file) while pytest's assertion rewriter parses a test
    module crashed CPython 3.11's AST constructor once in CI ("recursion depth mismatch").
    """

    def __init__(self, serving_db: Path) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.serving_db = serving_db
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> DashboardServer:
        import time

        import requests

        code = (
            "import sys; from pathlib import Path; "
            "from orchestration.serve.app import listen, serve; "
            "serve(Path(sys.argv[1]), listen('127.0.0.1', int(sys.argv[2])))"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(self.serving_db), str(self.port)],
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"dashboard exited with {self.process.returncode}")
            try:
                requests.get(self.url + "/healthz", timeout=2)
                return self
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    self.process.kill()
                    raise RuntimeError("dashboard did not start within 60 s") from None
                time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def dashboard(sample_run: SampleRun) -> Iterator[DashboardServer]:
    with DashboardServer(sample_run.serving) as server:
        yield server


EVIL_NAME = "<script>alert(1)</script>"


def published_with_evil_name(sample_run: SampleRun, tmp_path: Path) -> Path:
    """A copy of the sample's published file in which Loving County TX (48301) is named
    `<script>alert(1)</script>`: what the dashboard must show as text."""
    import duckdb

    serving = tmp_path / "marts.duckdb"
    shutil.copy(sample_run.serving, serving)
    with duckdb.connect(str(serving)) as con:
        con.execute(
            "update dim_jurisdiction set name = ? where jurisdiction_id = '48301'", [EVIL_NAME]
        )
        con.execute(
            "update mart_jurisdiction_year set jurisdiction_name = ? "
            "where jurisdiction_id = '48301'",
            [EVIL_NAME],
        )
    return serving


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--dist loadgroup`: pytest-xdist 3.8 sends the tests of one `xdist_group` to one worker by
    appending `@group` to their node ids through `item._nodeid`, which pytest 9 no longer reads
    (a node's id is `item._id`), so the groups were silently split and module-scoped runs made
    once per worker. Do the same renaming through `_id` where xdist's did not take effect."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        groups = sorted(
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        )
        if groups and not item.nodeid.endswith("@" + "_".join(groups)):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


# The browser tests (test_browser*.py) drive Debian's Chromium through Playwright: no browser
# download (that fails here). Screenshots land in test-output/ for a person to look at.
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_OUTPUT = ROOT / "test-output"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """One Chromium per browser test module."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), (
        "Chromium is not installed: `make test` installs Debian's chromium "
        "(apt-get install chromium)"
    )
    BROWSER_OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def tmpfs(mount: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``mount`` (a small disk to fill; needs root, which CI
    has: the test is skipped, saying so, elsewhere)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; CI runs as root")
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
