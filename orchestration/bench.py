"""`scomm bench --rows N`: the real pipeline on N case records against two baselines.

* pipeline — the same Dagster job and dbt models as `scomm run`, with the N-row file as the
  `cases` source (the other sources at their embedded samples), in a fresh warehouse and a fresh
  process, best of `repeat` runs. data_path_s, the part that grows with N (ingest, validation,
  aggregation, publish), is the time the run's Dagster steps took beyond what the same steps
  took on a 1,000-row file (each the best of `repeat`): measured inside the steps, it is not
  drowned by the start-up jitter of a 25-second process. fixed_s = pipeline_s - data_path_s
  (imports, start-up, dbt parse and the small models).
* duckdb_floor_s — a plain DuckDB SQL script doing the same aggregation (file → counts by state,
  county, fiscal year and severity), timed in-process.
* pandas_s — pandas read_csv + groupby, what an analyst would otherwise write, timed inside a
  child process (so its memory does not count against the pipeline's peak).

Both pipeline runs are `scomm run` in a fresh process, so each pays the cold start a user pays.
The last line printed is one JSON object (see the README of benchmarks/).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestration.paths import REPO_ROOT

BENCH_DATA = REPO_ROOT / "benchmarks" / "data"
FIXED_ROWS = 1_000

FLOOR_SQL = """
select "Apprehension State" as state, "Apprehension County" as county,
       year(d) + case when month(d) >= 10 then 1 else 0 end as fiscal_year,
       case when "Case Threat Level" in ('1', '2', '3') then 'L' || "Case Threat Level"
            when "Case Criminality" = '3 Other Immigration Violator' then 'NC'
            when "Case Criminality" = '2 Pending Criminal Charges' then 'PENDING'
            else 'UNKNOWN' end as severity_level,
       count(*) as n
from (select *, cast(try_strptime("Departed Date", '%m/%d/%Y') as date) as d
      from read_csv(?, header = true, all_varchar = true))
group by all
"""

PANDAS_SCRIPT = r"""
import sys, time, json
import pandas as pd
start = time.perf_counter()
df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
d = pd.to_datetime(df["Departed Date"], format="%m/%d/%Y", errors="coerce")
df["fiscal_year"] = d.dt.year + (d.dt.month >= 10).astype("Int64")
tl, cr = df["Case Threat Level"], df["Case Criminality"]
df["severity_level"] = "UNKNOWN"
df.loc[cr == "2 Pending Criminal Charges", "severity_level"] = "PENDING"
df.loc[cr == "3 Other Immigration Violator", "severity_level"] = "NC"
for level in ("1", "2", "3"):
    df.loc[tl == level, "severity_level"] = "L" + level
out = df.groupby(["Apprehension State", "Apprehension County", "fiscal_year",
                  "severity_level"], dropna=False).size()
elapsed = time.perf_counter() - start
import resource
print(json.dumps({"seconds": elapsed, "groups": len(out),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def case_file(rows: int) -> Path:
    path = BENCH_DATA / f"cases_{rows}.csv"
    if not path.exists():
        sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
        from generate_cases import generate

        generate(rows, path)
    return path


def _timed_run(path: Path) -> tuple[float, dict[str, float], float]:
    """`scomm run --source cases=PATH` in a fresh process and warehouse, as a user runs it:
    (wall seconds, seconds per step, peak RSS in MB of the run and its dbt process)."""
    with tempfile.TemporaryDirectory(prefix="scomm-bench-") as warehouse:
        timings = Path(warehouse) / "steps.json"
        log = Path(warehouse) / "run.log"
        start = time.perf_counter()
        with log.open("w") as out:
            proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "scomm"), "run", "--source",
                 f"cases={path}", "--warehouse", str(Path(warehouse) / "wh"),
                 "--step-timings", str(timings)], stdout=out, stderr=subprocess.STDOUT)
            # wait4: this run's own peak RSS (the largest of it and its dbt process)
            _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"benchmark run on {path} failed:\n{log.read_text()[-3000:]}")
        steps = json.loads(timings.read_text())
    return elapsed, steps, usage.ru_maxrss / 1024


def step_seconds(result) -> dict[str, float]:
    """Seconds per step, from Dagster's STEP_SUCCESS events."""
    return {event.step_key: event.event_specific_data.duration_ms / 1000
            for event in result.all_events if event.event_type_value == "STEP_SUCCESS"}


def is_validation(step_key: str) -> bool:
    return any(s in step_key for s in ("_suite", "codes_known", "resolved", "agree"))


def duckdb_floor(path: Path) -> float:
    import duckdb

    start = time.perf_counter()
    with duckdb.connect() as con:
        con.execute(FLOOR_SQL, [str(path)]).fetchall()
    return time.perf_counter() - start


def pandas_baseline(path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", PANDAS_SCRIPT, str(path)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(rows: int, with_pandas: bool = True, repeat: int = 3) -> dict:
    big, small = case_file(rows), case_file(FIXED_ROWS)
    small_steps_s = min(sum(_timed_run(small)[1].values()) for _ in range(repeat))
    runs = [_timed_run(big) for _ in range(repeat)]
    pipeline_s = min(r[0] for r in runs)
    steps = min((r[1] for r in runs), key=lambda s: sum(s.values()))
    peak_mb = max(r[2] for r in runs)
    data_path_s = max(sum(steps.values()) - small_steps_s, 0.0)
    fixed_s = pipeline_s - data_path_s
    validation_s = sum(v for k, v in steps.items() if is_validation(k))
    floor_s = duckdb_floor(big)
    pandas = pandas_baseline(big) if with_pandas else None
    return {
        "rows": rows,
        "file_mb": round(big.stat().st_size / 1e6, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "validation_s": round(validation_s, 2),
        "validation_share": round(validation_s / pipeline_s, 3),
        "pandas_peak_rss_mb": round(pandas["peak_rss_mb"]) if pandas else None,
        "pipeline_s": round(pipeline_s, 2),
        "data_path_s": round(data_path_s, 2),
        "fixed_s": round(fixed_s, 2),
        "duckdb_floor_s": round(floor_s, 2),
        "pandas_s": round(pandas["seconds"], 2) if pandas else None,
        "ratio_vs_floor": round(data_path_s / floor_s, 2),
        "ratio_vs_pandas": round(data_path_s / pandas["seconds"], 3) if pandas else None,
        "peak_rss_mb": round(peak_mb),
    }
