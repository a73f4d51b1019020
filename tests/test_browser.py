"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright;
no browser download). Screenshots land in test-output/ for a person to look at."""

import re
from pathlib import Path

import duckdb
import pytest

from tests.conftest import BROWSER_OUTPUT as OUTPUT
from tests.conftest import EVIL_NAME, DashboardServer, published_with_evil_name

pytestmark = pytest.mark.xdist_group("browser")  # one worker, one Chromium for the module


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def test_choose_suffolk_by_typing_and_see_the_marts_numbers(page, dashboard, sample_run):
    page.goto(dashboard.url + "/?q=")  # the explorer (`/` is the home page)
    page.fill("#q", "Suffolk")
    page.click("#show")
    page.click("#choices >> text=Suffolk County, MA")
    assert page.inner_text("#jurisdiction-name") == "Suffolk County, MA"

    with duckdb.connect(str(sample_run.serving), read_only=True) as con:
        marts = {
            fy: (total, share)
            for fy, total, share in con.execute(
                "select fiscal_year, removals_total, minor_share_removals "
                "from mart_jurisdiction_year where jurisdiction_id = '25025'"
            ).fetchall()
        }
    shown = {}
    for row in page.locator("#table-removals tr.jurisdiction-row").all():
        fy = int(row.get_attribute("data-fy"))
        total = row.locator('[data-col="removals_total"]').inner_text()
        share = row.locator('[data-col="minor_share_removals"]').inner_text()
        shown[fy] = (total, share)
    assert shown == {fy: (f"{t:,}", f"{100 * s:.1f}%") for fy, (t, s) in marts.items()}

    # counts on hover: the SVG segments carry their count and total
    tips = page.locator("#jurisdiction svg rect[data-level='l1'] title").all_text_contents()
    assert "Suffolk County, FY2012, removals: Level 1 53 of 240 (22.1%)" in tips
    page.screenshot(path=str(OUTPUT / "dashboard_suffolk.png"), full_page=True)
    page.locator("#jurisdiction .charts").screenshot(path=str(OUTPUT / "dashboard_charts.png"))


def test_filters_narrow_the_view_and_csv_downloads(page, dashboard):
    page.goto(dashboard.url + "/?q=")  # the explorer (`/` is the home page)
    page.fill("#q", "Suffolk")
    page.select_option("#state", "NY")
    page.select_option("#fy_from", "2012")
    page.select_option("#fy_to", "2013")
    page.click("#show")
    assert page.inner_text("#jurisdiction-name") == "Suffolk County, NY"
    fys = page.locator("#table-removals tr.jurisdiction-row").evaluate_all(
        "rows => rows.map(r => r.dataset.fy)"
    )
    assert fys == ["2012", "2013"]
    with page.expect_download() as info:
        page.click("#download-jurisdiction")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("level,jurisdiction_id,fiscal_year")
    assert len(text.splitlines()) == 1 + 2 * 3  # jurisdiction, state, nation x 2 years


def test_script_in_a_jurisdiction_name_is_shown_as_text(page, sample_run, tmp_path):
    with DashboardServer(published_with_evil_name(sample_run, tmp_path)) as server:
        page.goto(server.url + "/?q=48301&fy_to=2014")
        assert page.inner_text("#jurisdiction-name") == f"{EVIL_NAME}, TX"
        assert EVIL_NAME in page.inner_text("#small-counts")
        page.screenshot(path=str(OUTPUT / "dashboard_escaped_name.png"))
    assert page.dialogs == []
    assert page.locator("script").count() == 0


def test_page_renders_offline_with_nothing_requested_elsewhere(page, dashboard):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(dashboard.url + "/?q=25025")
    assert requested and all(re.match(re.escape(dashboard.url), u) for u in requested)


# --- issue 12: finding a place, every view, phones, accessibility ---------------------------------

# rendered size of every chart text: its CSS font size times the chart's scale (SVG text scales
# with the viewBox)
CHART_TEXT_PX = """() => Array.from(document.querySelectorAll('svg.chart text')).map(t => {
    const svg = t.ownerSVGElement;
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [parseFloat(getComputedStyle(t).fontSize) * scale, t.textContent];
})"""


def new_page(browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    return context, context.new_page()


def test_county_page_search_by_city_and_accentless_name(page, dashboard):
    page.goto(dashboard.url + "/")  # the home page's own search box leads to the county page
    page.fill("#home-q", "Boston")
    page.click("form.search button[type=submit]")
    assert page.inner_text("#jurisdiction-name") == "Suffolk County, MA"
    assert "Boston, MA is in Suffolk County, MA" in page.inner_text("#city-note")
    page.screenshot(path=str(OUTPUT / "search_boston.png"), full_page=True)

    page.fill("#q", "Dona Ana")
    page.click("#show")
    assert page.inner_text("#jurisdiction-name") == "Doña Ana County, NM"
    page.fill("#q", "miami dade")
    page.click("#show")
    assert page.inner_text("#jurisdiction-name") == "Miami-Dade County, FL"
    page.fill("#q", "Beaverhead")
    page.click("#show")
    assert "No reports for Beaverhead County, MT" in page.inner_text("#no-reports")


def test_about_page_has_the_definitions_and_the_publication_record(page, dashboard):
    page.goto(dashboard.url + "/?q=25025")
    page.click("footer >> text=About these data")
    assert page.url.endswith("/about")
    for term in ("Offense levels", "Minor share", "Fiscal years", "Restatements", "Intervals"):
        assert page.locator(f"dt >> text={term}").count() == 1
    assert (
        "sha256" in page.inner_text("#sources-table").lower()
        or page.locator("#sources-table code.hash").count()
    )
    page.screenshot(path=str(OUTPUT / "about.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1400])
def test_county_page_at_phone_and_desktop_widths(browser, dashboard, width):
    context, page = new_page(browser, width)
    try:
        page.goto(dashboard.url + "/?q=Harris+County%2C+TX")
        assert page.inner_text("#jurisdiction-name") == "Harris County, TX"
        # no horizontal scroll of the page; wide tables scroll inside their own box
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for table in page.locator("table.numbers").all():
            box = table.evaluate("t => t.parentElement.getBoundingClientRect().right")
            assert box <= width + 0.5
            assert table.evaluate("t => t.parentElement.classList.contains('table-scroll')")
        sizes = page.evaluate(CHART_TEXT_PX)
        assert len(sizes) > 50
        too_small = [(round(px, 1), text) for px, text in sizes if px < 11]
        assert too_small == [], too_small
        # every chart shows the data status inside it, and a citation under it
        charts = page.locator("svg.chart")
        assert charts.count() >= 5
        for i in range(charts.count()):
            chart = charts.nth(i)
            assert "SYNTHETIC" in chart.locator(".data-status").text_content()
            assert chart.locator("xpath=following-sibling::p[@class='cite']").count() == 1
        page.screenshot(path=str(OUTPUT / f"county_harris_{width}.png"), full_page=True)
        from tests.axe import assert_accessible

        assert_accessible(page, f"county_{width}")  # tables that scroll can be scrolled by keyboard
        page.locator("#jurisdiction .charts").screenshot(
            path=str(OUTPUT / f"county_harris_charts_{width}.png")
        )
    finally:
        context.close()


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("home", "/"),
        ("map_activation", "/?map=activation"),
        ("map_rates", "/?map=removals_per_100k&fy=2012"),
        ("jurisdiction", "/?q=Suffolk+County%2C+MA"),
        ("about", "/about"),
    ],
)
def test_no_serious_or_critical_accessibility_violation(page, dashboard, name, path):
    from tests.axe import assert_accessible

    page.goto(dashboard.url + path)
    assert_accessible(page, name)
    assert page.locator("script").count() == 0


def test_the_axe_check_finds_a_violation_when_there_is_one(page):
    # the helper is not a formality: an image without a text alternative and an unlabelled
    # field are reported (critical) by the same axe-core run
    from tests.axe import axe_violations

    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">'
        "</main></body></html>"
    )
    found = {v["id"]: v["impact"] for v in axe_violations(page)}
    assert found.get("image-alt") == "critical" and "label" in found
