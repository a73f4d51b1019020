"""The dashboard: a small Starlette app that renders pages from the published marts.

Why this shape: it must work with no network (no CDN), escape everything that comes from data,
read only the published file, and start with one command. Server-rendered HTML (Jinja2 with
autoescaping) plus inline SVG charts does all four with libraries already in the lock
(starlette, uvicorn, jinja2 come with dagster-webserver and dbt): no JavaScript bundle to ship or
audit, nothing for a browser to fetch but the page and one stylesheet.

This module is the routes: each opens the published file with the same limits as `scomm sql`,
asks a page (pages/) for its context or its CSV records, and turns a missing file or a query
over its time limit into a 503 and a bad parameter into a 400.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from orchestration.serve import docs as docs_site
from orchestration.serve.pages import about as about_page
from orchestration.serve.pages import explorer, home
from orchestration.serve.params import is_home
from orchestration.serve.published import (
    PublishedFileMissing,
    QueryTimedOut,
    publication_info,
    published,
    records_csv,
)

HERE = Path(__file__).parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html", "xml"])
)


def _db(request: Request) -> Path:
    return request.app.state.serving_db


def _csv(records: list[dict[str, Any]], publication: dict | None, filename: str) -> Response:
    """Records as a CSV download: formula-safe, the publication's data status on every row."""
    status = publication["data_status"] if publication else "unknown"
    return Response(
        records_csv(records, status),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def index(request: Request) -> Response:
    """`/`: the home page, or the explorer (and a place's page) when the query has its
    parameters."""
    try:
        with published(_db(request)) as con:  # the same limits as scomm sql (QueryLimits)
            if is_home(request.query_params):
                context = home.context(con, request.query_params)
                template = "home.html"
            else:
                context = explorer.context(con, request)
                template = "explorer.html"
    except (PublishedFileMissing, QueryTimedOut) as exc:
        return PlainTextResponse(str(exc), status_code=503)
    return HTMLResponse(TEMPLATES.get_template(template).render(**context))


def home_csv(request: Request) -> Response:
    """The data behind a home-page view (national, figures, rollout, map) as CSV."""
    try:
        with published(_db(request)) as con:
            filename, records = home.csv_rows(con, request.query_params)
            publication = publication_info(con)
    except PublishedFileMissing as exc:
        return PlainTextResponse(str(exc), status_code=503)
    except ValueError as exc:
        return PlainTextResponse(str(exc), status_code=400)
    return _csv(records, publication, filename)


def about(request: Request) -> Response:
    try:
        with published(_db(request)) as con:
            context = about_page.context(con)
    except PublishedFileMissing as exc:
        return PlainTextResponse(str(exc), status_code=503)
    context["docs"] = docs_site.generated(_db(request))
    return HTMLResponse(TEMPLATES.get_template("about.html").render(**context))


def download(request: Request) -> Response:
    """The data behind the current view as CSV: the jurisdiction, its state and the nation
    by fiscal year (view=jurisdiction) or the ranking table (view=ranking)."""
    try:
        with published(_db(request)) as con:
            context = explorer.context(con, request)
    except (PublishedFileMissing, QueryTimedOut) as exc:
        return PlainTextResponse(str(exc), status_code=503)
    found = explorer.download(context, request.query_params.get("view", "jurisdiction"))
    if found is None:
        return PlainTextResponse("choose one jurisdiction first", status_code=400)
    filename, records = found
    return _csv(records, context["publication"], filename)


def healthz(request: Request) -> Response:
    serving_db = _db(request)
    return PlainTextResponse(
        "ok" if serving_db.exists() else "no published file",
        status_code=200 if serving_db.exists() else 503,
    )


# Responses are gzip-compressed for clients that accept them: the home page's 815 KB (the SVG
# map) goes as 191 KB. Level 4 (measured on that page, benchmarks/README.md): 9.5 ms of CPU;
# level 6 takes 28 ms for 173 KB, Starlette's default 9 takes 100 ms for 167 KB, against a
# 150 ms budget per page. Bodies under 1 KB go as they are. A CSV download is compressed in
# transit only: the bytes a browser saves, and its Content-Disposition, are the same.
COMPRESSION = Middleware(GZipMiddleware, minimum_size=1024, compresslevel=4)


def make_app(serving_db: Path) -> Starlette:
    app = Starlette(
        routes=[
            Route("/", index),
            Route("/about", about),
            Route("/download.csv", download),
            Route("/home.csv", home_csv),
            Route("/healthz", healthz),
            Route("/docs", docs_site.docs),
            Route("/docs/", docs_site.docs),
            Route("/docs/{name}", docs_site.docs),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[COMPRESSION],
    )
    app.state.serving_db = serving_db
    return app


class CannotListen(Exception):
    """The dashboard cannot listen on the host and port asked for: one line saying why."""


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` before the server starts, so that a name that does
    not resolve, an address this machine does not have or a port in use is one line naming
    them (uvicorn logs `[Errno -2] Name or service not known` and exits 3)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise CannotListen(f"cannot listen on {host!r}: the name does not resolve ({exc})") from exc
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        hint = " (another dashboard?); --port chooses another" if exc.errno == 98 else ""
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from exc
    return sock


def serve(serving_db: Path, sock: socket.socket) -> None:
    """Serve the dashboard on ``sock`` (from listen) until Ctrl-C."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(make_app(serving_db), log_level="warning"))
    server.run(sockets=[sock])
