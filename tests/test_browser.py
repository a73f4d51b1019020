"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright;
no browser download). Screenshots land in test-output/ for a person to look at."""

import re
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import EVIL_NAME, DashboardServer, published_with_evil_name

pytestmark = pytest.mark.xdist_group("browser")  # one worker, one Chromium for the module

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parents[1] / "test-output"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), (
        "Chromium is not installed: `make test` installs Debian's "
        "chromium (apt-get install chromium)"
    )
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


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
