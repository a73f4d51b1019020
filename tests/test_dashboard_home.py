"""The home page over HTTP: the national series and the published figures, the rollout, and the
county map (every county a linked shape, no data never coloured as a value, small denominators
muted, a legend, the data status drawn on it), each view a link with a CSV. Plus the TopoJSON
decoder the map is drawn from, on a hand-made topology and on the atlas itself."""

import csv
import hashlib
import html
import io
import re

import duckdb
import pytest
import requests

from orchestration.serve.map import geometry
from orchestration.serve.map.measures import MEASURES
from orchestration.serve.params import place_url
from tests.conftest import EVIL_NAME, DashboardServer, published_with_evil_name

MAP_PATH = re.compile(
    r'<a href="(?P<href>[^"]+)" tabindex="-1"><path class="(?P<css>[^"]+)" d="(?P<d>[^"]+)">'
    r"<title>(?P<title>[^<]*)</title></path></a>"
)


def get(server, path, **params):
    response = requests.get(server.url + path, params=params, timeout=60)
    response.raise_for_status()
    return response


def counties(page: str) -> dict[str, dict[str, str]]:
    """FIPS -> {css, title, d} of every county shape of the map on a page."""
    found = {}
    for m in MAP_PATH.finditer(page):
        fips = m["href"].removeprefix("/?q=")
        found[fips] = {"css": m["css"], "title": html.unescape(m["title"]), "d": m["d"]}
    return found


def inside(page: str, element_id: str, end_tag: str) -> str:
    """The page's text from the element with ``element_id`` to the first ``end_tag`` after it."""
    return page.split(f'id="{element_id}"')[1].split(end_tag)[0]


def marts(sample_run, sql, params=()):
    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


# --- the geometry ------------------------------------------------------------------------------


def test_the_atlas_is_the_pinned_us_atlas_file_with_its_license():
    data = geometry.ATLAS_FILE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == geometry.ATLAS_SHA256
    license_text = (geometry.ATLAS_DIR / "LICENSE").read_text()
    assert "Copyright 2013-2019 Michael Bostock" in license_text
    assert "Permission to use, copy, modify, and/or distribute" in license_text  # ISC
    assert geometry.ATLAS_SHA256 in (geometry.ATLAS_DIR / "README.md").read_text()


def test_decoder_undoes_quantization_and_stitches_reversed_arcs():
    # two unit squares side by side sharing the arc x=1 (arc 1), quantized with scale 0.5
    topology = {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.5], "translate": [10, 20]},
        "arcs": [
            [[2, 0], [-2, 0], [0, 2], [2, 0]],  # (11,20) (10,20) (10,21) (11,21)
            [[2, 2], [0, -2]],  # (11,21) -> (11,20): the shared border
            [[2, 2], [2, 0], [0, -2], [-2, 0]],  # (11,21) (12,21) (12,20) (11,20)
        ],
        "objects": {},
    }
    arcs = geometry.decode_arcs(topology)
    assert arcs[0] == [(11.0, 20.0), (10.0, 20.0), (10.0, 21.0), (11.0, 21.0)]
    left = geometry.ring([0, 1], arcs)
    right = geometry.ring([2, ~1], arcs)  # ~1: the shared arc walked backwards
    assert left == [(11, 20), (10, 20), (10, 21), (11, 21), (11, 20)]
    assert right == [(11, 21), (12, 21), (12, 20), (11, 20), (11, 21)]
    assert geometry.polygons({"type": "Polygon", "arcs": [[0, 1]]}) == [[[0, 1]]]
    assert geometry.polygons({"type": "MultiPolygon", "arcs": [[[0, 1]], [[2, ~1]]]}) == [
        [[0, 1]],
        [[2, ~1]],
    ]
    assert geometry.polygons({"type": "Point", "coordinates": [0, 0]}) == []
    # SVG path on the grid: absolute start, then relative moves; duplicates dropped
    g = geometry.GRID
    assert geometry.path_data([left]) == f"M{11 * g} {20 * g}l{-g} 0 0 {g} {g} 0 0 {-g}z"
    # a ring smaller than the grid is one grid square; an open line of one point nothing
    assert geometry.path_data([[(1, 1), (1.1, 1)]]) == f"M{g} {g}l1 0 0 1 -1 0z"
    assert geometry.path_data([[(1, 1), (1.1, 1)]], closed=False) == ""


def absolute_points(d: str) -> set[tuple[int, int]]:
    points = set()
    for sub in re.findall(r"M(-?\d+) (-?\d+)l([^Mz]*)", d):
        x, y = int(sub[0]), int(sub[1])
        points.add((x, y))
        moves = [int(v) for v in sub[2].split()]
        for dx, dy in zip(moves[::2], moves[1::2], strict=True):
            x, y = x + dx, y + dy
            points.add((x, y))
    return points


