"""The real public files in ../shared/reference (present in CI): one run on them, and facts
checked from the files themselves."""

import csv
import hashlib
import re
from collections import defaultdict

import duckdb
import pytest

from orchestration.paths import DBT_PROJECT_DIR
from tests.conftest import REFERENCE_DIR

pytestmark = [
    pytest.mark.skipif(
        not REFERENCE_DIR.is_dir(), reason=f"{REFERENCE_DIR} (the real reference files) is absent"
    ),
    pytest.mark.xdist_group("real_run"),  # one worker, so the module's one run is made once
]


@pytest.fixture(scope="module")
def real_run(dbt_manifest, tmp_path_factory):
    """One run of the `public` profile as a user starts it — `scomm run --profile public
    --mirror ../shared/reference` — the pinned real files (sha256 checked), no synthetic source.
    Yields the printed summary, a read-only connection to the publication and the warehouse."""
    from click.testing import CliRunner

    from orchestration.cli import main

    warehouse = tmp_path_factory.mktemp("real_warehouse")
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--profile",
            "public",
            "--mirror",
            str(REFERENCE_DIR),
            "--cache",
            str(tmp_path_factory.mktemp("cache")),
            "--warehouse",
            str(warehouse),
        ],
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 0 and result.exception is None, result.output[-3000:]
    con = duckdb.connect(str(warehouse / "marts.duckdb"), read_only=True)
    yield output, con, warehouse
    con.close()


def test_the_run_summary_says_what_was_read_and_that_the_data_is_real(real_run):
    output, _, _ = real_run
    assert "Data status of this publication: real" in output
    assert "interop not loaded" in output
    # every arrest and book-in record is held at a county jail or at state level
    arrests, bookins = (
        sum(1 for _ in csv.DictReader((REFERENCE_DIR / name).open(newline="")))
        for name in ("arrests_with_state.csv", "bookins_with_state.csv")
    )
    assert f"case rows: {arrests + bookins:,} read in this load" in output
    assert f"case events (arrests, book-ins) held: {arrests + bookins:,} = " in output
    assert "287(g) agency-year rows: 584 read" in output


def test_the_publication_says_which_sources_are_real_and_which_are_not_loaded(real_run):
    _, con, _ = real_run
    statuses = dict(con.execute("select source, data_status from _publication_sources").fetchall())
    for source in ("population", "noncitizen", "activations", "cases", "figures", "g287"):
        assert statuses[source] == "real", source
    assert statuses["interop"] == "not loaded"
    # a source that is not loaded publishes empty marts, never zeros
    assert con.execute("select count(*) from mart_jurisdiction_year").fetchone() == (0,)
    sha = dict(
        con.execute("select source, sha256[1] from _publication_sources where rows > 0").fetchall()
    )
    assert (
        sha["figures"]
        == hashlib.sha256((REFERENCE_DIR / "published_figures.csv").read_bytes()).hexdigest()
    )


def census_counties() -> dict[str, str]:
    with (REFERENCE_DIR / "co-est2019-alldata.csv").open(encoding="latin-1", newline="") as f:
        return {
            r["STATE"] + r["COUNTY"]: r["CTYNAME"]
            for r in csv.DictReader(f)
            if r["SUMLEV"] == "050"
        }


def test_every_census_county_appears_once_with_its_name_intact(real_run):
    _, con, _ = real_run
    counties = census_counties()
    rows = dict(
        con.execute(
            "select jurisdiction_id, name from dim_jurisdiction where in_population_source"
        ).fetchall()
    )
    assert rows == counties
    assert len(counties) == 3142
    assert rows["35013"] == "Doña Ana County"
    non_ascii = {k: v for k, v in counties.items() if not v.isascii()}
    assert non_ascii and all(rows[k] == v for k, v in non_ascii.items())


def test_rollout_spans_the_whole_program_and_ends_at_full_coverage(real_run):
    _, con, _ = real_run
    first = con.execute(
        "select activation_date::varchar, counties_activated from mart_rollout "
        "order by activation_date limit 1"
    ).fetchone()
    assert first == ("2008-10-27", 1)  # Harris County, TX
    assert con.execute(
        "select jurisdiction_id from dim_jurisdiction where activation_date = '2008-10-27'"
    ).fetchall() == [("48201",)]
    last = con.execute(
        "select activation_date::varchar, counties_activated, counties_total, "
        "states_fully_activated, states_total, population_share_covered "
        "from mart_rollout order by activation_date desc limit 1"
    ).fetchone()
    assert last == ("2013-01-22", 3142, 3142, 51, 51, 1.0)
    # cumulative columns never go down
    assert con.execute("""
        select count(*) from (
          select counties_activated - lag(counties_activated) over (order by activation_date) d,
                 population_share_covered
                   - lag(population_share_covered) over (order by activation_date) p
          from mart_rollout) where d < 0 or p < 0""").fetchone() == (0,)


