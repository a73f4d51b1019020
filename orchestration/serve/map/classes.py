"""The map's classes: the breaks and colours of each measure's legend (ColorBrewer YlGnBu), the
class of every county, and the other legend entries (small denominators, no data, not loaded)."""

from __future__ import annotations

import math

from orchestration.serve.map import geometry
from orchestration.serve.map.measures import MapView
from orchestration.serve.published import SMALL_COUNT

# ColorBrewer YlGnBu (sequential, colour-blind safe, prints in grey), by number of classes.
YLGNBU = {
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}


def _nice(x: float) -> float:
    """x rounded to two significant digits (class breaks people can read)."""
    if x <= 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(x)))
    return round(x, digits)


def classify(view: MapView) -> None:
    """Give every cell its class (css) and build the legend's classes for the measure."""
    key = view.measure.key
    valued = [c for c in view.cells.values() if c.value is not None and not c.muted]
    breaks: list[float]
    labels: list[str]
    if key in ("minor_removals", "minor_referrals", "reported_no_conviction"):
        breaks = [0.2, 0.4, 0.6, 0.8]
        labels = ["0–20%", "20–40%", "40–60%", "60–80%", "80–100%"]
    elif key == "removals_per_100k":
        values = sorted(c.value for c in valued if c.value is not None)
        breaks = []
        if values:
            for q in (0.2, 0.4, 0.6, 0.8):
                b = _nice(values[min(int(q * len(values)), len(values) - 1)])
                if b > 0 and (not breaks or b > breaks[-1]):
                    breaks.append(b)
        edges = [0.0, *breaks]
        labels = [f"{edges[i]:,g}–{edges[i + 1]:,g}" for i in range(len(breaks))] + [
            f"{edges[-1]:,g} or more" if breaks else "any rate"
        ]
    elif key == "activation":
        years = sorted({int(c.value) for c in valued if c.value is not None})
        if len(years) > 7:  # group the earliest years so at most 7 classes
            years = years[-7:]
        breaks = [y - 0.5 for y in years[1:]]
        labels = [f"FY{y}" for y in years] or ["FY"]
        if years and len(years) < len({int(c.value) for c in valued if c.value is not None}):
            labels[0] = f"FY{years[0]} or before"
    elif key == "g287_presence":
        breaks = [0.5]
        labels = ["agency, no figures published", "agency with figures"]
    else:  # g287_removed
        breaks = [10, 100, 1000]
        labels = ["0–9", "10–99", "100–999", "1,000 or more"]
    palette = YLGNBU[min(max(len(labels), 3), 7)]
    colours = palette if len(labels) >= 3 else (palette[0], palette[-1])[-len(labels) :]
    view.classes = [(f"k{i}", colours[i], label) for i, label in enumerate(labels)]
    for cell in view.cells.values():
        if cell.muted:
            cell.css = "sm"
        elif cell.value is None:
            cell.css = "nd"
        else:
            cell.css = f"k{sum(1 for b in breaks if cell.value >= b)}"
    view.css_counts = class_counts(view)
    view.counts = {
        "valued": len(valued),
        "muted": sum(1 for c in view.cells.values() if c.muted),
        "no_value": sum(1 for c in view.cells.values() if c.value is None and not c.muted),
    }


def class_counts(view: MapView) -> dict[str, int]:
    """Counties of the map per class (css), those without a row under the view's absent css."""
    counts = {css: 0 for css, _, _ in view.classes}
    counts.update({"sm": 0, "nd": 0, "nl": 0, "na": 0})
    for county in geometry.atlas().counties:
        cell = view.cells.get(county.fips)
        css = view.absent[0] if cell is None else cell.css
        counts[css] += 1
    return counts


OTHER_CLASSES = {
    "sm": ("url(#p-small)", f"fewer than {SMALL_COUNT} in the denominator: muted, not compared"),
    "nd": ("url(#p-nodata)", "no data or not reported"),
    "na": ("#e4e4e4", "no 287(g) agency in the release"),
    "nl": ("url(#p-nodata)", "not loaded: the source is not in this publication"),
}


def other_classes(view: MapView) -> list[tuple[str, str, str, int]]:
    """Legend entries besides the value classes: (css, fill, label, counties), those in use."""
    counts = view.css_counts
    return [
        (css, fill, label, counts[css])
        for css, (fill, label) in OTHER_CLASSES.items()
        if counts[css]
    ]