def test_the_atlas_decodes_to_every_county_with_closed_rings_and_shared_borders():
    atlas = geometry.atlas()
    assert len(atlas.counties) == 3142
    ids = [c.fips for c in atlas.counties]
    assert len(set(ids)) == 3142 and all(re.fullmatch(r"\d{5}", i) for i in ids)
    assert len(atlas.state_names) == 51 and atlas.state_names["25"] == "Massachusetts"
    by_id = {c.fips: c for c in atlas.counties}
    assert by_id["25025"].name == "Suffolk"
    g = geometry.GRID
    x0, y0, x1, y1 = atlas.x0 * g, atlas.y0 * g, (atlas.x0 + atlas.width) * g, atlas.height * g
    assert x0 < 0  # the Aleutians reach left of the 975 x 610 viewport: kept in the drawing
    for county in atlas.counties:  # every ring closes and stays inside the drawing
        assert county.d.startswith("M") and county.d.endswith("z"), county.fips
        for x, y in absolute_points(county.d):
            assert x0 - 1 <= x <= x1 + 1 and y0 - 1 <= y <= y1 + 1, county.fips
    # neighbours share their border point for point (rounded before differencing: no slivers)
    shared = absolute_points(by_id["25025"].d) & absolute_points(by_id["25021"].d)
    assert len(shared) >= 5  # Suffolk and Norfolk, MA
    assert not absolute_points(by_id["25025"].d) & absolute_points(by_id["06037"].d)
    assert atlas.state_borders.startswith("M") and atlas.nation.startswith("M")
    assert geometry.atlas() is atlas  # decoded once per process


# --- the home page -----------------------------------------------------------------------------


def test_home_map_has_one_linked_shape_per_county(dashboard):
    page = get(dashboard, "/").text
    shapes = counties(page)
    assert len(shapes) == 3142
    assert set(shapes) == {c.fips for c in geometry.atlas().counties}
    assert place_url("25025") == "/?q=25025"
    assert 'data-measure="minor_removals"' in page  # the default when the statistics are loaded


def test_a_county_without_data_is_no_data_never_a_colour(dashboard, sample_run):
    page = get(dashboard, "/", map="minor_removals", fy=2014).text
    shapes = counties(page)
    with_rows = {
        r[0]
        for r in marts(
            sample_run,
            "select jurisdiction_id from mart_jurisdiction_year where fiscal_year = 2014",
        )
    }
    no_data = [f for f in shapes if f not in with_rows]
    assert len(no_data) > 3000
    assert {shapes[f]["css"] for f in no_data} == {"nd"}
    assert shapes["01001"]["title"] == "Autauga County, AL — no data"
    # the no-data class is a hatch pattern, not a fill colour of the scale
    assert (
        "svg.usmap .nd, svg.usmap .nl { fill: url(#p-nodata); }"
        in get(dashboard, "/static/home.css").text
    )
    assert ".nd{" not in page.split("<style>")[1].split("</style>")[0]
    legend = inside(page, "map-legend", "</div>")
    assert f'no data or not reported <span class="legend-count">({len(no_data):,})' in legend


def test_values_classes_and_tooltips_come_from_the_marts(dashboard, sample_run):
    page = get(dashboard, "/", map="minor_removals", fy=2012).text
    ((minor, total, share, low, high),) = marts(
        sample_run,
        "select removals_minor, removals_total, minor_share_removals, minor_share_removals_low,"
        " minor_share_removals_high from mart_jurisdiction_year "
        "where jurisdiction_id = '25025' and fiscal_year = 2012",
    )
    suffolk = counties(page)["25025"]
    assert suffolk["css"] == f"k{int(share // 0.2)}"
    assert suffolk["title"] == (
        f"Suffolk County, MA — {100 * share:.1f}%; {minor:,} Level 3 + non-criminal of "
        f"{total:,} removals; 95% interval {100 * low:.1f}–{100 * high:.1f}%"
    )


def test_small_denominators_are_muted_and_say_so(dashboard, sample_run):
    # Loving County, TX: 1 removal in FY2013, 0 in FY2014; 10-11 non-citizen residents
    for fy, expected in ((2013, "0 Level 3 + non-criminal of 1 removals"), (2014, "no removals")):
        loving = counties(get(dashboard, "/", map="minor_removals", fy=fy).text)["48301"]
        assert loving["css"] == "sm", fy
        assert expected in loving["title"]
        if fy == 2013:
            assert "fewer than 20 in the denominator: muted, not compared" in loving["title"]
    rate = counties(get(dashboard, "/", map="removals_per_100k", fy=2013).text)["48301"]
    assert rate["css"] == "sm" and "11 non-citizen residents" in rate["title"]
    page = get(dashboard, "/", map="minor_removals", fy=2013).text
    legend = inside(page, "map-legend", "</div>")
    muted = sum(1 for s in counties(page).values() if s["css"] == "sm")
    assert muted >= 2
    assert (
        "fewer than 20 in the denominator: muted, not compared "
        f'<span class="legend-count">({muted})' in legend
    )


