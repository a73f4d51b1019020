"""The dashboard over HTTP: jurisdiction pages, ranking with small counts flagged, CSV of the
current view, escaping of whatever comes from data or the query string, offline assets."""

import csv
import io
import re
import shutil

import duckdb
import pytest
import requests

from orchestration.serve.charts.place import (
    LEVEL_COLORS,
    Bar,
    Point,
    Series,
    line_chart,
    stacked_shares,
)
from orchestration.serve.published import LEVELS
from tests.conftest import EVIL_NAME, DashboardServer, published_with_evil_name


def get(server, path, **params):
    response = requests.get(server.url + path, params=params, timeout=30)
    response.raise_for_status()
    return response


def test_typing_part_of_a_name_lists_each_match_and_a_state_narrows_it(dashboard):
    page = get(dashboard, "/", q="Suffolk").text
    choices = page.split('id="choices"')[1].split("</section>")[0]
    # Suffolk city, VA has case records in the sample: every jurisdiction with reports is found
    assert "jurisdictions match “Suffolk”" in choices
    assert "Suffolk County, MA" in choices and "Suffolk County, NY" in choices
    page = get(dashboard, "/", q="Suffolk", state="MA").text
    assert 'id="jurisdiction-name">Suffolk County, MA<' in page


def test_jurisdiction_page_shows_the_mart_numbers(dashboard, sample_run):
    page = get(dashboard, "/", q="Suffolk County, MA", fy_from=2012, fy_to=2012).text
    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        total, share, low, high = con.execute(
            "select removals_total, minor_share_removals, minor_share_removals_low, "
            "minor_share_removals_high from mart_jurisdiction_year "
            "where jurisdiction_id = '25025' and fiscal_year = 2012"
        ).fetchone()
    row = re.search(
        r'<table class="numbers" id="table-removals">.*?<tr class="jurisdiction-row" '
        r'data-fy="2012">(.*?)</tr>',
        page,
        re.S,
    ).group(1)
    assert f'data-col="removals_total">{total:,}<' in row
    assert f">{100 * share:.1f}%<" in row
    assert f"{100 * low:.1f}–{100 * high:.1f}%" in row
    assert "activated 2008-11-05" in page


def test_ranking_flags_small_denominators_instead_of_ranking_them(dashboard):
    page = get(dashboard, "/", measure="removals", fy_to=2014).text
    ranking = page.split('id="ranking-table"')[1].split("</table>")[0]
    small = page.split('id="small-counts"')[1].split("</table>")[0]
    assert "Loving County" not in ranking and "Loving County" in small
    assert "small count" in small


def test_csv_of_the_current_view(dashboard, sample_run):
    text = get(
        dashboard, "/download.csv", view="jurisdiction", q="25025", fy_from=2011, fy_to=2012
    ).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["level"], r["fiscal_year"]) for r in rows] == [
        ("jurisdiction", "2011"),
        ("jurisdiction", "2012"),
        ("state", "2011"),
        ("state", "2012"),
        ("nation", "2011"),
        ("nation", "2012"),
    ]
    assert rows[1]["removals_total"] == "240" and rows[1]["jurisdiction_name"] == "Suffolk County"
    ranking = list(
        csv.DictReader(
            io.StringIO(
                get(dashboard, "/download.csv", view="ranking", fy_to=2014, state="TX").text
            )
        )
    )
    assert {r["state"] for r in ranking} == {"TX"}
    assert [r["ranked"] for r in ranking if r["jurisdiction_name"] == "Loving County"] == ["False"]


def test_query_text_is_escaped(dashboard):
    page = get(dashboard, "/", q="<script>alert(1)</script>").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_names_from_data_are_escaped(sample_run, tmp_path):
    with DashboardServer(published_with_evil_name(sample_run, tmp_path)) as server:
        page = get(server, "/", q="48301", fy_to=2014).text
    assert EVIL_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_page_loads_nothing_from_other_hosts(dashboard):
    page = get(dashboard, "/", q="25025").text
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
    assert external == []
    assert "<script" not in page  # no JavaScript at all
    css = get(dashboard, "/static/dashboard.css").text
    assert "url(http" not in css and "@import" not in css


