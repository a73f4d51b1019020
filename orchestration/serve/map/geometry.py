"""The county map's geometry: us-atlas' TopoJSON (kept in serve/map/atlas/) decoded into SVG path
data on the server, once per process.

Why our own decoder: decoding TopoJSON is one short, fully specified step (undo the delta
encoding and the quantization transform of each arc, then chain arcs into rings; the spec:
https://github.com/topojson/topojson-specification), and the candidates on PyPI are either
encoders (`topojson` builds topologies from shapely/geopandas objects and would bring shapely),
unmaintained since 2022 (`pytopojson`), or a young native extension (`topojson-rs`). The
decoder here is about forty lines and `tests/test_dashboard_home.py` checks it against a
hand-made topology and against the atlas itself (every county ring closes, neighbours share
their border exactly).

The atlas is already projected (d3.geoAlbersUsa for a 975 × 610 viewport), so drawing is
rounding: coordinates are rounded to a grid of GRID steps per pixel *before* they are
differenced, so two counties sharing a border get exactly the same points (no slivers), and a
path is written in relative moves ("M x y l dx dy ..."), which keeps the page small.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ATLAS_DIR = Path(__file__).parent / "atlas"
ATLAS_FILE = ATLAS_DIR / "counties-albers-10m.json"
ATLAS_SHA256 = "a674dfa31b625e92635f32684a61ae135b05a91507f17f2d5164833237fecf46"
ATLAS_CITATION = (
    "Map: us-atlas 3.0.1 (Census Bureau cartographic boundaries 2017, "
    "Albers USA projection; ISC license)"
)
GRID = 2  # path coordinates are in half pixels of the atlas' viewport

Point = tuple[float, float]


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """Every arc of ``topology`` as absolute coordinates (quantized arcs are delta-encoded and
    scaled by the topology's transform; unquantized arcs are returned as they are)."""
    transform = topology.get("transform")
    if transform is None:
        return [[(float(x), float(y)) for x, y, *_ in arc] for arc in topology["arcs"]]
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy, *_ in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arc_indexes: Sequence[int], arcs: list[list[Point]]) -> list[Point]:
    """One ring from its arcs: index ~i (negative) is arc i reversed; each arc after the first
    starts where the previous one ended, so its first point is dropped."""
    points: list[Point] = []
    for index in arc_indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def polygons(geometry: dict[str, Any]) -> list[list[Sequence[int]]]:
    """A Polygon or MultiPolygon geometry as a list of polygons, each a list of rings of arc
    indexes (other geometry types have no area to fill: none)."""
    if geometry.get("type") == "Polygon":
        return [geometry["arcs"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["arcs"])
    return []


def path_data(rings: Iterable[list[Point]], closed: bool = True) -> str:
    """SVG path data for rings (or open lines) on the GRID: "M x y l dx dy dx dy … z". A ring
    that collapses to one grid point is drawn as one grid square."""
    parts = []
    for points in rings:
        snapped = [(round(x * GRID), round(y * GRID)) for x, y in points]
        if len(snapped) < 2:
            continue
        x0, y0 = snapped[0]
        moves = []
        px, py = x0, y0
        for x, y in snapped[1:]:
            if (x, y) != (px, py):
                moves.append(f"{x - px} {y - py}")
                px, py = x, y
        if not moves:
            if not closed:
                continue
            # a ring smaller than the grid (Lexington city, VA): one grid square, so the
            # county still has a shape to hover and click
            moves = ["1 0", "0 1", "-1 0"]
        parts.append(f"M{x0} {y0}l{' '.join(moves)}{'z' if closed else ''}")
    return "".join(parts)


@dataclass(frozen=True)
class County:
    fips: str  # 5 digits
    name: str  # as in the atlas ("Suffolk"); the dashboard prefers the warehouse's name
    state_fips: str
    d: str  # SVG path data on the GRID


@dataclass(frozen=True)
class Atlas:
    x0: float  # the drawing's bounding box (the Aleutians reach left of 0)
    y0: float
    width: float
    height: float
    counties: tuple[County, ...]
    state_names: dict[str, str]  # state FIPS -> name
    state_borders: str  # path data: borders between states (each drawn once)
    nation: str  # path data: the outline of the country


@functools.cache
def atlas() -> Atlas:
    """The decoded atlas, once per process (about 0.3 s; every later page reuses it)."""
    topology = json.loads(ATLAS_FILE.read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    objects = topology["objects"]
    counties = tuple(
        County(
            fips=str(g["id"]),
            name=g.get("properties", {}).get("name", ""),
            state_fips=str(g["id"])[:2],
            d=path_data(ring(r, arcs) for polygon in polygons(g) for r in polygon),
        )
        for g in objects["counties"]["geometries"]
    )
    # an arc used by two different states is a border between them: drawn once
    users: dict[int, set[str]] = {}
    for g in objects["states"]["geometries"]:
        for polygon in polygons(g):
            for r in polygon:
                for index in r:
                    users.setdefault(index if index >= 0 else ~index, set()).add(str(g["id"]))
    borders = path_data((arcs[i] for i, s in sorted(users.items()) if len(s) > 1), closed=False)
    nation = path_data(
        ring(r, arcs)
        for g in objects["nation"]["geometries"]
        for polygon in polygons(g)
        for r in polygon
    )
    x0, y0, x1, y1 = topology.get("bbox", (0, 0, 975, 610))
    left, top = min(0.0, float(x0)), min(0.0, float(y0))
    return Atlas(
        x0=left,
        y0=top,
        width=max(975.0, float(x1)) - left,
        height=max(610.0, float(y1)) - top,
        counties=counties,
        state_names={
            str(g["id"]): g.get("properties", {}).get("name", "")
            for g in objects["states"]["geometries"]
        },
        state_borders=borders,
        nation=nation,
    )
