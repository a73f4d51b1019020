"""`scomm bench --rows N`: the real pipeline on N case records against two baselines.

* pipeline — `scomm run --fiscal-year all --source cases=FILE`: the case-record path, the
  same Dagster assets and dbt models as any run (cases_job: the case assets and checks, the
  case models, the marts built on the facts, publish), reloading every fiscal year, in a fresh
  process each time, best of `repeat` runs in one warehouse. The warehouse is first built by a
  full `scomm run --source cases=FILE` (every source; the other ones at their embedded
  samples), reported as full_job_s: it also pays dbt's full parse of a new warehouse and the
  other sources' models and checks. data_path_s, the part that grows with N (ingest,
  validation, aggregation, publish), is the time the run's Dagster steps took beyond what the
  same steps took on a 1,000-row file (each step's best of `repeat`): measured inside the
  steps, it is not drowned by the start-up jitter of the process. fixed_s = pipeline_s -
  data_path_s (imports, start-up, dbt parse and the small models).
* incremental — then, in the same warehouse, `scomm run --fiscal-year 2021 --source
  cases=FY2021_FILE`: one more fiscal year of N/6 records (the full file holds six), the
  partitioned path (cases_job: the new file only, the case models incremental by year). Its
  wall time against the full run's, and its data path (beyond the same incremental run at
  1,000/6 records) against the full run's data path.
* duckdb_floor_s — a plain DuckDB SQL script doing the same aggregation (file → counts by state,
  county, fiscal year and severity), timed in-process.
* pandas_s — pandas read_csv + groupby, what an analyst would otherwise write, timed inside a
  child process (so its memory does not count against the pipeline's peak).
* user runs — sample_run_s, noop_run_s, one_source_run_s and the dbt build peer (user_runs).

Every measured command starts from a small launcher that reports its own wait4 rusage, so each
peak RSS is the command's own (see LAUNCHER).

The last line printed is one JSON object (see the README of benchmarks/).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestration.fiscal import fiscal_year_sql
from orchestration.paths import DBT_PROJECT_DIR, REPO_ROOT

BENCH_DATA = REPO_ROOT / "benchmarks" / "data"
SAMPLE_POPULATION = REPO_ROOT / "data" / "sample" / "population.csv"
FIXED_ROWS = 1_000

FLOOR_SQL = f"""
select "Apprehension State" as state, "Apprehension County" as county,
       {fiscal_year_sql("d")} as fiscal_year,
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
print(json.dumps({"seconds": elapsed, "groups": len(out)}))
"""


NEW_FISCAL_YEAR = 2021  # the generator's full files span FY2015-FY2020
INGEST_STEP = "raw__cases"
FULL_FILE_YEARS = 6


def case_file(rows: int, fiscal_year: int | None = None) -> Path:
    suffix = f"_fy{fiscal_year}" if fiscal_year else ""
    path = BENCH_DATA / f"cases_{rows}{suffix}.csv"
    if not path.exists():
        from benchmarks.generate_cases import generate

        generate(rows, path, fiscal_year=fiscal_year)
    return path


# A small launcher starts each measured run and reads its rusage with wait4. Started straight
# from the bench process, a run would not measure its own peak: Python's subprocess starts the
# child with vfork, and exec() carries the high-water RSS of the memory it replaces (the bench
# process's, after generating data or running a baseline) into the child's ru_maxrss. The
# launcher (`python -S`, ~10 MB) is what the run replaces instead.
LAUNCHER = r"""
import json, os, sys, time
result, log, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(result, "w") as out:
    json.dump({"seconds": seconds, "exit": os.waitstatus_to_exitcode(status),
               "peak_kb": usage.ru_maxrss}, out)
"""


def launch(argv: list[str], log: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run argv from the small launcher: (wall seconds, peak RSS in MB of the process and its
    children — wait4's ru_maxrss of that one child). Output goes to log; a failure raises."""
    result = log.with_name(log.name + ".rusage.json")
    subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, str(result), str(log), *argv],
        check=True,
        env=env,
    )
    measured = json.loads(result.read_text())
    if measured["exit"] != 0:
        raise RuntimeError(f"benchmark command {argv} failed:\n{log.read_text()[-3000:]}")
    return measured["seconds"], measured["peak_kb"] / 1024


def scomm(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "scomm"), *args]


def _timed_run(
    path: Path, warehouse: Path, fiscal_year: int | str | None = None
) -> tuple[float, dict[str, float], float]:
    """`scomm run --source cases=PATH [--fiscal-year Y]` in a fresh process, as a user runs it:
    (wall seconds, seconds per step, peak RSS in MB of the run and its child processes)."""
    timings = warehouse.parent / f"{warehouse.name}-steps.json"
    log = warehouse.parent / f"{warehouse.name}-run.log"
    extra = ["--fiscal-year", str(fiscal_year)] if fiscal_year else []
    argv = scomm("run", "--source", f"cases={path}", *extra, "--warehouse", str(warehouse))
    elapsed, peak_mb = launch([*argv, "--step-timings", str(timings)], log)
    return elapsed, json.loads(timings.read_text()), peak_mb


