"""What refusing a NUL byte anywhere in a case file costs: the hashing read alone (sha256 only
vs sha256 + NUL scan, .csv and .csv.gz) and a whole load_raw_cases scan with and without the
scan, alternated, best of --repeat. Usage:

    python benchmarks/generate_cases.py --rows 1000000 --out /tmp/cases_1m.csv
    gzip -k -1 /tmp/cases_1m.csv
    python benchmarks/nul_scan.py /tmp/cases_1m.csv /tmp/cases_1m.csv.gz
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from unittest import mock

import duckdb

from orchestration.ingest.cases import scan
from orchestration.ingest.readers.text import sha256_of, sha256_of_text


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for path in args.files:
        print(json.dumps(measure(path, args.repeat)))


def measure(path: Path, repeat: int) -> dict:
    gz = path.name.endswith(".gz")
    result: dict = {"file": str(path), "mb": round(path.stat().st_size / 1e6, 1)}
    result["sha256_s"] = round(best(lambda: sha256_of(path), repeat), 3)
    result["sha256_nul_scan_s"] = round(best(lambda: sha256_of_text(path, gz), repeat), 3)

    def load() -> None:
        scan.load_raw_cases(duckdb.connect(), [path], "bench")

    result["load_with_scan_s"] = round(best(load, repeat), 3)
    with mock.patch.object(scan, "sha256_of_text", lambda p, compressed=False: sha256_of(p)):
        result["load_without_scan_s"] = round(best(load, repeat), 3)
    return result


if __name__ == "__main__":
    main()
