"""Shared fixtures: dbt parse once per session, one full pipeline run on the embedded sample."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.defs.dbt import dbt_project, ensure_manifest
from orchestration.paths import SAMPLE_INTEROP
from orchestration.runner import RunReport, execute

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Nothing a test does touches data/warehouse or data/inbox of the checkout."""
    os.environ["SCOMM_WAREHOUSE"] = str(tmp_path_factory.mktemp("default_warehouse"))
    os.environ["SCOMM_INBOX"] = str(tmp_path_factory.mktemp("inbox"))
    yield


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """`dbt parse` once for the session, so the asset graph matches the dbt files under test."""
    return ensure_manifest(dbt_project(), force=True)


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
    """The whole job (ingest → GX → dbt build → GX → publish) on the embedded sample, once."""
    warehouse = tmp_path_factory.mktemp("sample_warehouse")
    report = execute(warehouse, {"interop": SAMPLE_INTEROP})
    return SampleRun(warehouse, report)


def write_variant(tmp_path: Path, name: str, edit) -> Path:
    """A copy of the sample CSV with ``edit(lines) -> lines`` applied (lines without newline)."""
    lines = SAMPLE_INTEROP.read_text(encoding="utf-8").splitlines()
    out = tmp_path / name
    out.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return out


class DashboardServer:
    """The real dashboard app served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, serving_db: Path) -> None:
        import socket
        import threading

        import uvicorn

        from orchestration.serve.dashboard import make_app

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            make_app(serving_db), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> DashboardServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("dashboard did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def dashboard(sample_run: SampleRun) -> Iterator[DashboardServer]:
    with DashboardServer(sample_run.serving) as server:
        yield server


EVIL_NAME = "<script>alert(1)</script>"


def published_with_evil_name(sample_run: SampleRun, tmp_path: Path) -> Path:
    """A copy of the sample's published file in which Loving County TX (48301) is named
    `<script>alert(1)</script>`: what the dashboard must show as text."""
    import shutil

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
