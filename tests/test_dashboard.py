"""The dashboard over HTTP: jurisdiction pages, ranking with small counts flagged, CSV of the
current view, escaping of whatever comes from data or the query string, offline assets."""

import csv
import io
import re

import duckdb
import requests

from orchestration.serve.charts import LEVEL_COLORS, Bar, stacked_shares
from orchestration.serve.published import LEVELS
from tests.conftest import EVIL_NAME, DashboardServer, published_with_evil_name


def get(server, path, **params):
    response = requests.get(server.url + path, params=params, timeout=30)
    response.raise_for_status()
    return response


def test_typing_part_of_a_name_lists_each_match_and_a_state_narrows_it(dashboard):
    page = get(dashboard, "/", q="Suffolk").text
    assert "2 jurisdictions match “Suffolk”" in page
    assert "Suffolk County, MA" in page and "Suffolk County, NY" in page
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