def test_no_published_file_is_a_clear_503(tmp_path):
    with DashboardServer(tmp_path / "marts.duckdb") as server:
        response = requests.get(server.url + "/", timeout=10)
    assert response.status_code == 503 and "`scomm run --warehouse" in response.text


def test_severity_colours_run_dark_to_light_from_level_1_to_non_criminal():
    def luminance(hex_color: str) -> float:
        r, g, b = (int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    values = [luminance(LEVEL_COLORS[lv]) for lv in LEVELS]
    assert values == sorted(values) and len(set(values)) == 4
    svg = str(
        stacked_shares(
            "t", "removals", [(2012, [Bar("X", {"l1": 1, "l2": 1, "l3": 1, "nc": 1}, 4)])]
        )
    )
    order = re.findall(r'data-level="(\w+)"', svg)
    assert order == ["l1", "l2", "l3", "nc"]


def test_data_status_is_on_the_page_on_every_chart_and_in_every_csv_row(dashboard):
    page = get(dashboard, "/", q="Suffolk County, MA").text
    assert 'id="synthetic-banner" data-status="synthetic"' in page
    charts = page.count('<svg class="chart"')
    assert charts >= 2
    # drawn inside each chart, so a screenshot keeps it
    assert page.count('class="data-status"') == charts
    assert "SYNTHETIC sample data" in page
    rows = list(
        csv.DictReader(io.StringIO(get(dashboard, "/download.csv", q="Suffolk County, MA").text))
    )
    assert rows and {r["data_status"] for r in rows} == {"synthetic"}
    ranking = list(
        csv.DictReader(io.StringIO(get(dashboard, "/download.csv", view="ranking").text))
    )
    assert ranking and {r["data_status"] for r in ranking} == {"synthetic"}


# --- finding a place ----------------------------------------------------------------------------


def jurisdiction_name(page: str) -> str | None:
    found = re.search(r'id="jurisdiction-name">([^<]*)<', page)
    return found.group(1) if found else None


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Dona Ana", "Doña Ana County, NM"),
        ("dona ana co.", "Doña Ana County, NM"),
        ("DOÑA ANA COUNTY", "Doña Ana County, NM"),
        ("miami dade", "Miami-Dade County, FL"),
        ("Miami-Dade County, FL", "Miami-Dade County, FL"),
        ("prince william co", "Prince William County, VA"),
        ("manassas city", "Manassas city, VA"),
        ("Boston, MA", "Suffolk County, MA"),
    ],
)
def test_search_uses_the_pipelines_name_normalization(dashboard, typed, shown):
    assert jurisdiction_name(get(dashboard, "/", q=typed).text) == shown


def test_a_major_city_finds_its_county_from_the_published_seed(dashboard, sample_run):
    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        assert con.execute(
            "select jurisdiction_id from dim_city_county where city = 'Boston'"
        ).fetchall() == [("25025",)]
    page = get(dashboard, "/", q="Boston").text
    assert jurisdiction_name(page) == "Suffolk County, MA"
    assert "Boston, MA is in Suffolk County, MA" in page
    # New York City spans five counties: each is offered
    page = get(dashboard, "/", q="new york").text
    choices = page.split('id="choices"')[1].split("</section>")[0]
    assert "holds New York, NY" in choices


def test_a_real_county_without_reports_says_so_instead_of_no_match(dashboard, sample_run):
    from orchestration.serve.published import jurisdictions

    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        reporting = {j.jurisdiction_id for j in jurisdictions(con)}
    assert "30001" not in reporting  # Beaverhead County, MT: in the Census list, no reports
    page = get(dashboard, "/", q="Beaverhead").text
    assert 'id="no-reports"' in page and "No reports for Beaverhead County, MT" in page
    assert 'id="no-match"' not in page
    page = get(dashboard, "/", q="Atlantis County").text
    assert 'id="no-match"' in page and "No jurisdiction or city matches" in page


