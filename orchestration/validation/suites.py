"""The stored suites: expectations/NAME.json as written there, and the columns one of their
expectations checks."""

from __future__ import annotations

import json
from typing import Any

from orchestration.paths import EXPECTATIONS_DIR


def load_suite_spec(name: str) -> dict[str, Any]:
    with (EXPECTATIONS_DIR / f"{name}.json").open(encoding="utf-8") as f:
        return json.load(f)


def columns_of(kwargs: dict[str, Any]) -> list[str]:
    """The columns an expectation checks, from its kwargs as stored."""
    cols = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    return cols + list(kwargs.get("column_list", []))
