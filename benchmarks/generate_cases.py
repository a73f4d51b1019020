"""Synthetic case-level removal records in the ICE FOIA release layout (source `cases`).

    python benchmarks/generate_cases.py --rows 1000000 --out benchmarks/data/cases_1000000.csv

Deterministic (hashes of the row number, no random state), written by DuckDB straight to disk, so
10 million rows take seconds and little memory. Realistic skew: counties are drawn with Zipf
weights (a few large counties hold most rows); about 2% of county cells are redacted
(`b(6), b(7)c`), about 3% of rows carry no threat level and no criminality (UNKNOWN), about 6% are
"2 Pending Criminal Charges". Departed dates span FY2015-FY2020 (or one fiscal year, --fiscal-year).
"""

from __future__ import annotations

import argparse
import csv
from importlib import resources
from pathlib import Path

import addfips
import duckdb
import us

COLUMNS = [
    "Departed Date",
    "Apprehension State",
    "Apprehension County",
    "Case Threat Level",
    "Case Criminality",
    "MSC NCIC Charge",
    "MSC NCIC Charge Code",
    "Final Program",
    "Unique Identifier",
    "Citizenship Country",
]
REDACTED = "b(6), b(7)c"


def counties() -> list[tuple[str, str, float]]:
    """(state name upper case, county name upper case without its suffix, Zipf weight)."""
    data = resources.files(addfips).joinpath("data", "counties_2010.csv")
    first_rows: dict[str, dict[str, str]] = {}
    with data.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):  # later rows of a code are aliases ("Brooklyn Borough")
            first_rows.setdefault(r["statefp"] + r["countyfp"], r)
    # a fixed, scrambled order (Knuth's multiplicative hash) so big counties spread over states
    out: list[tuple[str, str, float]] = []
    rows = sorted(
        first_rows.values(), key=lambda r: (int(r["statefp"] + r["countyfp"]) * 2654435761) % 2**32
    )
    for rank, r in enumerate(rows, start=1):
        state = us.states.lookup(r["statefp"])
        if state is None or state.abbr == "PR":
            continue
        name = r["name"].upper()
        for suffix in (" COUNTY", " PARISH", " BOROUGH", " CENSUS AREA", " MUNICIPALITY"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        out.append((state.name.upper(), name, 1.0 / rank**1.1))
    return out


def generate(rows: int, out: Path, fiscal_year: int | None = None) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("create table counties (state varchar, county varchar, weight double)")
    con.executemany("insert into counties values (?, ?, ?)", counties())
    con.execute("""
        create table picks as
        select state, county, sum(weight) over (order by weight desc, state, county)
                              / sum(weight) over () as upto
        from counties""")
    first_day, days = (
        ("2014-10-01", 6 * 365) if fiscal_year is None else (f"{fiscal_year - 1}-10-01", 365)
    )
    # a record's identifier is unique across files too: a one-year file numbers its own
    id_prefix = "U" if fiscal_year is None else f"U{fiscal_year}-"
    tmp = out.with_name(out.name + ".tmp")
    con.execute(f"""
        copy (
            with base as (
                select i,
                       (hash(i) % 1000000) / 1000000.0 as u_county,
                       hash(i * 7 + 3) % 100 as u_level,
                       hash(i * 13 + 5) % {days} as day,
                       hash(i * 17 + 11) % 100 as u_redact
                from range({rows}) t(i)
            ),
            placed as (
                select base.*, picks.state, picks.county
                from base asof join picks on base.u_county <= picks.upto
            )
            select
                strftime(date '{first_day}' + cast(day as integer), '%m/%d/%Y')
                    as "Departed Date",
                state as "Apprehension State",
                case when u_redact < 2 then '{REDACTED}' else county end
                    as "Apprehension County",
                case when u_level < 18 then '1' when u_level < 30 then '2'
                     when u_level < 58 then '3' else null end as "Case Threat Level",
                case when u_level < 58 then '1 Convicted Criminal'
                     when u_level < 64 then '2 Pending Criminal Charges'
                     when u_level < 97 then '3 Other Immigration Violator'
                     else null end as "Case Criminality",
                case when u_level < 58 then 'DRUGS - POSSESSION' end as "MSC NCIC Charge",
                case when u_level < 58 then '3599' end as "MSC NCIC Charge Code",
                'SC' as "Final Program",
                '{id_prefix}' || lpad(cast(i as varchar), 10, '0') as "Unique Identifier",
                'MEXICO' as "Citizenship Country"
            from placed
            order by i
        ) to '{tmp}' (header true)""")
    con.close()
    tmp.replace(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fiscal-year", type=int, default=None)
    args = parser.parse_args()
    path = generate(args.rows, args.out, args.fiscal_year)
    print(f"wrote {args.rows:,} rows to {path} ({path.stat().st_size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
