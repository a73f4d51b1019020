"""The query string: which page a request to `/` is, the explorer's view (bad values fall back
to defaults), and the address of a place's page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import Request

from orchestration.serve.published import MEASURES

# Parameters of the explorer (`/?q=...`): a request with any of them is the explorer's.
EXPLORER_PARAMS = ("q", "state", "fy_from", "fy_to", "measure")


def is_home(params: Mapping[str, str]) -> bool:
    """`/` without the explorer's parameters is the home page (old `/?q=FIPS` links still open
    the jurisdiction view)."""
    return not any(name in params for name in EXPLORER_PARAMS)


def place_url(jurisdiction_id: str) -> str:
    """A place's page: where a click on a county goes."""
    return f"/?q={jurisdiction_id}"


@dataclass(frozen=True)
class View:
    """The current view, from the query string (bad values fall back to defaults)."""

    q: str
    state: str | None
    fy_from: int
    fy_to: int
    measure: str

    @classmethod
    def parse(cls, request: Request, years: list[int], known_states: list[str]) -> View:
        params = request.query_params

        def year(name: str, default: int) -> int:
            try:
                value = int(params.get(name, default))
            except ValueError:
                return default
            return min(max(value, years[0]), years[-1])

        state = params.get("state") or None
        fy_from, fy_to = year("fy_from", years[0]), year("fy_to", years[-1])
        if fy_from > fy_to:
            fy_from, fy_to = fy_to, fy_from
        measure = params.get("measure", "removals")
        return cls(
            q=params.get("q", "").strip(),
            state=state if state in known_states else None,
            fy_from=fy_from,
            fy_to=fy_to,
            measure=measure if measure in MEASURES else "removals",
        )