def test_retired_panel_codes_reach_their_successors(real_run):
    _, con, _ = real_run
    rows = dict(
        con.execute(
            "select jurisdiction_id, panel_county_codes from dim_jurisdiction "
            "where jurisdiction_id in ('46102', '02158', '12086')"
        ).fetchall()
    )
    assert rows == {"46102": "46113", "02158": "02270", "12086": "12025 | 12086"}


def test_unknown_panel_code_is_a_warning_not_a_blocker(real_run):
    output, _, _ = real_run
    assert "WARNING sc_activation_counties_known" in output
    assert "jurisdiction_id='41006'" in output
    assert "FAILED" not in output and "0 blocking" in output


def test_noncitizen_denominators_are_the_real_acs(real_run):
    # the staging model every per-100,000 rate joins on, read from the build database (the
    # interop statistics are not loaded in a public run, so mart_jurisdiction_year is empty)
    _, _, warehouse = real_run
    with (REFERENCE_DIR / "acs_noncitizen_pop_county.csv").open(newline="") as f:
        acs = {(r["fips"], r["year"]): r["noncit_pop"] for r in csv.DictReader(f)}
    build = warehouse / "build.duckdb"
    with duckdb.connect(str(build), read_only=True) as con:
        rows = dict(
            con.execute(
                "select jurisdiction_id || '|' || year, noncitizen_population "
                "from staging.stg_acs__noncitizen where jurisdiction_id in ('25025', '48201')"
            ).fetchall()
        )
    for key in ("25025|2012", "48201|2015"):
        fips, year = key.split("|")
        assert rows[key] == int(acs[(fips, year)])


def figure_rows() -> list[dict[str, str]]:
    with (REFERENCE_DIR / "published_figures.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def is_iso_date(text: str) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def test_every_published_figure_is_published_or_quarantined_with_its_reason(real_run):
    _, con, _ = real_run
    rows = figure_rows()
    usable = [r for r in rows if is_iso_date(r["period_end"])]
    unusable = [r for r in rows if not is_iso_date(r["period_end"])]
    assert len(rows) == 58 and len(unusable) == 3  # Sacramento: "~2009 activation" .. "+1 year"
    assert con.execute("select count(*) from mart_published_figures").fetchone() == (len(usable),)
    quarantined = con.execute(
        "select period_end_published, quarantine_reason, source_line from qa_figures_quarantined "
        "order by source_line"
    ).fetchall()
    assert [q[0] for q in quarantined] == [r["period_end"] for r in unusable]
    assert all(q[1].startswith("period end is not a date") for q in quarantined)
    # values arrive exactly; blank starts stay NULL ("since activation"), never guessed
    published = dict(
        con.execute(
            "select scope || '|' || metric || '|' || period_end, value from mart_published_figures"
        ).fetchall()
    )
    for r in usable:
        assert published[f"{r['scope']}|{r['metric']}|{r['period_end']}"] == int(r["value"])
    blank_starts = sum(1 for r in usable if not r["period_start"])
    assert con.execute(
        "select count(*) from mart_published_figures where period_start is null"
    ).fetchone() == (blank_starts,)
    assert (
        con.execute(
            "select count(*) from mart_published_figures where source_class = 'agency'"
        ).fetchone()[0]
        > 0
    )


def test_rollout_is_reconciled_with_the_jurisdictions_ice_said_were_active(real_run):
    import pandas as pd

    _, con, _ = real_run
    panel = pd.read_stata(REFERENCE_DIR / "securecommunities.dta")
    first = panel.dropna(subset=["date_secure"]).groupby("county")["date_secure"].min()
    # counties of the Census list (the rollout's universe) activated on or before each date; a
    # retired panel code counts for the county that replaced it (seeds/county_fips_changes)
    counties = {int(k) for k in census_counties()}
    changes = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "county_fips_changes.csv", dtype=str)
    successor = {
        int(o): int(n) for o, n in zip(changes["old_fips"], changes["new_fips"], strict=True)
    }
    by_county: dict[int, pd.Timestamp] = {}
    for code, day in first.items():
        county = successor.get(int(code), int(code))
        by_county[county] = min(day, by_county.get(county, day))
    expected = {
        day: sum(1 for c, d in by_county.items() if c in counties and d <= pd.Timestamp(day))
        for day in ("2009-11-12", "2010-09-30", "2011-02-28")
    }
    rows = con.execute(
        "select period_end::varchar, published_value, warehouse_value, difference, comparison "
        "from mart_figures_reconciliation where metric = 'jurisdictions_active' "
        "order by period_end"
    ).fetchall()
    published = {"2009-11-12": 95, "2010-09-30": 658, "2011-02-28": 1123}
    assert [(r[0], r[1]) for r in rows] == list(published.items())
    for day, value, warehouse, difference, comparison in rows:
        assert comparison == "compared"
        assert warehouse == expected[day] and difference == warehouse - value
    # the interoperability statistics are not loaded in this run: those figures say so
    assert con.execute(
        "select distinct comparison from mart_figures_reconciliation "
        "where warehouse_source = 'interop'"
    ).fetchall() == [("not loaded",)]


