"""The layout is the architecture: each room of the package imports only the rooms below it, and
the readers, the validation runner and the dashboard never import Dagster or the command line.
Checked on every import statement, at module level and inside functions."""

import ast
from pathlib import Path

import pytest

from orchestration.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "orchestration"

# room -> the rooms of orchestration it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "paths": set(),
    "fiscal": {"paths"},
    "faults": set(),
    "ingest": {"paths", "fiscal"},
    "sources": {"paths", "ingest"},
    "validation": {"paths", "faults"},
    # serve reads ingest's name normalization for its search (no Dagster there either)
    "serve": {"paths", "fiscal", "ingest"},
    "defs": {"paths", "fiscal", "faults", "ingest", "sources", "validation"},
    "definitions": {"paths", "defs"},
    # runner starts the run's helper processes, the validation one among them
    "runner": {"paths", "fiscal", "defs", "definitions", "ingest", "serve", "validation"},
    "cli": {"paths", "fiscal", "runner", "sources", "serve", "validation", "benchmarks"},
}
NO_DAGSTER = ("paths", "fiscal", "faults", "ingest", "sources", "validation", "serve")


def room_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            if node.module == "orchestration":  # from orchestration import fiscal
                names += [f"orchestration.{a.name}" for a in node.names]
    return names


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if room_of(p) != "__init__")


def test_every_module_belongs_to_a_known_room():
    assert {room_of(p) for p in MODULES} <= set(ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_rooms(path):
    room = room_of(path)
    for name in imports_of(path):
        top = name.split(".")[0]
        if top == "benchmarks":
            assert "benchmarks" in ALLOWED[room], f"{path}: imports {name}"
        elif top == "orchestration" and name != "orchestration":
            target = name.split(".")[1]
            assert target == room or target in ALLOWED[room], (
                f"{path} ({room}) imports {name}; {room} may import {sorted(ALLOWED[room])}"
            )
        if room in NO_DAGSTER:
            assert top not in ("dagster", "dagster_dbt", "dagster_webserver"), (
                f"{path} ({room}) imports {name}: readers, validation and the dashboard stay "
                "free of Dagster (and of the CLI: see ALLOWED)"
            )


def test_the_rule_catches_a_forbidden_import(tmp_path):
    # the check itself can fail: a reader importing Dagster is reported
    module = tmp_path / "reader.py"
    module.write_text("def f():\n    import dagster\n    from orchestration.cli import main\n")
    assert imports_of(module) == ["dagster", "orchestration.cli"]
