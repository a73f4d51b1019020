"""`/docs`: dbt's documentation site (data dictionary and lineage graph) as `scomm docs` wrote it
into the warehouse (WAREHOUSE/docs/, dictionary/dbt_docs.py).

Only the files that command writes are served, by name: any other path — `..`, an encoded
slash, a file someone left in the folder — is a 404, so nothing outside the site can be read
through it. The site is dbt's own page, the one page of the dashboard with JavaScript; its
Content-Security-Policy lets it load nothing from another host (its manifest and catalog are
inlined, its fonts are data: URLs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from orchestration.dictionary.dbt_docs import FILES, INDEX, STAMP, WAREHOUSE_FOLDER

MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json"}
CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
NOT_GENERATED = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Data dictionary not generated</title><link rel="stylesheet" href="/static/dashboard.css">
</head><body><main id="main"><h1>Data dictionary and lineage: not generated yet</h1>
<p>dbt's documentation of this warehouse has not been written. Generate it with
<code>scomm docs --warehouse WAREHOUSE</code> (or <code>make docs</code>), then reload.</p>
<p><a href="/about">About these data</a></p></main></body></html>"""


def docs_folder(serving_db: Path) -> Path:
    """WAREHOUSE/docs beside WAREHOUSE/marts.duckdb."""
    return serving_db.parent / WAREHOUSE_FOLDER


def generated(serving_db: Path) -> dict[str, Any] | None:
    """What `scomm docs` recorded (generated_at, dbt version, nodes), or None when the site is
    not there."""
    folder = docs_folder(serving_db)
    if not (folder / INDEX).is_file():
        return None
    try:
        return json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"generated_at": None}


def docs(request: Request) -> Response:
    """`/docs`, `/docs/` and `/docs/NAME` for the site's own files; 404 for anything else."""
    name = request.path_params.get("name", "")
    if request.url.path == "/docs":
        return RedirectResponse("/docs/", status_code=308)
    name = name or INDEX
    if name not in FILES:  # a whitelist: no path is ever joined from the request
        return HTMLResponse("no such file in the documentation site", status_code=404)
    path = docs_folder(request.app.state.serving_db) / name
    if not path.is_file():
        if name == INDEX:
            return HTMLResponse(NOT_GENERATED, status_code=404)
        return HTMLResponse("not generated: scomm docs writes it", status_code=404)
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[path.suffix],
        headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"},
    )
