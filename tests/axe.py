"""axe-core in the browser tests: the accessibility engine from the npm registry (pinned in
tests/browser/package.json and package-lock.json; `make test` runs `npm ci` there), injected
into a Playwright page. Any page's test can call ``assert_accessible(page, "name")``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
OUTPUT = ROOT / "test-output"
BLOCKING = ("serious", "critical")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as loaded (WCAG 2.x A/AA and best practices)."""
    assert AXE.exists(), (
        f"{AXE.relative_to(ROOT)} is missing: `make test` installs it (cd tests/browser && npm ci)"
    )
    page.add_script_tag(path=str(AXE))
    try:
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    finally:  # the dashboard itself has no script: leave none behind
        page.evaluate("() => document.querySelectorAll('script').forEach(s => s.remove())")
    return result["violations"]


def assert_accessible(page: Any, name: str) -> list[dict[str, Any]]:
    """No serious or critical axe-core violation; all violations are written to
    test-output/axe-<name>.json for a person to read. Returns them."""
    violations = axe_violations(page)
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / f"axe-{name}.json").write_text(json.dumps(violations, indent=2), encoding="utf-8")
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    assert not blocking, f"axe-core on {name}:\n" + "\n".join(
        f"  {v['impact']}: {v['id']} ({v['help']}) at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in blocking
    )
    return violations