def test_clicking_a_county_opens_its_page(dashboard):
    shapes = counties(get(dashboard, "/").text)
    href = next(
        m["href"]
        for m in MAP_PATH.finditer(get(dashboard, "/").text)
        if m["href"].endswith("25025")
    )
    assert shapes["25025"]["css"].startswith("k")
    page = get(dashboard, href).text
    assert 'id="jurisdiction-name">Suffolk County, MA<' in page


def test_legend_has_classes_units_and_counts_summing_to_every_county(dashboard):
    for key in MEASURES:
        page = get(dashboard, "/", map=key).text
        legend = inside(page, "map-legend", "</div>")
        assert MEASURES[key].unit.replace("'", "&#39;") in legend, key
        counts = [
            int(n.replace(",", "")) for n in re.findall(r'legend-count">\(([\d,]+)\)', legend)
        ]
        assert sum(counts) == 3142, key
        shapes = counties(page)
        for css in {s["css"] for s in shapes.values()}:
            assert f'data-class="{css}"' in legend, (key, css)
    page = get(dashboard, "/", map="minor_removals").text
    legend = inside(page, "map-legend", "</div>")
    for label in ("0–20%", "20–40%", "40–60%", "60–80%", "80–100%"):
        assert label in legend
    # ColorBrewer YlGnBu, a sequential scheme safe for colour-blind readers
    assert ".usmap .k0{fill:#ffffcc}" in page and ".usmap .k4{fill:#253494}" in page


def test_the_data_status_is_drawn_on_every_chart_and_the_map(dashboard):
    page = get(dashboard, "/").text
    for svg_id in ("national-chart", "rollout-chart", "usmap"):
        svg = inside(page, svg_id, "</svg>")
        assert re.search(r'class="data-status[^"]*"[^>]*>SYNTHETIC sample data', svg), svg_id
    assert page.count('class="citation"') >= 4
    assert "Source: ICE IDENT/IAFIS Interoperability Statistics" in page
    assert "Map: us-atlas 3.0.1" in page


def test_national_series_with_intervals_and_the_published_figures_section(dashboard, sample_run):
    page = get(dashboard, "/").text
    national = marts(
        sample_run,
        "select fiscal_year, removals_minor, removals_total, minor_share_removals, "
        "minor_share_removals_low, minor_share_removals_high from mart_national_year "
        "order by fiscal_year",
    )
    chart = inside(page, "national-chart", "</svg>")
    table = inside(page, "national-table", "</table>")
    for fy, minor, total, share, low, high in national:
        assert (
            f"Removals, FY{fy}: minor share {100 * share:.1f}% ({minor:,} of {total:,}; "
            f"95% interval {100 * low:.1f}–{100 * high:.1f}%)"
        ) in html.unescape(chart)
        assert f"{100 * share:.1f}% ({100 * low:.1f}–{100 * high:.1f}%)" in table
    assert chart.count('data-series="referrals"') == len(national)
    # the sample publication has no published figures: said, not hidden
    assert 'id="figures-not-loaded"' in page
    assert "Source: Figures ICE and DHS published — not loaded in this publication." in page


def test_rollout_chart_and_table(dashboard, sample_run):
    page = get(dashboard, "/").text
    last = marts(
        sample_run,
        "select counties_activated, counties_total from mart_rollout "
        "order by activation_date desc limit 1",
    )[0]
    table = inside(page, "rollout-table", "</table>")
    assert f"{last[0]:,} of {last[1]:,}" in table
    chart = inside(page, "rollout-chart", "</svg>")
    for series in ("population", "counties", "states"):
        assert f'data-series="{series}"' in chart
    assert (
        chart.count('class="hover-point"')
        == marts(sample_run, "select count(*) from mart_rollout")[0][0]
    )


def test_every_measure_and_year_is_a_link(dashboard):
    page = get(dashboard, "/").text
    for key in MEASURES:
        assert f'href="/?map={key}' in page
        view = get(dashboard, "/", map=key).text
        assert re.search(rf'href="/\?map={key}[^"]*" aria-current="page"', view), key
    assert 'href="/?map=minor_removals&amp;fy=2010#map-section"' in page
    # a bad measure or year falls back to the defaults instead of failing
    page = get(dashboard, "/", map="nonsense", fy="x").text
    assert 'data-measure="minor_removals"' in page and "FY2014" in page
    assert "by county, FY2009" in get(dashboard, "/", map="minor_referrals", fy=2009).text


