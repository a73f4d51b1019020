"""Shared fixtures: dbt parse once per session, one full pipeline run on the embedded sample."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.assets_dbt import dbt_project, ensure_manifest
from orchestration.cli import RunReport, execute
from orchestration.paths import SAMPLE_INTEROP

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
