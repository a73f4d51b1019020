"""Drawing the county map as inline SVG: one linked path per county of the atlas, its class as
its fill, its value, counts and interval as its tooltip, and the data status in a strip below."""

from __future__ import annotations

import functools
import html

from markupsafe import Markup, escape

from orchestration.serve.map import geometry
from orchestration.serve.map.measures import MapView
from orchestration.serve.params import place_url
from orchestration.serve.published import SMALL_COUNT, SOURCE_TITLES

STATUS_STRIP = 80  # map units below the atlas for the status line

MAP_DESC = (
    "Each county of the United States is a shape coloured by its class (see the legend); "
    "hatched counties have no data, dotted counties have a denominator under {small} and are "
    "not coloured. Hover a county for its value, counts and interval; a click opens its page. "
    "The same data are in the table and the CSV below the map."
)


@functools.cache
def _shapes() -> tuple[tuple[str, str, str, str], ...]:
    """Per county of the atlas: (fips, atlas name, the markup before its class, the markup
    between its class and its tooltip), built once per process."""
    return tuple(
        (
            c.fips,
            c.name,
            f'<a href="{place_url(c.fips)}" tabindex="-1"><path class="',
            f'" d="{c.d}"><title>',
        )
        for c in geometry.atlas().counties
    )


def draw_map(view: MapView, names: dict[str, tuple[str, str, str]], status: str) -> Markup:
    """The county map as inline SVG: one linked path per county of the atlas."""
    atlas = geometry.atlas()
    grid = geometry.GRID
    # a strip below the atlas for the data status, so it never covers a county
    x0, y0 = round(atlas.x0 * grid), round(atlas.y0 * grid)
    width, height = round(atlas.width * grid), round(atlas.height * grid) + STATUS_STRIP
    measure = view.measure
    style = "".join(f".usmap .{css}{{fill:{colour}}}" for css, colour, _ in view.classes)
    out = [
        f'<svg class="usmap" id="usmap" viewBox="{x0} {y0} {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg" aria-labelledby="usmap-title" '
        'aria-describedby="usmap-desc" data-measure="' + measure.key + '">',
        f'<title id="usmap-title">{escape(view.title)}</title>',
        f'<desc id="usmap-desc">{escape(MAP_DESC.format(small=SMALL_COUNT))}</desc>',
        f"<style>{style}</style>",
        '<defs><pattern id="p-nodata" width="12" height="12" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="12" height="12" fill="#f4f4f4"/>'
        '<line x1="0" y1="0" x2="0" y2="12" stroke="#b0b0b0" stroke-width="4"/></pattern>'
        '<pattern id="p-small" width="10" height="10" patternUnits="userSpaceOnUse">'
        '<rect width="10" height="10" fill="#f4f4f4"/><circle cx="5" cy="5" r="2.4" '
        'fill="#7a7a7a"/></pattern></defs>',
        '<g class="counties">',
    ]
    not_loaded = not view.source.loaded
    absent_css, absent_text = view.absent
    muted = f"fewer than {SMALL_COUNT} in the denominator: muted, not compared"
    for fips, atlas_name, before_class, before_title in _shapes():
        cell = view.cells.get(fips)
        if cell is None:
            name, state, _ = names.get(fips, (atlas_name, "", ""))
            label = f"{name}, {state}" if state else name
            css = absent_css
            tip = f"{label} — {absent_text}"
        else:
            css = cell.css
            parts = [f"{cell.label} — {cell.text}"]
            if cell.count:
                parts.append(cell.count)
            if cell.interval:
                parts.append(cell.interval)
            if cell.muted:
                parts.append(muted)
            tip = "; ".join(parts)
        # text content of <title>: escaping &, < and > is enough (no attribute)
        out.append(f"{before_class}{css}{before_title}{html.escape(tip, False)}</title></path></a>")
    out.append("</g>")
    out.append(f'<path class="state-borders" d="{atlas.state_borders}"/>')
    out.append(f'<path class="nation" d="{atlas.nation}"/>')
    if not_loaded:
        source_title = SOURCE_TITLES.get(measure.source, measure.source)
        out.append(
            f'<text x="{x0 + width / 2:.0f}" y="{y0 + height / 2:.0f}" class="map-note" '
            f'text-anchor="middle">Not loaded: {escape(source_title)}</text>'
        )
    if status:
        out.append(
            f'<text x="{x0 + width - 10}" y="{y0 + height - 14}" class="data-status map-status" '
            f'text-anchor="end">{escape(status)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))