def test_every_city_of_the_seed_is_a_real_county_of_its_state():
    from orchestration.ingest.jurisdictions import county_index
    from orchestration.paths import DBT_PROJECT_DIR
    from orchestration.serve.search import census_counties

    states = {fips: st for fips, _, st in census_counties()}
    with (DBT_PROJECT_DIR / "seeds" / "city_counties.csv").open(encoding="utf-8") as f:
        seed = list(csv.DictReader(f))
    assert len({(r["city"], r["state"]) for r in seed}) >= 50
    for line, r in enumerate(seed, start=2):
        assert r["jurisdiction_id"] in county_index().names, f"line {line}: {r}"
        assert states[r["jurisdiction_id"]] == r["state"], f"line {line}: {r}"


# --- the jurisdiction page compares honestly ------------------------------------------------------


def svgs(page: str) -> list[str]:
    return re.findall(r'<svg class="chart".*?</svg>', page, re.S)


def test_the_state_figure_says_how_many_it_sums_and_is_not_drawn_when_it_is_this_one(
    dashboard, sample_run
):
    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        counts = dict(
            con.execute(
                "select fiscal_year, removals_jurisdictions from mart_state_year where state = 'MA'"
            ).fetchall()
        )
    alone = sorted(fy for fy, n in counts.items() if n == 1)
    others = sorted({n for n in counts.values() if n > 1})
    assert alone and others  # the sample has both kinds of year for MA
    page = get(dashboard, "/", q="Suffolk County, MA").text
    removals_line = next(s for s in svgs(page) if "Minor share of removals" in s)
    drawn = set(map(int, re.findall(r"<title>MA \(state\), FY(\d+)", removals_line)))
    assert drawn == set(counts) - set(alone)
    span = str(others[0]) if len(others) == 1 else f"{others[0]}–{others[-1]}"
    assert f"sums {span} jurisdictions" in removals_line
    assert "not drawn in " + ", ".join(f"FY{fy % 100:02d}" for fy in alone) in page
    # the bars leave the state out in those years too
    removals_bars = next(s for s in svgs(page) if "Removals by offense level" in s)
    assert not re.search(rf"<title>MA, FY{alone[0]},", removals_bars)
    assert re.search(rf"<title>MA, FY{sorted(set(counts) - set(alone))[0]},", removals_bars)


def test_lines_break_at_years_without_a_value():
    points = [
        Point(2009, 0.5),
        Point(2010, 0.6),
        Point(2011, None),
        Point(2012, 0.4),
        Point(2013, 0.45),
    ]
    svg = str(line_chart("t", [Series("X", points)], 2009, 2013, None, "SYNTHETIC"))
    lines = re.findall(r'<polyline points="([^"]*)"', svg)
    assert [len(line.split()) for line in lines] == [2, 2]  # two runs, nothing across 2011
    # a missing year in the rows (not even a NULL) breaks the line the same way
    svg = str(line_chart("t", [Series("X", [points[0], points[3]])], 2009, 2013, None))
    assert re.findall(r"<polyline", svg) == []


def test_a_small_denominator_is_marked_on_the_chart(dashboard, sample_run):
    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        small = con.execute(
            "select fiscal_year, removals_total from mart_jurisdiction_year "
            "where jurisdiction_id = '48301' and removals_total between 1 and 19 "
            "and minor_share_removals is not null order by 1"
        ).fetchall()
    assert small
    page = get(dashboard, "/", q="48301").text
    line = next(s for s in svgs(page) if "Minor share of removals" in s)
    for fy, total in small:
        assert f"n={total}</text>" in line
        assert re.search(rf"FY{fy}: [\d.]+%[^<]*fewer than 20, uncertain</title>", line)
    bars = next(s for s in svgs(page) if "Removals by offense level" in s)
    assert 'class="small-n"' in bars


