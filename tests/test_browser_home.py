"""The home page and its county map in a real headless Chromium (Debian's, through Playwright)
at a phone's width (390 px) and a desktop's (1400 px): no horizontal page scroll, chart and map
text at least 11 px as rendered, every county drawn, hover titles and a click to the county's
page. Screenshots go to test-output/ for a person to look at."""

import pytest

from tests.conftest import BROWSER_OUTPUT as OUTPUT

pytestmark = pytest.mark.xdist_group("browser")  # one worker with test_browser.py's Chromium


# the rendered size of every SVG text: its computed font size times the scale the SVG's
# viewBox applies on screen (its CTM)
TEXT_SIZES = """() => [...document.querySelectorAll('svg text')]
  .filter(t => t.getClientRects().length > 0)
  .map(t => {
    const m = t.getScreenCTM();
    const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    return {text: t.textContent.slice(0, 40), px: Math.round(px * 10) / 10,
            svg: t.closest('svg').id};
  })"""


@pytest.mark.parametrize("width", [390, 1400])
def test_home_page_fits_the_screen_with_readable_chart_and_map_text(browser, dashboard, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(dashboard.url + "/")
    assert page.locator("#usmap .counties path").count() == 3142
    # no horizontal scroll of the page (tables scroll inside their own box)
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"page is {scroll} px wide in a {client} px window"
    sizes = page.evaluate(TEXT_SIZES)
    assert {s["svg"] for s in sizes} >= {"national-chart", "rollout-chart", "usmap"}
    small = [s for s in sizes if s["px"] < 11]
    assert not small, f"text under 11 px at {width} px: {small[:5]}"
    # the status stamp is on the map itself and big enough to survive a screenshot
    stamp = page.locator("#usmap .map-status")
    assert stamp.text_content().startswith("SYNTHETIC sample data")
    # nothing requested outside the dashboard (no CDN, no web font)
    assert all(u.startswith(dashboard.url) for u in requested)
    page.screenshot(path=str(OUTPUT / f"home_{width}.png"), full_page=True)
    page.locator("#map-section").screenshot(path=str(OUTPUT / f"home_map_{width}.png"))
    context.close()


def test_hovering_a_county_names_it_and_a_click_opens_its_page(browser, dashboard):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(dashboard.url + "/?map=minor_removals&fy=2014#map-section")
    los_angeles = page.locator('#usmap a[href="/?q=06037"] path')
    title = los_angeles.locator("title").text_content()
    assert title.startswith("Los Angeles County, CA — ") and "95% interval" in title
    los_angeles.hover()  # the hovered county is outlined
    assert page.evaluate(
        "getComputedStyle(document.querySelector('#usmap a[href=\"/?q=06037\"] path')).stroke"
    ) in ("rgb(0, 0, 0)", "#000")
    los_angeles.click()
    page.wait_for_url("**/?q=06037")
    assert page.inner_text("#jurisdiction-name") == "Los Angeles County, CA"
    context.close()


def test_choosing_a_measure_and_a_year_are_links(browser, dashboard):
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto(dashboard.url + "/")
    page.click("#map-measures >> text=287(g) removals")
    page.click("#map-years >> text=FY2012")
    assert page.url.endswith("/?map=g287_removed&fy=2012#map-section")
    assert page.locator("#usmap").get_attribute("data-measure") == "g287_removed"
    assert "FY2012" in page.inner_text("#map-heading")
    legend = page.inner_text("#map-legend")
    assert "no 287(g) agency in the release" in legend
    page.locator("#map-section").screenshot(path=str(OUTPUT / "home_map_g287_390.png"))
    context.close()