def test_readers_say_not_loaded_instead_of_showing_zeros(real_run, tmp_path):
    import shutil

    import requests

    from tests.conftest import DashboardServer

    _, _, warehouse = real_run
    # a copy: this module's fixture holds the published file open with another configuration
    copy = tmp_path / "marts.duckdb"
    shutil.copy((warehouse / "marts.duckdb").resolve(), copy)
    with DashboardServer(copy) as server:
        page = requests.get(server.url + "/", timeout=30).text
    assert 'id="not-loaded-banner"' in page and "not zero" in page
    # the agencies' national figures, cited, beside the series (counted here from the CSV)
    national = [
        r
        for r in figure_rows()
        if is_iso_date(r["period_end"]) and not r["scope"].startswith(("SC state", "SC county"))
    ]
    table = page.split('id="published-figures-table"')[1].split("<tbody>")[1].split("</tbody>")[0]
    assert table.count("<tr>") == len(national)  # the home page (with its map) lists them
    assert "https://www.gao.gov/assets/600/593258.txt" in page


def test_home_page_map_renders_every_county_from_the_real_publication(real_run, tmp_path):
    """The home page on the real publication: all 3,142 counties of the atlas drawn, each with
    its real activation date; the interoperability maps say "not loaded" on every county; the
    287(g) map lists the state agencies beside it; the data status is drawn on the map."""
    import html
    import io
    import re
    import shutil

    import requests

    from orchestration import fiscal
    from tests.conftest import DashboardServer
    from tests.test_dashboard_home import counties

    _, con, warehouse = real_run
    copy = tmp_path / "marts.duckdb"
    shutil.copy((warehouse / "marts.duckdb").resolve(), copy)
    with DashboardServer(copy) as server:

        def get(**params):
            response = requests.get(server.url + "/", params=params, timeout=60)
            response.raise_for_status()
            return response.text

        page = get()  # interop is not loaded: the default map is the activation dates
        minor = get(map="minor_removals")
        g287 = get(map="g287_presence", fy=2010)
        map_csv = requests.get(
            server.url + "/home.csv", params={"view": "map", "map": "activation"}, timeout=60
        ).text
    shapes = counties(page)
    assert 'data-measure="activation"' in page and len(shapes) == 3142
    dates = dict(
        con.execute(
            "select jurisdiction_id, activation_date from dim_jurisdiction "
            "where activation_date is not null and kind <> 'state-level'"
        ).fetchall()
    )
    assert set(dates) == set(shapes)  # every county of the atlas has its real date
    for fips in ("25025", "06037", "02016", "51678"):  # incl. the Aleutians and Lexington, VA
        date = dates[fips]
        assert (
            f"activated {date.isoformat()} (FY{fiscal.fiscal_year(date)})" in shapes[fips]["title"]
        )
        assert shapes[fips]["css"].startswith("k")
    legend = page.split('id="map-legend"')[1].split("</div>")[0]
    by_year: dict[int, int] = {}
    for date in dates.values():
        by_year[fiscal.fiscal_year(date)] = by_year.get(fiscal.fiscal_year(date), 0) + 1
    for year, n in by_year.items():
        assert f'FY{year} <span class="legend-count">({n:,})' in legend
    assert re.search(r'class="data-status map-status"[^>]*>Real data: pinned public releases', page)
    # the national series: not loaded, and the shares ICE's own figures give, as diamonds
    chart = html.unescape(page.split('id="national-chart"')[1].split("</svg>")[0])
    figures = dict(
        con.execute(
            "select metric, value from mart_published_figures "
            "where scope = 'ICE-wide FY2013' and metric like 'remov%'"
        ).fetchall()
    )
    share = (figures["removed_level3"] + figures["removed_noncriminal"]) / figures["removals_total"]
    assert f"FY2013, as published: {100 * share:.1f}%" in chart
    assert "Not loaded: the interoperability" in chart
    # the interoperability maps: every county "not loaded", never a colour
    assert {s["css"] for s in counties(minor).values()} == {"nl"}
    assert "Not loaded: ICE IDENT/IAFIS Interoperability Statistics" in minor
    assert "not loaded: the source is not in this publication" in minor
    # 287(g), FY2010: counties with an agency, and the state agencies listed beside the map
    with_agency = {
        r[0]
        for r in con.execute(
            "select jurisdiction_id from mart_287g_jurisdiction_year "
            "where fiscal_year = 2010 and kind <> 'state-level'"
        ).fetchall()
    }
    g287_shapes = counties(g287)
    assert {f for f, s in g287_shapes.items() if s["css"] in ("k0", "k1")} == with_agency
    beside = g287.split('id="off-map"')[1].split("</aside>")[0]
    for (name,) in con.execute(
        "select jurisdiction_name from mart_287g_jurisdiction_year "
        "where fiscal_year = 2010 and kind = 'state-level'"
    ).fetchall():
        assert html.escape(name) in beside
    records = list(csv.DictReader(io.StringIO(map_csv)))
    assert sum(r["on_map"] == "True" for r in records) == 3142
    assert {r["data_status"] for r in records} == {"real"}