def test_rates_months_active_activation_and_287g_beside_secure_communities(dashboard, sample_run):
    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        sc = con.execute(
            "select fiscal_year, months_active, removals_per_100k_noncitizens "
            "from mart_jurisdiction_year where jurisdiction_id = '48201' order by 1"
        ).fetchall()
        g287 = con.execute(
            "select fiscal_year, g287_removed from mart_programs_county_year "
            "where jurisdiction_id = '48201' and g287_removed is not null order by 1"
        ).fetchall()
    assert g287
    page = get(dashboard, "/", q="Harris County, TX").text
    assert 'id="has-287g"' in page and "activated 2008-10-27" in page
    table = page.split('id="table-programs"')[1].split("</table>")[0]
    for fy, months, rate in sc:
        row = table.split(f'data-fy="{fy}"')[1].split("</tr>")[0]
        assert f'data-col="months_active">{months}<' in row
        assert f'data-col="removals_per_100k">{rate:,.1f}<' in row
    for fy, removed in g287:
        row = table.split(f'data-fy="{fy}"')[1].split("</tr>")[0]
        assert f'data-col="g287_removed">{removed:,}<' in row
    rates = next(s for s in svgs(page) if "Per 100,000 non-citizen residents" in s)
    assert "287(g) removals" in rates and "SC removals" in rates


def test_the_ranking_sums_the_selected_period_and_its_title_says_which(dashboard, sample_run):
    from orchestration.serve.published import wilson

    page = get(dashboard, "/", measure="removals", fy_from=2012, fy_to=2013).text
    assert (
        'id="ranking-title">Ranking by minor share of removals, FY2012–FY2013 '
        "(counts summed over the period)" in page
    )
    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        minor, total = con.execute(
            "select sum(removals_minor), sum(removals_total) from mart_jurisdiction_year "
            "where jurisdiction_id = '25025' and fiscal_year between 2012 and 2013"
        ).fetchone()
        one_year = con.execute(
            "select removals_minor, removals_total, minor_share_removals_low, "
            "minor_share_removals_high from mart_jurisdiction_year "
            "where jurisdiction_id = '25025' and fiscal_year = 2013"
        ).fetchone()
    table = page.split('id="ranking-table"')[1].split("</table>")[0]
    row = next(r for r in table.split("<tr>") if "Suffolk County</td><td>MA" in r)
    low, high = wilson(minor, total)
    assert f">{total:,}<" in row and f">{100 * minor / total:.1f}%<" in row
    assert f"{100 * low:.1f}–{100 * high:.1f}%" in row
    # over one year the interval is the mart's own (the same Wilson formula as dbt's macro)
    assert wilson(one_year[0], one_year[1]) == pytest.approx(one_year[2:])
    page = get(dashboard, "/", measure="removals", fy_from=2013, fy_to=2013).text
    assert 'id="ranking-title">Ranking by minor share of removals, FY2013<' in page


