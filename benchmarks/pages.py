"""`python -m benchmarks.pages`: how long the dashboard takes to render its pages.

Each page is requested through the dashboard's real ASGI app (routing, the read-only
connection to the published file, the queries, the SVG drawing and the template), in this
process, without a network or a browser: what is measured is the server's time to produce the
page. The atlas is decoded once before timing (as a running server does on its first map).

    python -m benchmarks.pages --warehouse data/warehouse-public --repeat 30

Prints one line per page (median, p90 and best of `repeat` requests' wall time, the median
CPU time of this process per request — all threads, DuckDB's included — and the size of the
page) and, last, one JSON object. On a shared machine the wall time is what a reader waits
under that load; the CPU time is what the page costs, and moves much less with the load.
The target of the dashboard issue: every page under 150 ms on the project's 2-core machine
with the real-data warehouse (all 3,142 counties on the map).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from orchestration.serve.app import make_app
from orchestration.serve.map import geometry
from orchestration.serve.map.measures import MEASURES
from orchestration.serve.published import published

TARGET_MS = 150.0


def request(app, url: str, gzip: bool = False) -> tuple[int, bytes]:
    """One GET through the ASGI app, accepting a gzip-compressed body when ``gzip``; (status,
    body as sent)."""
    parts = urlsplit(url)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")] + ([(b"accept-encoding", b"gzip")] if gzip else []),
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    status: list[int] = []
    body: list[bytes] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    asyncio.run(app(scope, receive, send))
    return status[0], b"".join(body)


def pages(county: str) -> list[tuple[str, str]]:
    """(name, url) of every page measured."""
    out = [("home (default map)", "/")]
    out += [(f"home, map={key}", f"/?map={key}") for key in MEASURES]
    out += [
        (f"county page /?q={county}", f"/?q={county}"),
        ("map CSV (activation)", "/home.csv?view=map&map=activation"),
    ]
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Path("data/warehouse-public"))
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--county", default="25025", help="FIPS of the county page")
    parser.add_argument(
        "--gzip",
        action="store_true",
        help="Request compressed pages (Accept-Encoding: gzip), as browsers do; KB is then the "
        "size sent.",
    )
    args = parser.parse_args(argv)
    serving = args.warehouse / "marts.duckdb"
    if not serving.exists():
        parser.error(f"{serving} does not exist: build it with `make run-public` first")
    app = make_app(serving)
    geometry.atlas()  # decoded once per process, before timing
    with published(serving) as con:
        record = con.execute("select data_status from _publication").fetchone()
    status = record[0] if record else "unknown"
    # what opening the published file costs by itself (every request pays it once)
    connects = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        with published(serving) as con:
            con.execute("select 1").fetchone()
        connects.append(1000 * (time.perf_counter() - start))
    results: list[dict[str, Any]] = []
    for name, url in pages(args.county):
        code, body = request(app, url, args.gzip)  # warm-up (templates, caches)
        if code != 200:
            raise SystemExit(f"{url}: HTTP {code}: {body[:300]!r}")
        times, cpu = [], []
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            request(app, url, args.gzip)
            times.append(1000 * (time.perf_counter() - start))
            cpu.append(1000 * (time.process_time() - start_cpu))
        row: dict[str, Any] = {
            "page": name,
            "url": url,
            "median_ms": round(statistics.median(times), 1),
            "p90_ms": round(percentile(times, 0.9), 1),
            "best_ms": round(min(times), 1),
            "cpu_median_ms": round(statistics.median(cpu), 1),
            "kb": round(len(body) / 1024),
            "map_paths": (gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body).count(
                b'tabindex="-1"><path '
            ),
        }
        results.append(row)
        print(
            f"{name:38} median {row['median_ms']:7.1f} ms  p90 {row['p90_ms']:7.1f}  "
            f"best {row['best_ms']:7.1f}  cpu {row['cpu_median_ms']:7.1f}  {row['kb']:5d} KB"
            + (f"  ({row['map_paths']} county shapes)" if row["map_paths"] else "")
        )
    summary = {
        "warehouse": str(args.warehouse),
        "data_status": status,
        "repeat": args.repeat,
        "gzip": args.gzip,
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}",
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "connect_median_ms": round(statistics.median(connects), 1),
        "slowest_median_ms": max(r["median_ms"] for r in results),
        "target_ms": TARGET_MS,
        "pages": results,
    }
    print(
        f"opening the published file: median {summary['connect_median_ms']} ms of each request; "
        f"load average {summary['load_avg_1m']}; slowest page median "
        f"{summary['slowest_median_ms']} ms (target < {TARGET_MS:.0f} ms)"
    )
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