def _fiscal_year(iso: str) -> int:
    year, month = int(iso[:4]), int(iso[5:7])
    return year + 1 if month >= 10 else year


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_case_event_state_mart_matches_the_arrest_and_bookin_files(real_run):
    _, con, _ = real_run
    arrests, bookins = _rows("arrests_with_state.csv"), _rows("bookins_with_state.csv")
    assert (len(arrests), len(bookins)) == (32549, 36811)
    # every event is in the state mart, by state as published (AMBIGUOUS, OTHER, NA kept)
    expected: dict[tuple, int] = {}
    for kind, rows, date, method in (
        ("arrest", arrests, "arrest_date", "arrest_method"),
        ("book-in", bookins, "book_in_date", "apprehension_method"),
    ):
        for r in rows:
            key = (r["state"], _fiscal_year(r[date]), kind, r[method])
            expected[key] = expected.get(key, 0) + 1
    got = {
        tuple(k): n
        for *k, n in con.execute(
            "select state, fiscal_year, event_kind, method, events from mart_case_events_state_year"
        ).fetchall()
    }
    assert got == expected
    # arrests from county jails (CAP Local Incarceration), WA, FY2017, with severity counts
    local = [
        r
        for r in arrests
        if r["state"] == "WA"
        and r["arrest_method"] == "CAP Local Incarceration"
        and _fiscal_year(r["arrest_date"]) == 2017
    ]
    no_conviction = sum(r["most_serious_conviction"] == "NA" for r in local)
    row = con.execute("""
        select events, no_conviction_recorded, no_conviction_share, no_conviction_share_low,
               no_conviction_share_high, events_serious + events_other + events_minor,
               convictions_recorded
        from mart_case_events_state_year
        where state = 'WA' and fiscal_year = 2017 and event_kind = 'arrest'
          and method = 'CAP Local Incarceration'""").fetchone()
    assert row[0] == len(local) == 1137 and row[1] == no_conviction
    assert row[2] == pytest.approx(no_conviction / len(local))
    assert row[3] < row[2] < row[4] and row[5] + row[1] == len(local) and row[6] is True


def test_years_without_recorded_convictions_are_unknown_not_no_conviction(real_run):
    output, con, _ = real_run
    # FY2012-2014: every conviction NA in both files (not recorded then), checked from the file
    arrests = _rows("arrests_with_state.csv")
    for fy in (2012, 2013, 2014):
        assert all(
            r["most_serious_conviction"] == "NA"
            for r in arrests
            if _fiscal_year(r["arrest_date"]) == fy
        )
    assert con.execute("""
        select fiscal_year, event_kind from qa_case_conviction_coverage
        where not convictions_recorded order by 1, 2""").fetchall() == [
        (fy, kind) for fy in (2012, 2013, 2014) for kind in ("arrest", "book-in")
    ]
    nulls = con.execute("""
        select count(*), count(no_conviction_share), count(no_conviction_recorded),
               count(minor_share_low)
        from mart_case_events_state_year where fiscal_year between 2012 and 2014""").fetchone()
    assert nulls[0] > 0 and nulls[1:] == (0, 0, 0)
    assert "WARNING case_convictions_recorded" in output
    assert "uwchr_ero_arrests FY2013" in output


