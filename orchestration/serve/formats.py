"""How a number reads on a page, in a tooltip or a chart: shared by the charts, the map and the
pages so the same value is never written two ways."""

from __future__ import annotations


def pct(x: float) -> str:
    """A share as a percentage with one decimal: 0.3514 -> "35.1%"."""
    return f"{100 * x:.1f}%"


def count(n: int | float | None) -> str:
    """A count with thousands separators, "—" when not reported (never 0)."""
    return "—" if n is None else f"{int(n):,}"