def test_287g_maps_list_state_agencies_beside_the_map(dashboard):
    page = get(dashboard, "/", map="g287_presence", fy=2013).text
    shapes = counties(page)
    assert shapes["04013"]["css"] == "k1"
    assert (
        "City of Mesa Police Department | Maricopa County Sheriff Office"
        in shapes["04013"]["title"]
    )
    assert shapes["01001"]["css"] == "na"  # no agency: its own class, not 0 and not no data
    assert shapes["01001"]["title"].endswith("no 287(g) agency in the release")
    beside = inside(page, "off-map", "</aside>")
    assert "Arizona Department of Public Safety" in beside
    removed = counties(get(dashboard, "/", map="g287_removed", fy=2013).text)
    assert removed["48201"]["css"] == "k2"  # Harris County: 101 removed
    assert removed["51683"]["css"] == "k0"  # Manassas city: 0 removed is a value


def test_activation_map_classes_by_fiscal_year(dashboard, sample_run):
    shapes = counties(get(dashboard, "/", map="activation").text)
    (date,) = marts(
        sample_run, "select activation_date from dim_jurisdiction where jurisdiction_id = '25025'"
    )[0]
    assert f"activated {date.isoformat()}" in shapes["25025"]["title"]
    assert (
        sum(1 for s in shapes.values() if s["css"] != "nd")
        == marts(
            sample_run,
            "select count(*) from dim_jurisdiction where activation_date is not null "
            "and kind <> 'state-level' and jurisdiction_id in (select unnest(?))",
            [list(shapes)],
        )[0][0]
    )


def test_map_csv_has_every_county_and_the_data_status(dashboard, sample_run):
    response = get(dashboard, "/home.csv", view="map", map="minor_removals", fy=2012)
    assert 'filename="map_minor_removals_FY2012.csv"' in response.headers["content-disposition"]
    records = list(csv.DictReader(io.StringIO(response.text)))
    on_map = [r for r in records if r["on_map"] == "True"]
    assert len(on_map) == 3142
    assert {r["data_status"] for r in records} == {"synthetic"}
    suffolk = next(r for r in records if r["jurisdiction_id"] == "25025")
    (share,) = marts(
        sample_run,
        "select minor_share_removals from mart_jurisdiction_year "
        "where jurisdiction_id = '25025' and fiscal_year = 2012",
    )[0]
    assert float(suffolk["value"]) == pytest.approx(share)
    autauga = next(r for r in records if r["jurisdiction_id"] == "01001")
    assert autauga["value"] == "" and autauga["shown_as"] == "no data"  # blank, never 0
    off = [r["name"] for r in records if r["on_map"] == "False"]
    assert off == ["Arizona Department of Public Safety", "Massachusetts State Police"]


def test_the_other_home_csvs_and_a_bad_view(dashboard, sample_run):
    national = list(csv.DictReader(io.StringIO(get(dashboard, "/home.csv", view="national").text)))
    assert [int(r["fiscal_year"]) for r in national] == [
        r[0] for r in marts(sample_run, "select fiscal_year from mart_national_year order by 1")
    ]
    rollout = list(csv.DictReader(io.StringIO(get(dashboard, "/home.csv", view="rollout").text)))
    assert len(rollout) == marts(sample_run, "select count(*) from mart_rollout")[0][0]
    figures = get(dashboard, "/home.csv", view="figures").text
    assert figures.strip() == "data_status"  # not loaded in the sample: no rows, not zeros
    response = requests.get(dashboard.url + "/home.csv", params={"view": "x"}, timeout=30)
    assert response.status_code == 400 and "unknown view 'x'" in response.text


def test_old_explorer_links_still_work(dashboard):
    assert 'id="jurisdiction-name">Suffolk County, MA<' in get(dashboard, "/", q="25025").text
    ranking = get(dashboard, "/", measure="removals", fy_to=2014).text
    assert 'id="ranking-table"' in ranking and 'class="usmap"' not in ranking


def test_names_from_data_are_escaped_on_the_map(sample_run, tmp_path):
    with DashboardServer(published_with_evil_name(sample_run, tmp_path)) as server:
        page = get(server, "/", map="minor_removals", fy=2014).text
    assert EVIL_NAME not in page
    assert counties(page)["48301"]["title"].startswith(f"{EVIL_NAME}, TX — ")