def _best(runs: list[tuple[float, dict[str, float], float]]) -> tuple[float, dict, float]:
    """Best wall time, each step's best time (less jitter than any one run's), largest peak."""
    steps = {key: min(r[1][key] for r in runs) for key in runs[0][1]}
    return min(r[0] for r in runs), steps, max(r[2] for r in runs)


def _sizes(rows: int, warehouse: Path, repeat: int) -> dict:
    """In one warehouse: a full run of every source (the first, which also pays dbt's full
    parse), case reloads of every fiscal year, then incremental runs of one more year."""
    full_file = case_file(rows)
    new_year = case_file(max(rows // FULL_FILE_YEARS, 1), NEW_FISCAL_YEAR)
    full_job = _timed_run(full_file, warehouse)
    reloads = [_timed_run(full_file, warehouse, "all") for _ in range(repeat)]
    incremental = [_timed_run(new_year, warehouse, NEW_FISCAL_YEAR) for _ in range(repeat)]
    return {
        "full_job": full_job,
        "cases": _best(reloads),
        "incremental": _best(incremental),
        "file": full_file,
    }


def changed_population(out: Path, delta: int) -> Path:
    """The sample population file with one value changed: one county's 2019 estimate (and its
    state's total, so the county and state figures still agree) raised by delta."""
    import csv

    with SAMPLE_POPULATION.open(newline="", encoding="latin-1") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    level, state, value = (header.index(c) for c in ("SUMLEV", "STATE", "POPESTIMATE2019"))
    county = next(r for r in body if r[level] == "050")
    total = next(r for r in body if r[level] == "040" and r[state] == county[state])
    for row in (county, total):
        row[value] = str(int(row[value]) + delta)
    with out.open("w", newline="", encoding="latin-1") as f:  # the Census file's encoding
        ending = "\r\n" if b"\r\n" in SAMPLE_POPULATION.read_bytes() else "\n"
        csv.writer(f, lineterminator=ending).writerows(rows)
    return out


def user_runs(tmp: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """What a user waits for, each the best of `repeat` (seconds, largest peak MB), each
    repetition in a new warehouse: a full `scomm run` of the embedded sample, the same run again
    with nothing changed, a run after one source's file changed (the population sample with one
    value changed, a new change each repetition), and the peer: `dbt build` alone of the same
    dbt project against a copy of the build database the sample run left (its raw tables
    loaded), as the run invokes it (--full-refresh, as a full load does), in its own target
    folder (dbt's parse cache kept between repetitions, as a dbt user's would be)."""
    import shutil

    from orchestration.defs.dbt_runner import RUN_BUILD_ARGS

    times: dict[str, list[tuple[float, float]]] = {
        k: [] for k in ("sample_run", "noop_run", "one_source_run", "dbt_build")
    }
    dbt_target = tmp / "dbt-peer-target"
    for i in range(1, repeat + 1):
        warehouse = tmp / f"user-{i}"
        run = scomm("run", "--warehouse", str(warehouse))
        times["sample_run"].append(launch(run, tmp / f"user-{i}-sample.log"))
        times["noop_run"].append(launch(run, tmp / f"user-{i}-noop.log"))
        population = changed_population(tmp / f"population-{i}.csv", i)
        times["one_source_run"].append(
            launch([*run, "--source", f"population={population}"], tmp / f"user-{i}-one.log")
        )
        # the same path every repetition: dbt's vars (the path) are part of what its partial
        # parse must match, and a dbt user building one project reuses one database
        peer_db = tmp / "dbt-peer" / "build.duckdb"
        peer_db.parent.mkdir(exist_ok=True)
        shutil.copyfile(warehouse / "build.duckdb", peer_db)
        dbt_vars = json.dumps({"build_db": str(peer_db)})
        dbt = [
            str(Path(sys.executable).parent / "dbt"),
            *RUN_BUILD_ARGS,  # `dbt build` as the run invokes it
            "--full-refresh",
            "--vars",
            dbt_vars,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(dbt_target),
            "--log-path",
            str(tmp / "dbt-peer-logs"),
        ]
        times["dbt_build"].append(launch(dbt, tmp / f"dbt-peer-{i}.log"))
        shutil.rmtree(warehouse, ignore_errors=True)
        peer_db.unlink()
    return {k: (min(t for t, _ in v), max(m for _, m in v)) for k, v in times.items()}


def step_seconds(result) -> dict[str, float]:
    """Seconds per step, from Dagster's STEP_SUCCESS events."""
    return {
        event.step_key: event.event_specific_data.duration_ms / 1000
        for event in result.all_events
        if event.event_type_value == "STEP_SUCCESS"
    }


def is_validation(step_key: str) -> bool:
    return any(
        s in step_key for s in ("_suite", "codes_known", "completeness", "resolved", "agree")
    )


def duckdb_floor(path: Path) -> float:
    import duckdb

    start = time.perf_counter()
    with duckdb.connect() as con:
        con.execute(FLOOR_SQL, [str(path)]).fetchall()
    return time.perf_counter() - start


def pandas_baseline(path: Path) -> dict:
    """Seconds (timed inside the child) and peak RSS of the pandas script, started from the
    launcher like the runs: started straight from the bench process, its ru_maxrss would be the
    bench's own high-water mark if that were higher (after generating the file in-process)."""
    with tempfile.TemporaryDirectory(prefix="scomm-bench-pandas-") as tmp:
        log = Path(tmp) / "pandas.log"
        _, peak_mb = launch([sys.executable, "-c", PANDAS_SCRIPT, str(path)], log)
        result = json.loads(log.read_text().strip().splitlines()[-1])
    return {**result, "peak_rss_mb": peak_mb}


def run(rows: int, with_pandas: bool = True, repeat: int = 3, with_user_runs: bool = True) -> dict:
    with tempfile.TemporaryDirectory(prefix="scomm-bench-") as tmp:
        user = user_runs(Path(tmp), repeat) if with_user_runs else None
        small = _sizes(FIXED_ROWS, Path(tmp) / "small", repeat)
        big = _sizes(rows, Path(tmp) / "big", repeat)
    pipeline_s, steps, peak_mb = big["cases"]
    small_steps_s = sum(small["cases"][1].values())
    data_path_s = max(sum(steps.values()) - small_steps_s, 0.0)
    fixed_s = pipeline_s - data_path_s
    incremental_s, incremental_steps, incremental_peak = big["incremental"]
    incremental_data_s = max(
        sum(incremental_steps.values()) - sum(small["incremental"][1].values()), 0.0
    )
    validation_s = sum(v for k, v in steps.items() if is_validation(k))
    floor_s = duckdb_floor(big["file"])
    pandas = pandas_baseline(big["file"]) if with_pandas else None
    # the bench process's own high-water mark: no run's peak may be this figure inherited
    bench_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rows": rows,
        "file_mb": round(big["file"].stat().st_size / 1e6, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "full_job_s": round(big["full_job"][0], 2),
        "full_job_peak_rss_mb": round(big["full_job"][2]),
        "validation_s": round(validation_s, 2),
        "validation_share": round(validation_s / pipeline_s, 3),
        "pandas_peak_rss_mb": round(pandas["peak_rss_mb"]) if pandas else None,
        "incremental_rows": max(rows // FULL_FILE_YEARS, 1),
        "incremental_s": round(incremental_s, 2),
        "incremental_vs_full": round(incremental_s / pipeline_s, 3),
        "incremental_data_path_s": round(incremental_data_s, 2),
        "incremental_data_vs_full": (
            round(incremental_data_s / data_path_s, 3) if data_path_s > 0 else None
        ),
        "incremental_fixed_s": round(incremental_s - incremental_data_s, 2),
        # the step that reads the files: the new year's file only, against every record
        "ingest_s": round(steps.get(INGEST_STEP, 0.0), 2),
        "incremental_ingest_s": round(incremental_steps.get(INGEST_STEP, 0.0), 2),
        "pipeline_s": round(pipeline_s, 2),
        "data_path_s": round(data_path_s, 2),
        "fixed_s": round(fixed_s, 2),
        "duckdb_floor_s": round(floor_s, 2),
        "pandas_s": round(pandas["seconds"], 2) if pandas else None,
        "ratio_vs_floor": round(data_path_s / floor_s, 2),
        "ratio_vs_pandas": round(data_path_s / pandas["seconds"], 3) if pandas else None,
        "peak_rss_mb": round(max(peak_mb, incremental_peak)),
        **{
            f"{k}_s": round(user[k][0], 2) if user else None
            for k in ("sample_run", "noop_run", "one_source_run", "dbt_build")
        },
        "repeat": repeat,
        # each run's own peak (wait4 in the launcher), beside the bench process's own
        "run_peaks_rss_mb": {
            "full_job": round(big["full_job"][2]),
            "pipeline": round(peak_mb),
            "incremental": round(incremental_peak),
            **{k: round(v[1]) for k, v in (user or {}).items()},
        },
        "bench_peak_rss_mb": round(bench_peak_mb),
    }