def test_case_event_county_mart_places_jails_in_their_county(real_run):
    _, con, _ = real_run
    arrests = _rows("arrests_with_state.csv")
    franklin = sum(
        r["apprehension_landmark"] == "FRANKLIN COUNTY JAIL" and r["state"] == "WA" for r in arrests
    )
    multnomah = sum(
        r["apprehension_landmark"] == "MULTNOMAH COUNTY JAILS (INVERNESS & MCDC)" for r in arrests
    )
    got = dict(
        con.execute("""
            select jurisdiction_id, sum(events) from mart_case_events_county_year
            where event_kind = 'arrest' and jurisdiction_id in ('53021', '41051')
            group by 1""").fetchall()
    )
    # Franklin County WA has no other jail landmark; Multnomah also gets its sheriff's jails
    assert got["53021"] == franklin == 1478
    assert got["41051"] >= multnomah == 1006
    # offices, operations and non-custodial arrests are counted at state level, not dropped
    county, state_level, total = con.execute("""
        select sum(events_in_county), sum(events_state_level), sum(events)
        from mart_case_events_state_year where event_kind = 'arrest'""").fetchone()
    assert county + state_level == total == len(arrests)
    assert (
        county
        == con.execute(
            "select sum(events) from mart_case_events_county_year where event_kind = 'arrest'"
        ).fetchone()[0]
    )
    sea = sum(r["apprehension_landmark"] == "SEA CAP" for r in arrests)
    assert con.execute(
        "select place_class, records from qa_case_places "
        "where published_place = 'SEA CAP' and published_state = 'WA'"
    ).fetchone() == ("office or operation", sea)


