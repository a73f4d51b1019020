"""Deterministic generator of the embedded SYNTHETIC sample (see data/README.md).

It imitates ICE's monthly "IDENT/IAFIS Interoperability Statistics" reports in the project's
canonical CSV layout (one row per jurisdiction per report, counts cumulative since activation).
Jurisdiction names and FIPS-resolvable spellings are real; every count is simulated.

    python data/sample/generate.py   # rewrites every file of data/sample/ (see data/README.md)

The simulation runs month by month from each jurisdiction's activation to 2014-09-30:
fingerprint submissions ~ Poisson(size), IDENT matches ~ Binomial(submissions, match rate),
matches split across offense levels by a per-jurisdiction Dirichlet draw around national shares,
removals ~ Binomial(matches, removal rate) split the same way with removal shares. Reports are the
cumulative sums at each fiscal-year end (30 September) plus a few mid-year reports.

On purpose the output also carries the quirks real reports have: spelling variants of one county,
a state-wide agency, a county with single-digit counts, a mid-year report whose removal breakdown
was not published (blank, which is not 0), and one restatement (a cumulative count that goes down).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

from orchestration.ingest.g287 import G287_COLUMNS as G287_LAYOUT
from orchestration.ingest.interop import INTEROP_COLUMNS

SEED = 20110701  # the month the Boston letter was written
HERE = Path(__file__).parent
OUT = HERE / "interop_reports.csv"
END = dt.date(2014, 9, 30)

COLUMNS = list(INTEROP_COLUMNS)  # the canonical layout, as the reader declares it

# National level shares the simulation centres on (IDENT matches, removals): L1, L2, L3, NC.
# Removals: ~21% L1 and ~26% non-criminal, the magnitude of the Oct 2008 - Jun 2010 FOIA figures.
MATCH_SHARES = np.array([0.16, 0.12, 0.30, 0.42])
REMOVAL_SHARES = np.array([0.21, 0.15, 0.38, 0.26])

# (state, name as usually published, activation date, monthly submissions, match rate)
JURISDICTIONS: list[tuple[str, str, str, int, float]] = [
    ("TX", "Harris County", "2008-10-27", 9000, 0.085),
    ("TX", "Dallas County", "2008-11-12", 5200, 0.070),
    ("TX", "Travis County", "2008-11-19", 2600, 0.075),
    ("TX", "Bexar County", "2009-01-07", 4100, 0.060),
    ("TX", "El Paso County", "2009-02-24", 2300, 0.110),
    ("TX", "Hidalgo County", "2009-02-24", 1900, 0.120),
    ("TX", "Tarrant County", "2008-12-09", 3900, 0.055),
    ("TX", "Cameron County", "2009-03-03", 1100, 0.100),
    ("TX", "Webb County", "2009-03-10", 900, 0.110),
    ("TX", "Loving County", "2009-06-16", 3, 0.150),
    ("MA", "Suffolk County", "2008-11-05", 1500, 0.065),
    ("MA", "Middlesex County", "2012-05-15", 1400, 0.035),
    ("MA", "Essex County", "2012-05-15", 1000, 0.040),
    ("MA", "Worcester County", "2012-05-15", 900, 0.030),
    ("MA", "Hampden County", "2012-05-15", 700, 0.025),
    ("MA", "Massachusetts State Police", "2012-05-15", 400, 0.020),
    ("CA", "Los Angeles County", "2009-08-27", 14000, 0.080),
    ("CA", "San Diego County", "2009-05-26", 4200, 0.085),
    ("CA", "Orange County", "2010-03-16", 3600, 0.080),
    ("CA", "Riverside County", "2009-05-19", 3300, 0.070),
    ("CA", "Imperial County", "2009-06-09", 500, 0.130),
    ("CA", "Santa Clara County", "2010-05-11", 2200, 0.060),
    ("CA", "Fresno County", "2010-06-08", 1700, 0.075),
    ("CA", "San Francisco County", "2010-06-08", 1200, 0.040),
    ("AZ", "Maricopa County", "2008-11-05", 7800, 0.090),
    ("AZ", "Pima County", "2009-04-21", 2400, 0.080),
    ("AZ", "Yuma County", "2009-04-21", 500, 0.120),
    ("AZ", "Santa Cruz County", "2009-04-21", 150, 0.140),
    ("AZ", "Arizona Department of Public Safety", "2010-06-22", 600, 0.050),
    ("VA", "Fairfax County", "2009-03-09", 1500, 0.060),
    ("VA", "Prince William County", "2009-03-09", 900, 0.080),
    ("VA", "Arlington County", "2009-03-09", 500, 0.060),
    ("VA", "Richmond city", "2010-06-29", 800, 0.020),
    ("VA", "Richmond County", "2010-06-29", 20, 0.020),
    ("VA", "Alexandria city", "2010-06-29", 400, 0.050),
    ("LA", "Orleans Parish", "2009-12-22", 1800, 0.030),
    ("LA", "Jefferson Parish", "2009-12-22", 1300, 0.050),
    ("LA", "East Baton Rouge Parish", "2010-05-18", 1100, 0.020),
    ("AK", "Anchorage Municipality", "2010-11-30", 700, 0.015),
    ("AK", "Matanuska-Susitna Borough", "2011-03-08", 250, 0.010),
    ("AK", "Fairbanks North Star Borough", "2011-03-08", 250, 0.012),
    ("NM", "Doña Ana County", "2009-07-14", 600, 0.130),
    ("NM", "Bernalillo County", "2010-04-06", 1600, 0.060),
    ("NM", "Santa Fe County", "2010-04-06", 350, 0.060),
    ("IL", "Cook County", "2009-12-15", 6500, 0.045),
    ("IL", "DuPage County", "2009-12-15", 900, 0.040),
    ("IL", "Lake County", "2009-12-15", 800, 0.045),
    ("IL", "Kane County", "2009-12-15", 600, 0.060),
    ("FL", "Miami-Dade County", "2009-02-24", 5600, 0.075),
    ("FL", "Broward County", "2008-12-09", 4300, 0.055),
    ("FL", "Palm Beach County", "2009-02-24", 2700, 0.055),
    ("FL", "Hillsborough County", "2009-05-26", 2900, 0.040),
    ("FL", "Orange County", "2009-05-26", 2500, 0.045),
    ("NY", "Kings County", "2012-05-15", 3800, 0.040),
    ("NY", "Queens County", "2012-05-15", 3300, 0.050),
    ("NY", "Suffolk County", "2011-01-19", 1600, 0.035),
    ("NC", "Wake County", "2008-11-19", 1700, 0.060),
    ("NC", "Mecklenburg County", "2008-11-12", 2300, 0.065),
    ("NC", "Gaston County", "2008-11-12", 500, 0.040),
    ("GA", "Gwinnett County", "2009-12-22", 1700, 0.080),
    ("GA", "Cobb County", "2010-06-15", 1300, 0.060),
    ("GA", "DeKalb County", "2010-06-15", 1200, 0.040),
]

# Mid-year reports: the 31 March 2011 report (removal breakdown not yet published for the
# jurisdictions below) and the 31 March 2012 report (the date of the ACLU of Massachusetts figures).
MID_YEAR = [dt.date(2011, 3, 31), dt.date(2012, 3, 31)]
MID_YEAR_WITHOUT_REMOVAL_LEVELS = {("CA", "Fresno County"), ("LA", "Jefferson Parish")}
# The restatement: Travis County TX's FY2012 report overstated non-criminal removals by this much;
# the FY2013 report is correct again, so its cumulative count goes down.
RESTATED = ("TX", "Travis County", dt.date(2012, 9, 30), 250)


def month_ends(start: dt.date) -> list[dt.date]:
    """Last day of every month from the month of ``start`` through END."""
    out = []
    year, month = start.year, start.month
    while True:
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        last = nxt - dt.timedelta(days=1)
        if last > END:
            return out
        out.append(last)
        year, month = nxt.year, nxt.month


def published_name(state: str, name: str, when: dt.date) -> str:
    """Spelling of the name in the report of date ``when`` (real reports were not consistent)."""
    if (state, name) == ("NM", "Doña Ana County") and when.year % 2 == 1:
        return "Dona Ana County"
    if (state, name) == ("MA", "Suffolk County") and when == dt.date(2012, 3, 31):
        return "Suffolk Co."
    if (state, name) == ("TX", "Hidalgo County") and when == dt.date(2011, 9, 30):
        return "HIDALGO"
    if (state, name) == ("LA", "East Baton Rouge Parish") and when >= dt.date(2013, 9, 30):
        return "E. Baton Rouge Parish"
    return name


def simulate(rng: np.random.Generator, start: dt.date, size: int, match_rate: float):
    """Monthly cumulative counts from activation: dict month_end -> (subs, matches[4], rem[4])."""
    match_shares = rng.dirichlet(MATCH_SHARES * 60)
    removal_shares = rng.dirichlet(REMOVAL_SHARES * 60)
    removal_rate = rng.uniform(0.15, 0.30)
    subs = 0
    matches = np.zeros(4, dtype=np.int64)
    removals = np.zeros(4, dtype=np.int64)
    out = {}
    for i, month in enumerate(month_ends(start)):
        ramp = min(1.0, (i + 1) / 4)  # agencies take a few months to route every booking
        s = int(rng.poisson(size * ramp))
        m = int(rng.binomial(s, match_rate))
        m_levels = rng.multinomial(m, match_shares)
        r = int(rng.binomial(m, removal_rate))
        r_levels = rng.multinomial(r, removal_shares)
        subs += s
        matches += m_levels
        removals += r_levels
        out[month] = (subs, matches.copy(), removals.copy())
    return out


def report_dates(activation: dt.date) -> list[dt.date]:
    fy_ends = [dt.date(y, 9, 30) for y in range(2009, 2015)]
    return sorted(d for d in fy_ends + MID_YEAR if d > activation)


# Counties that are in the reference files (population, non-citizens, activations) but never in the
# interop reports: activated late, after the last report, so states become fully activated.
# (state, name as in the Census file, 5-digit FIPS, activation date)
QUIET_COUNTIES = [
    ("TX", "Brewster County", "48043", "2012-10-09"),
    ("MA", "Barnstable County", "25001", "2012-05-15"),
    ("MA", "Nantucket County", "25019", "2012-05-15"),
    ("VA", "Highland County", "51091", "2011-03-15"),
    ("NM", "Catron County", "35003", "2012-08-14"),
    ("AK", "Nome Census Area", "02180", "2012-09-11"),
    ("LA", "Cameron Parish", "22023", "2011-08-02"),
    ("AZ", "Greenlee County", "04011", "2010-12-14"),
    ("GA", "Taliaferro County", "13265", "2013-01-22"),
]
STATE_FIPS = {
    "TX": "48",
    "MA": "25",
    "CA": "06",
    "AZ": "04",
    "VA": "51",
    "LA": "22",
    "AK": "02",
    "NM": "35",
    "IL": "17",
    "FL": "12",
    "NY": "36",
    "NC": "37",
    "GA": "13",
}
STATE_NAMES = {
    "TX": "Texas",
    "MA": "Massachusetts",
    "CA": "California",
    "AZ": "Arizona",
    "VA": "Virginia",
    "LA": "Louisiana",
    "AK": "Alaska",
    "NM": "New Mexico",
    "IL": "Illinois",
    "FL": "Florida",
    "NY": "New York",
    "NC": "North Carolina",
    "GA": "Georgia",
}


def reference_counties() -> list[tuple[str, str, str, dt.date, int]]:
    """(state, Census name, FIPS, activation, monthly size) of every county in the reference
    samples: the interop jurisdictions that are counties, plus the quiet ones."""
    from addfips import AddFIPS  # the same lookup the pipeline uses, 2010 vintage

    af = AddFIPS(vintage=2010)
    out = []
    for state, name, activation, size, _ in JURISDICTIONS:
        fips = af.get_county_fips(name, state)
        if fips is None:  # state-wide agencies have no county
            continue
        out.append((state, name, fips, dt.date.fromisoformat(activation), size))
    for state, name, fips, activation in QUIET_COUNTIES:
        out.append((state, name, fips, dt.date.fromisoformat(activation), 5))
    return sorted(out, key=lambda c: c[2])


# The 287(g) sample (g287.csv): agencies in the layout of ICE's 287(g) statistics as reshaped by
# the Deportation Data Project, FY2006-FY2013. (state as published, agency, short name, first
# fiscal year with an agreement, yearly persons identified). Every count is simulated.
G287_OUT = HERE / "g287.csv"
G287_COLUMNS = list(G287_LAYOUT)  # the layout as the reader declares it
G287_AGENCIES: list[tuple[str, str, str, int, int]] = [
    ("ARIZONA", "Maricopa County Sheriff Office", "Maricopa Co. Sheriff", 2007, 900),  # sheriff
    ("ARIZONA", "City of Mesa Police Department", "Mesa PD", 2008, 40),  # city police (seed)
    ("ARIZONA", "AZ Department of Public Safety", "Ariz. DPS", 2007, 60),  # state agency
    ("TEXAS", "Harris County Sheriffs Office", "Harris Co. Sheriff", 2008, 1200),  # sheriff
    ("VIRGINIA", "Prince William County Sheriff Office", "PW Co. Sheriff", 2008, 120),
    ("VIRGINIA", "City of Manassas Police Department", "Manassas PD", 2008, 15),  # VA ind. city
    ("TEXAS", "Exampleville Police Department", "Exampleville PD", 2009, 25),  # unresolvable
]
# A figure the release did not give (blank, which is not 0): (agency, fiscal year, column).
G287_BLANKS = {
    ("Harris County Sheriffs Office", 2011, "removed"),
    ("City of Mesa Police Department", 2012, "identified"),
    ("City of Mesa Police Department", 2012, "removed"),
}


def write_g287(rng: np.random.Generator) -> None:
    """One row per agency and fiscal year FY2006-FY2013; blank before the agency's agreement
    (no figure in the release) and in G287_BLANKS; identified ~ Poisson(size) shrinking after
    FY2010, removed ~ Binomial(identified, 55-80%)."""
    from orchestration.fiscal import fiscal_year_start

    rows = []
    for state, agency, short, first, size in G287_AGENCIES:
        for fy in range(2006, 2014):
            identified: int | str = ""
            removed: int | str = ""
            if fy >= first:
                scale = 1.0 if fy <= 2010 else 0.5 ** (fy - 2010)
                identified = int(rng.poisson(size * scale))
                removed = int(rng.binomial(identified, rng.uniform(0.55, 0.8)))
            if (agency, fy, "identified") in G287_BLANKS:
                identified = ""
            if (agency, fy, "removed") in G287_BLANKS:
                removed = ""
            active = any(isinstance(v, int) and v > 0 for v in (identified, removed))
            rows.append(
                {
                    "state": state,
                    "agency": agency,
                    "agency_short": short,
                    "fiscal_year": fy,
                    "fy_start": fiscal_year_start(fy).isoformat(),
                    "fy_end": (fiscal_year_start(fy + 1) - dt.timedelta(days=1)).isoformat(),
                    "identified": identified,
                    "removed": removed,
                    "attests_active": "TRUE" if active else "FALSE",
                    "source_footnote": "FALSE",
                    "latitude": "",
                    "longitude": "",
                    "address": "",
                    "agency_raw": agency,
                    "source": "SYNTHETIC sample (data/sample/generate.py), not ICE figures",
                }
            )
    with G287_OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=G287_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_population(counties, rng: np.random.Generator) -> None:
    """Census co-est2019-alldata layout (subset of its columns), Latin-1 encoded like the
    original: state rows (SUMLEV 040) then county rows (SUMLEV 050)."""
    years = list(range(2010, 2020))
    header = [
        "SUMLEV",
        "REGION",
        "DIVISION",
        "STATE",
        "COUNTY",
        "STNAME",
        "CTYNAME",
        "CENSUS2010POP",
        "ESTIMATESBASE2010",
    ] + [f"POPESTIMATE{y}" for y in years]
    rows = []
    by_state: dict[str, list[list[int]]] = {}
    for state, name, fips, _, size in counties:
        base = int(size * rng.uniform(180, 320)) + int(rng.integers(800, 4000))
        growth = rng.normal(0.008, 0.006)
        series = [int(base * (1 + growth) ** (y - 2010)) for y in years]
        by_state.setdefault(state, []).append([base, *series])
        rows.append(
            ["050", "0", "0", fips[:2], fips[2:], STATE_NAMES[state], name, base, base, *series]
        )
    state_rows = []
    for state, values in sorted(by_state.items(), key=lambda kv: STATE_FIPS[kv[0]]):
        totals = [sum(v[i] for v in values) * 3 for i in range(len(years) + 1)]
        state_rows.append(
            [
                "040",
                "0",
                "0",
                STATE_FIPS[state],
                "000",
                STATE_NAMES[state],
                STATE_NAMES[state],
                totals[0],
                totals[0],
                *totals[1:],
            ]
        )
    with (HERE / "population.csv").open("w", newline="", encoding="latin-1") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(state_rows + rows)


def write_noncitizen(counties, rng: np.random.Generator) -> None:
    """ACS 5-year non-citizen population as pulled with tidycensus: "", year, fips, noncit_pop,
    moe (row number first, every field quoted as in the replication package)."""
    with (HERE / "noncitizen.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        writer.writerow(["", "year", "fips", "noncit_pop", "moe"])
        n = 0
        for _, _, fips, _, size in counties:
            share = rng.uniform(0.01, 0.14) if size > 50 else rng.uniform(0.002, 0.03)
            pop = size * 250
            for year in range(2009, 2019):
                n += 1
                value = int(pop * share * (1 + 0.01 * (year - 2009)))
                moe = int(max(30, value * rng.uniform(0.05, 0.4)))
                writer.writerow([str(n), year, fips, value, moe])


def write_activations(counties) -> None:
    """Secure Communities activation panel (county x calendar year 2006-2021) as in the Stata
    replication file: date_secure missing before the activation year."""
    import pandas as pd

    statewide = {}
    for state, _, _, activation, _ in counties:
        statewide[state] = max(statewide.get(state, activation), activation)
    records = []
    for state, _, fips, activation, _ in counties:
        for year in range(2006, 2022):
            active = year >= activation.year
            records.append(
                {
                    "statefips": int(fips[:2]),
                    "year": float(year),
                    "county": int(fips),
                    "date_secure": pd.Timestamp(activation) if active else pd.NaT,
                    "month_secure": float(activation.month) if active else np.nan,
                    "day_secure": float(activation.day) if active else np.nan,
                    "year_secure": float(activation.year) if active else np.nan,
                    "date_statewide_secure": pd.Timestamp(statewide[state]) if active else pd.NaT,
                    "secure": float(active),
                    "secure_state": float(year >= statewide[state].year),
                }
            )
    frame = pd.DataFrame.from_records(records)
    frame["statefips"] = frame["statefips"].astype("int8")
    frame["county"] = frame["county"].astype("int32")
    frame.to_stata(
        HERE / "activations.dta",
        write_index=False,
        version=118,
        convert_dates={"date_secure": "td", "date_statewide_secure": "td"},
        time_stamp=dt.datetime(2024, 1, 1),
    )


def main() -> None:
    counties = reference_counties()
    ref_rng = np.random.default_rng(SEED + 1)
    write_population(counties, ref_rng)
    write_noncitizen(counties, ref_rng)
    write_activations(counties)
    write_g287(np.random.default_rng(SEED + 287))
    rng = np.random.default_rng(SEED)
    rows = []
    for state, name, activation_s, size, rate in JURISDICTIONS:
        activation = dt.date.fromisoformat(activation_s)
        series = simulate(rng, activation, size, rate)
        mid_year_reporter = (
            rng.random() < 0.4
            or state in {"MA", "NM", "TX"}
            or (state, name) in MID_YEAR_WITHOUT_REMOVAL_LEVELS
        )
        for when in report_dates(activation):
            if when in MID_YEAR and not mid_year_reporter:
                continue
            subs, m, r = series[when]
            r = r.copy()
            if (state, name, when) == RESTATED[:3]:
                r[3] += RESTATED[3]
            row = {
                "state": state,
                "jurisdiction": published_name(state, name, when),
                "activation_date": activation.isoformat(),
                "report_through": when.isoformat(),
                "submissions": subs,
                "matches_l1": m[0],
                "matches_l2": m[1],
                "matches_l3": m[2],
                "matches_nc": m[3],
                "matches_total": int(m.sum()),
                "removals_l1": r[0],
                "removals_l2": r[1],
                "removals_l3": r[2],
                "removals_nc": r[3],
                "removals_total": int(r.sum()),
            }
            if when == MID_YEAR[0] and (state, name) in MID_YEAR_WITHOUT_REMOVAL_LEVELS:
                for level in ("l1", "l2", "l3", "nc"):
                    row[f"removals_{level}"] = ""
            rows.append(row)
    rows.sort(key=lambda r: (r["report_through"], r["state"], r["jurisdiction"]))
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(
        f"wrote {len(rows)} rows for {len(JURISDICTIONS)} jurisdictions to {OUT}, and "
        f"population.csv, noncitizen.csv, activations.dta for {len(counties)} counties, "
        f"g287.csv for {len(G287_AGENCIES)} agencies"
    )


if __name__ == "__main__":
    main()