def test_case_record_views_where_loaded(dashboard, sample_run, tmp_path):
    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        fy, total = con.execute(
            "select fiscal_year, removals_total from mart_case_removals_year "
            "where jurisdiction_id = '01001' order by 1 limit 1"
        ).fetchone()
    page = get(dashboard, "/", q="Autauga").text
    assert jurisdiction_name(page) == "Autauga County, AL" and 'id="no-interop"' in page
    table = page.split('id="table-case-removals"')[1].split("</table>")[0]
    assert f'data-fy="{fy}"' in table and f">{total:,}" in table
    # arrests and book-ins by method and class: the sample has none, so a copy gets one row
    serving = tmp_path / "marts.duckdb"
    shutil.copy(sample_run.serving, serving)
    with duckdb.connect(str(serving)) as con:
        con.execute(
            "insert into mart_case_events_county_year (jurisdiction_id, jurisdiction_name, "
            "state, fiscal_year, event_kind, method, events, events_with_conviction_coverage, "
            "events_serious, events_other, events_minor, no_conviction_recorded, minor_share, "
            "minor_share_low, minor_share_high) values ('25025', 'Suffolk County', 'MA', 2015, "
            "'book-in', 'CAP Local Incarceration', 40, 40, 10, 12, 8, 10, 0.45, 0.3, 0.6)"
        )
    with DashboardServer(serving) as server:
        page = get(server, "/", q="25025").text
    table = page.split('id="table-case-events"')[1].split("</table>")[0]
    assert "CAP Local Incarceration" in table and ">45.0%<" in table
    chart = next(s for s in svgs(page) if "Minor share of arrests and book-ins" in s)
    assert "book-ins (all methods)" in chart
    assert re.search(r"book-ins \(all methods\), FY2015: 45\.0% \(95% interval", chart)


# --- for every view ---------------------------------------------------------------------------


def test_every_chart_carries_the_status_a_text_alternative_and_a_citation(dashboard):
    for q in ("Suffolk County, MA", "Harris County, TX", "48301"):
        page = get(dashboard, "/", q=q).text
        charts = svgs(page)
        assert len(charts) >= 5
        for svg in charts:
            assert 'class="data-status"' in svg and "SYNTHETIC sample data" in svg
            assert re.search(r'role="img" aria-label="[^"]+"', svg) and "<desc>" in svg
        figures = re.findall(r'<figure class="chart-figure">.*?</figure>', page, re.S)
        assert len(figures) == len(charts)
        for figure in figures:
            cite = re.search(r'<p class="cite">Source: ([^<]*)</p>', figure)
            assert cite, figure[-300:]
            assert "U.S. Immigration and Customs Enforcement" in cite.group(1)
            assert "interop_reports.csv" in cite.group(1) and "Published " in cite.group(1)
            assert "/work/" not in cite.group(1) and "sha256" not in cite.group(1)


def test_the_footer_has_no_paths_or_hashes_and_the_about_page_has_them(dashboard, sample_run):
    page = get(dashboard, "/", q="Suffolk County, MA").text
    footer = page.split("<footer>")[1]
    assert "/" not in footer.replace("</", "").replace('href="/about"', "")
    assert not re.search(r"[0-9a-f]{32}", footer)
    about = get(dashboard, "/about").text
    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        run_id, sources = con.execute("select run_id, sources from _publication").fetchone()
        sha = con.execute(
            "select sha256[1] from _publication_sources where source = 'interop'"
        ).fetchone()[0]
    assert run_id in about and sha in about
    for term in (
        "Offense levels",
        "Minor share",
        "Fiscal years",
        "Flows",
        "Restatements",
        "Intervals",
        "Coverage",
        "Choices made",
    ):
        assert f">{term}<" in about, term
    assert 'id="about-status" data-status="synthetic"' in about


def test_line_series_differ_by_dash_pattern_and_lightness_not_hue_alone():
    from orchestration.serve.charts.place import SERIES_COLORS, SERIES_DASHES

    def luminance(hex_color: str) -> float:
        r, g, b = (int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    assert len(set(SERIES_DASHES)) == len(SERIES_DASHES)
    values = sorted(luminance(c) for c in SERIES_COLORS[:3])
    assert min(b - a for a, b in zip(values, values[1:], strict=False)) > 0.05
    svg = str(
        line_chart(
            "t",
            [Series(str(i), [Point(2009, 0.1 * i), Point(2010, 0.2)], style=i) for i in range(3)],
            2009,
            2010,
            None,
        )
    )
    polylines = re.findall(r"<polyline [^>]*/>", svg)
    dashes = {re.search(r'stroke-dasharray="([^"]*)"|$', p).group(1) for p in polylines}
    assert len(polylines) == 3 and len(dashes) == 3
