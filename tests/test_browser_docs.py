"""dbt's documentation site under the dashboard's /docs, in a real headless Chromium, with every
request off this machine refused: the page loads offline, shows a model's description from the
yml, and draws the lineage graph. Screenshots land in test-output/."""

from __future__ import annotations

import pytest

from tests.conftest import BROWSER_OUTPUT as OUTPUT
from tests.conftest import DashboardServer

pytestmark = pytest.mark.xdist_group("browser")  # one worker, one Chromium for the module

# painted pixels (alpha > 0) of the canvas cytoscape draws the nodes on
PAINTED = """() => {
  const canvas = document.querySelector('canvas[data-id="layer2-node"]');
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
  return n;
}"""


# the elements dbt's page gave cytoscape (its angular `graph` service)
GRAPH = """() => {
  const elements = angular.element(document.body).injector().get('graph').graph.elements;
  const nodes = elements.filter(e => e.group === 'nodes').map(e => e.data.name);
  return [nodes, elements.filter(e => e.group === 'edges').length];
}"""


@pytest.fixture(scope="module")
def docs_server(docs_warehouse):
    with DashboardServer(docs_warehouse.serving) as server:
        yield server


@pytest.fixture
def offline(browser, docs_server):
    """A browser context in which only the dashboard answers: any other request (a CDN, a
    tracker) is refused and recorded, as are the page's errors and refused loads."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    elsewhere: list[str] = []
    problems: list[str] = []

    def route(route):
        if route.request.url.startswith(docs_server.url + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", route)

    def new_page():
        page = context.new_page()
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on(
            "console",
            lambda m: (
                problems.append(m.text)
                if "Content Security Policy" in m.text or "net::ERR" in m.text
                else None
            ),
        )
        return page

    yield new_page, elsewhere, problems
    context.close()


def test_docs_load_offline_from_the_about_page_with_a_models_description(offline, docs_server):
    new_page, elsewhere, problems = offline
    page = new_page()
    page.goto(docs_server.url + "/about")
    page.click("#docs-link")
    page.wait_for_url("**/docs/**")
    page.goto(docs_server.url + "/docs/#!/model/model.scomm.mart_jurisdiction_year")
    description = page.locator("text=One row per jurisdiction and fiscal year with a report")
    description.first.wait_for(timeout=60_000)
    page.locator("text=minor_share_removals").first.wait_for(timeout=60_000)
    page.screenshot(path=str(OUTPUT / "docs_model.png"))
    assert elsewhere == [] and problems == []


def test_the_lineage_graph_is_drawn_offline(offline, docs_server):
    new_page, elsewhere, problems = offline
    page = new_page()
    page.goto(docs_server.url + "/docs/#!/overview?g_v=1")
    page.wait_for_selector('canvas[data-id="layer2-node"]', timeout=60_000)
    page.wait_for_function(f"({PAINTED})() > 20000", timeout=60_000)
    settled, last = 0, -1
    while settled < 3:  # the layout's animation has ended: the same pixels three times running
        page.wait_for_timeout(300)
        painted = page.evaluate(PAINTED)
        settled, last = (settled + 1 if painted == last else 0), painted
    page.screenshot(path=str(OUTPUT / "docs_lineage.png"))
    # what the graph holds: every model and source as a node, the refs between them as edges
    nodes, edges = page.evaluate(GRAPH)
    assert {"mart_jurisdiction_year", "dim_jurisdiction", "_publication_sources"} <= set(nodes)
    assert len(nodes) > 60 and edges > 60
    assert elsewhere == [] and problems == []