def readme_public_queries() -> list[str]:
    import re

    from orchestration.paths import REPO_ROOT

    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sql public\n(.*?)```", text, re.S)


def test_readme_questions_on_real_data_answer_on_the_public_run(real_run):
    _, con, _ = real_run
    queries = readme_public_queries()
    assert len(queries) >= 3
    for query in queries:
        rows = con.execute(query).fetchall()
        assert rows and any(v is not None for v in rows[0]), query
    # the README's claim about Oregon's county-jail share, checked against the answer
    share = dict(((r[0], r[1]), r[4]) for r in con.execute(queries[1]).fetchall() if r[0] == "OR")
    assert share[("OR", 2014)] > 0.75 and share[("OR", 2015)] < 0.15


# --- 287(g) statistics: the mart against counts computed here from the raw CSV ---------------


def g287_rows() -> list[dict[str, str]]:
    with (REFERENCE_DIR / "pre2018-ice-removals-long.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def summed(rows: list[dict[str, str]], column: str) -> int | None:
    """Sum of the figures given; None (NULL) when none of the rows has one: blank is not 0."""
    given = [int(r[column]) for r in rows if r[column] != ""]
    return sum(given) if given else None


def test_287g_every_agency_is_placed_or_quarantined_none_dropped(real_run):
    _, con, _ = real_run
    rows = g287_rows()
    agencies = {(r["state"], r["agency"]) for r in rows}
    assert (len(rows), len(agencies)) == (584, 73)
    placed = con.execute(
        "select fiscal_year, sum(agencies) from mart_287g_jurisdiction_year group by 1"
    ).fetchall()
    quarantined = con.execute(
        "select count(*), coalesce(sum(agency_years), 0) from qa_287g_quarantined_agencies"
    ).fetchone()
    assert sum(n for _, n in placed) + quarantined[1] == len(rows)
    # on the real file every agency is placed (the agency rules and the overrides seed)
    assert quarantined == (0, 0)
    assert dict(placed) == {fy: 73 for fy in range(2006, 2014)}


def test_287g_yearly_totals_match_the_raw_csv(real_run):
    _, con, _ = real_run
    by_year: dict[int, list[dict[str, str]]] = defaultdict(list)
    for r in g287_rows():
        by_year[int(r["fiscal_year"])].append(r)
    expected = {fy: (summed(rs, "identified"), summed(rs, "removed")) for fy, rs in by_year.items()}
    got = {
        fy: (int(i), int(r))
        for fy, i, r in con.execute(
            "select fiscal_year, sum(identified), sum(removed) "
            "from mart_287g_jurisdiction_year group by 1"
        ).fetchall()
    }
    assert got == expected
    assert expected[2009] == (60223, 42487)  # the program's peak year


def test_287g_maricopa_sums_its_three_agencies_and_harris_its_sheriff(real_run):
    _, con, _ = real_run
    rows = g287_rows()
    counties = {
        "04013": {
            "Maricopa County Sheriff Office",
            "City of Mesa Police Department",
            "City of Phoenix Police Department",
        },
        "48201": {"Harris County Sheriffs Office"},
    }
    for fips, names in counties.items():
        mine = [r for r in rows if r["agency"] in names]
        expected = {
            fy: (
                summed([r for r in mine if r["fiscal_year"] == str(fy)], "identified"),
                summed([r for r in mine if r["fiscal_year"] == str(fy)], "removed"),
                len(names),
            )
            for fy in range(2006, 2014)
        }
        got = {
            r[0]: r[1:]
            for r in con.execute(
                "select fiscal_year, identified, removed, agencies "
                "from mart_287g_jurisdiction_year where jurisdiction_id = ?",
                [fips],
            ).fetchall()
        }
        assert got == expected, fips
    maricopa = con.execute(
        "select identified, removed, removed_per_identified from mart_287g_jurisdiction_year "
        "where jurisdiction_id = '04013' and fiscal_year = 2008"
    ).fetchone()
    assert maricopa == (13522, 11841, pytest.approx(11841 / 13522))
    # FY2013: identified 0 -> no ratio; FY2006: no figure at all -> NULL, not 0
    assert con.execute(
        "select fiscal_year, identified, removed, removed_per_identified "
        "from mart_287g_jurisdiction_year where jurisdiction_id = '04013' "
        "and fiscal_year in (2006, 2013) order by 1"
    ).fetchall() == [(2006, None, None, None), (2013, 0, 276, None)]
    assert con.execute(
        "select identified, removed from mart_287g_jurisdiction_year "
        "where jurisdiction_id = '48201' and fiscal_year = 2009"
    ).fetchone() == (8821, 6965)


def test_287g_blanks_stay_null_through_to_the_mart(real_run):
    _, con, _ = real_run
    rows = g287_rows()
    # Hudson County (NJ) corrections is its county's only agency: FY2008 has removals, no
    # identified figure
    (hudson,) = [
        r
        for r in rows
        if r["agency"] == "Hudson County Department of Corrections" and r["fiscal_year"] == "2008"
    ]
    assert (hudson["identified"], hudson["removed"]) == ("", "107")
    assert con.execute(
        "select identified, removed, removed_per_identified, agencies_with_figures "
        "from mart_287g_jurisdiction_year where jurisdiction_id = '34017' and fiscal_year = 2008"
    ).fetchone() == (None, 107, None, 1)
    # as many NULL identified jurisdiction-years as jurisdiction-years whose agencies all had
    # no figure (the mapping read back from the mart's agency list)
    mapping = {
        agency: fips
        for fips, names in con.execute(
            "select distinct jurisdiction_id, agency_names from mart_287g_jurisdiction_year"
        ).fetchall()
        for agency in names.split(" | ")
    }
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        groups[(mapping[r["agency"]], r["fiscal_year"])].append(r)
    for column in ("identified", "removed"):
        blank = sum(1 for rs in groups.values() if summed(rs, column) is None)
        assert blank > 0
        assert con.execute(
            f"select count(*) from mart_287g_jurisdiction_year where {column} is null"
        ).fetchone() == (blank,)


def test_287g_state_agencies_and_cities_land_where_the_rules_say(real_run):
    _, con, _ = real_run
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "select jurisdiction_id, kind, agencies from mart_287g_jurisdiction_year "
            "where fiscal_year = 2010 and jurisdiction_id in "
            "('04000', '12031', '32003', '51683', '51153', '44000')"
        ).fetchall()
    }
    assert rows == {
        "04000": ("state-level", 2),  # AZ Department of Corrections + of Public Safety
        "12031": ("county", 1),  # Jacksonville Sheriff Office -> Duval (consolidated)
        "32003": ("county", 1),  # Las Vegas Metropolitan Police -> Clark
        "51683": ("independent city", 1),  # City of Manassas Police Department
        "51153": ("county", 3),  # Prince William: county police, sheriff, regional jail
        "44000": ("state-level", 1),  # Rhode Island State Police
    }
    # the programs side by side: Harris County, the first Secure Communities activation
    harris = con.execute(
        "select fiscal_year, sc_activation_date::varchar, sc_months_active, g287_removed "
        "from mart_programs_county_year where jurisdiction_id = '48201' "
        "and fiscal_year in (2008, 2009) order by 1"
    ).fetchall()
    assert harris == [(2008, "2008-10-27", 0, None), (2009, "2008-10-27", 12, 6965)]
    assert con.execute(
        "select count(*) from mart_programs_county_year where kind = 'state-level'"
    ).fetchone() == (0,)


def test_287g_rates_per_100k_noncitizens_use_the_real_acs(real_run):
    # Harris County, FY2012: 287(g) removals (summed from the CSV here) over the ACS 5-year
    # non-citizen estimate ending in 2012 (read from the ACS file here)
    _, con, _ = real_run
    removed = summed(
        [r for r in g287_rows() if r["fiscal_year"] == "2012" and "HARRIS" in r["agency"].upper()],
        "removed",
    )
    with (REFERENCE_DIR / "acs_noncitizen_pop_county.csv").open(newline="") as f:
        acs = {(r["fips"], r["year"]): r["noncit_pop"] for r in csv.DictReader(f)}
    noncitizens = int(acs[("48201", "2012")])
    row = con.execute(
        "select g287_removed, noncitizen_population, g287_removed_per_100k_noncitizens "
        "from mart_programs_county_year where jurisdiction_id = '48201' and fiscal_year = 2012"
    ).fetchone()
    assert removed is not None and row[0] == removed
    assert row[1] == noncitizens
    assert row[2] == pytest.approx(removed * 100_000 / noncitizens)
    # the Secure Communities side is not loaded in a public run: NULL, not 0
    assert con.execute(
        "select count(*) from mart_programs_county_year where sc_removals is not null"
    ).fetchone() == (0,)


def test_county_pages_show_what_a_public_run_loaded(real_run, tmp_path):
    """Without the interop statistics the dashboard's years come from the 287(g) statistics and
    the case records: a county page draws 287(g) rates and the jail arrests' minor share, and a
    county with none of them says "no reports"."""
    import shutil

    import requests

    from tests.conftest import DashboardServer

    _, _, warehouse = real_run
    copy = tmp_path / "marts.duckdb"
    shutil.copy((warehouse / "marts.duckdb").resolve(), copy)
    with DashboardServer(copy) as server:
        seattle = requests.get(server.url + "/", params={"q": "Seattle"}, timeout=60).text
        harris = requests.get(server.url + "/", params={"q": "Harris County, TX"}, timeout=60).text
        boston = requests.get(server.url + "/", params={"q": "Boston"}, timeout=60).text
    assert 'id="jurisdiction-name">King County, WA<' in seattle
    assert "Minor share of arrests and book-ins" in seattle and "Real data" in seattle
    assert 'id="table-case-events"' in seattle
    assert "287(g) removals" in harris and 'id="has-287g"' in harris
    # Boston has no interop rows, 287(g) or case records, but what ICE reported for it
    assert 'id="jurisdiction-name">Suffolk County, MA<' in boston
    assert "No reports" not in boston and 'id="table-place-figures"' in boston


# ---------------------------------------------------------------------------------------------
# What ICE reported for single places (data/published/place_figures.csv), checked against counts
# computed here from the file itself


def _figure_rows() -> list[dict[str, str]]:
    from orchestration.paths import PLACE_FIGURES

    with PLACE_FIGURES.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# the two places of the file the normalizer cannot place: Lexington (a consolidated city-county
# not in the city seed) and New York City (five counties)
UNPLACED = {("KY", "Lexington"), ("NY", "New York City")}


def test_every_place_figure_is_published_or_quarantined_as_the_file_says(real_run):
    output, con, _ = real_run
    rows = _figure_rows()
    published = con.execute("select count(*) from mart_place_figures").fetchone()[0]
    quarantined = dict(
        con.execute(
            "select split_part(quarantine_reason, ':', 1), count(*) "
            "from qa_place_figures_quarantined group by 1"
        ).fetchall()
    )
    assert published + sum(quarantined.values()) == len(rows)
    placed = [r for r in rows if (r["state"], r["place"]) not in UNPLACED]
    assert quarantined["place"] == len(rows) - len(placed)
    words = [r for r in placed if not re.search(r"[0-9]", r["value"])]
    assert quarantined["value"] == len(words)
    blank_end = [r for r in placed if re.search(r"[0-9]", r["value"]) and not r["period_end"]]
    assert quarantined["period_end"] == len(blank_end)
    # places with a usable figure, and with a severity breakdown, counted from the file
    usable = [r for r in placed if re.search(r"[0-9]", r["value"]) and r["period_end"]]
    assert published == len(usable)
    ids = con.execute(
        "select count(distinct jurisdiction_id), count(distinct jurisdiction_id) filter "
        "(where severity <> 'total') from mart_place_figures"
    ).fetchone()
    places = {(r["state"], r["place"]) for r in usable}
    broken_down = {(r["state"], r["place"]) for r in usable if not r["metric"].endswith("_total")}
    # several spellings of one place ("Boston" and "Suffolk County") share a jurisdiction
    assert 40 <= ids[0] <= len(places) and 15 <= ids[1] <= len(broken_down)
    assert f"place_figures real {len(rows)} rows" in output
    assert (
        f"place figure rows: {len(rows)} read = {published} published + "
        f"{sum(quarantined.values())} quarantined" in output
    )


def test_boston_from_the_file_to_the_mart_to_its_page(real_run, tmp_path):
    import shutil

    import requests

    from tests.conftest import DashboardServer

    _, con, warehouse = real_run
    row = next(
        r
        for r in _figure_rows()
        if r["place"] == "Boston" and r["metric"] == "removals_total" and r["value"] == "369"
    )
    mart = con.execute(
        "select jurisdiction_id, value_count, unit, quote, source_url, time_basis "
        "from mart_place_figures where place_published = 'Boston' and value_published = '369'"
    ).fetchall()
    assert mart == [
        ("25025", 369, "count", row["quote"], row["source_url"], mart[0][5]),
    ]
    assert "not a fiscal-year flow" in mart[0][5]
    nc = next(
        r
        for r in _figure_rows()
        if r["source_url"] == row["source_url"] and r["metric"] == "removals_nc"
    )
    copy = tmp_path / "marts.duckdb"
    shutil.copy((warehouse / "marts.duckdb").resolve(), copy)
    with DashboardServer(copy) as server:
        page = requests.get(server.url + "/", params={"q": "Boston"}, timeout=60).text
    summary = re.search(r'<div id="place-summary".*?</div>', page, re.S)
    assert summary is not None
    text = re.sub(r"<[^>]+>", "", summary.group(0)).replace("&#39;", "'")
    began = "Secure Communities began sharing fingerprints in Suffolk County on 5 November 2008"
    assert began in text
    reported = f"ICE reported 369 removals from Boston, {nc['value']} with no criminal conviction"
    assert reported in text
    # each number links to its source page
    assert f'<a href="{row["source_url"]}" rel="noopener noreferrer external">369</a>' in page
    assert 'id="table-place-figures"' in page and row["quote"] in page.replace("&#39;", "'")


def test_place_pages_in_a_browser_with_figures_and_without(real_run, browser, tmp_path):
    """Boston: the sentences, the shares drawn as points with their intervals, every figure
    linked to its page; Cook County (no figure compiled): what is known, and no "No reports"."""
    import shutil

    from tests.conftest import BROWSER_OUTPUT, DashboardServer

    _, con, warehouse = real_run
    shares = con.execute(
        "select count(*), count(share_low) from mart_place_figure_shares "
        "where jurisdiction_id = '25025'"
    ).fetchone()
    figures = con.execute(
        "select count(*) from mart_place_figures where jurisdiction_id = '25025'"
    ).fetchone()[0]
    copy = tmp_path / "marts.duckdb"
    shutil.copy((warehouse / "marts.duckdb").resolve(), copy)
    with DashboardServer(copy) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(server.url + "/?q=Boston")
        sentences = page.locator("#place-summary .summary-sentence").all_inner_texts()
        assert sentences[0].startswith("Secure Communities began sharing fingerprints")
        assert any("with no criminal conviction" in s for s in sentences)
        assert page.locator("#place-summary a[href^='http']").count() >= 2
        chart = page.locator("#place-figures svg.figures-chart")
        assert chart.locator("circle").count() == shares[0] + 2  # + the legend's two keys
        assert chart.locator("line[stroke-width='3']").count() == shares[1]  # the intervals
        assert "Real data" in chart.locator("text.data-status").text_content()
        rows = page.locator("#table-place-figures tbody tr")
        assert rows.count() == figures
        assert rows.locator("a[href^='http']").count() == figures
        page.screenshot(path=str(BROWSER_OUTPUT / "place_boston_real.png"), full_page=True)

        page.goto(server.url + "/?q=Cook County, IL")
        assert page.inner_text("#jurisdiction-name") == "Cook County, IL"
        assert page.locator("#no-place-figures").is_visible()
        assert "began sharing fingerprints in Cook County" in page.inner_text("#place-summary")
        assert "No reports" not in page.content()
        assert page.locator("#population").is_visible()
        # Illinois's own figures are shown as the state's, not as Cook County's
        illinois = con.execute(
            "select count(*) from mart_place_figures where jurisdiction_id = '17000'"
        ).fetchone()[0]
        assert illinois and page.locator("#table-state-figures tbody tr").count() == illinois

        page.goto(server.url + "/?map=reported_no_conviction#map-section")
        tips = page.locator("svg.usmap title").all_text_contents()
        suffolk = [t for t in tips if t.startswith("Suffolk County, MA")]
        assert suffolk and "with no conviction, as of 2011-" in suffolk[0]

        page.goto(server.url + "/")
        assert page.locator("#reported-figure svg circle").count() >= 3
        assert page.locator("#reported-table a[href*='#place-figures']").count() >= 1
        context.close()


def test_every_column_holding_null_in_the_real_publication_says_what_null_means(
    real_run, dbt_manifest
):
    """The real files leave other columns blank than the sample does (no interoperability
    statistics, figures without a start, places at state level): each says what NULL means."""
    from orchestration.defs.dbt import published_descriptions
    from tests.test_dictionary import assert_null_is_explained

    _, con, _ = real_run
    assert assert_null_is_explained(con, published_descriptions(dbt_manifest)) > 30
