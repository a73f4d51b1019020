"""Readers for the reference layouts (see ../shared/reference/README.md for the real files).

* population  — Census `co-est2019-alldata.csv`: wide, Latin-1 encoded in the original (Doña Ana
  County is byte 0xF1). Read as UTF-8 when the file is valid UTF-8, else as Latin-1, so a
  re-saved UTF-8 copy reads the same. State rows SUMLEV 040, county rows 050.
* noncitizen  — ACS 5-year non-citizen population as pulled with tidycensus: `""` (row number),
  `year`, `fips` (5-digit, quoted), `noncit_pop`, `moe`. NA means not published (Puerto Rico).
* activations — the Secure Communities county x year Stata panel (`statefips`, `county` as int,
  `year`, `date_secure` missing before activation, `date_statewide_secure`, …).

Like the interop layout, values land in raw tables unchanged (CSV as text; the Stata panel with
its own types) with load metadata; the GX suites and dbt staging type and check them.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from pathlib import Path

import addfips
import duckdb
import pandas as pd

from orchestration.ingest.errors import InputFileError
from orchestration.ingest.raw_tables import (
    LOAD_METADATA_TYPES,
    replace_table,
    with_load_metadata,
    write_raw_text,
)
from orchestration.ingest.readers.csv import ParsedFile, read_layout_csv
from orchestration.ingest.readers.text import sha256_of
from orchestration.ingest.values import ValueRules, check_values, program_days

POPULATION_YEARS = tuple(range(2010, 2020))
POPULATION_COLUMNS: tuple[str, ...] = (
    "sumlev",
    "state",
    "county",
    "stname",
    "ctyname",
    "census2010pop",
    *(f"popestimate{y}" for y in POPULATION_YEARS),
)
NONCITIZEN_COLUMNS: tuple[str, ...] = ("year", "fips", "noncit_pop", "moe")
ACTIVATION_COLUMNS: tuple[str, ...] = (
    "statefips",
    "county",
    "year",
    "date_secure",
    "date_statewide_secure",
)


@cache
def known_county_fips() -> frozenset[str]:
    """Every county FIPS code in the Census county lists of 2000, 2010, 2015 and 2020 (as shipped
    with addfips), so codes renamed in between (46113 -> 46102, 02270 -> 02158) are known."""
    codes: set[str] = set()
    for vintage in (2000, 2010, 2015, 2020):
        data = resources.files(addfips).joinpath("data", f"counties_{vintage}.csv")
        with data.open("r", encoding="utf-8") as f:
            codes |= {r["statefp"] + r["countyfp"] for r in csv.DictReader(f)}
    return frozenset(codes)


def load_raw_population(con: duckdb.DuckDBPyConnection, path: Path, load_id: str) -> ParsedFile:
    parsed = read_layout_csv(
        path, POPULATION_COLUMNS, keep_extra=False, encodings=("utf-8-sig", "latin-1")
    )
    counts = tuple(c for c in POPULATION_COLUMNS if c.startswith(("census", "popestimate")))
    write_raw_text(
        con, "census_population", parsed, POPULATION_COLUMNS, path, load_id, ValueRules(counts)
    )
    return parsed


def load_raw_noncitizen(con: duckdb.DuckDBPyConnection, path: Path, load_id: str) -> ParsedFile:
    parsed = read_layout_csv(path, NONCITIZEN_COLUMNS, keep_extra=False)
    for column in ("noncit_pop", "moe"):  # R writes NA for "not published"
        parsed.rows[column] = parsed.rows[column].where(parsed.rows[column] != "NA", None)
    rules = ValueRules(counts=("noncit_pop", "moe"), years=("year",))
    write_raw_text(con, "acs_noncitizen", parsed, NONCITIZEN_COLUMNS, path, load_id, rules)
    return parsed


def read_activation_panel(path: Path) -> tuple[pd.DataFrame, str]:
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "file not found")
    try:
        frame = pd.read_stata(path, convert_categoricals=False)
    except Exception as exc:  # pandas raises ValueError/struct.error/etc. on non-Stata bytes
        raise InputFileError(path, f"not readable as a Stata .dta file: {exc}") from exc
    missing = [c for c in ACTIVATION_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(
            path,
            f"missing required column(s) {missing}; the file has {list(frame.columns)}",
            column=missing[0],
        )
    if frame.empty:
        raise InputFileError(path, "no rows")
    frame = frame[list(ACTIVATION_COLUMNS)].copy()
    frame["_source_line"] = range(1, len(frame) + 1)  # the observation number in Stata
    check_values(frame, path, activation_rules())
    return frame, sha256_of(path)


def activation_rules() -> ValueRules:
    """Codes are whole numbers that fit bigint (staging casts them), years are the warehouse's,
    activation dates fall in the program's years."""
    days = program_days()
    return ValueRules(
        counts=("statefips", "county"),
        years=("year",),
        dates={"date_secure": days, "date_statewide_secure": days},
    )


ACTIVATION_TYPES = {
    "statefips": "double",
    "county": "double",
    "year": "double",
    "date_secure": "date",
    "date_statewide_secure": "date",
}


def load_raw_activations(con: duckdb.DuckDBPyConnection, path: Path, load_id: str) -> int:
    """The Stata panel keeps its own types (numbers and dates) in raw.sc_activation_panel."""
    frame, sha = read_activation_panel(path)
    return replace_table(
        con,
        "raw.sc_activation_panel",
        with_load_metadata(frame, path, sha, load_id),
        ACTIVATION_TYPES | LOAD_METADATA_TYPES,
        order_by="_source_line",
    )
