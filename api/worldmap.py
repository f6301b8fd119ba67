"""A map of flows between states, drawn as SVG on the server.

The shapes are Natural Earth's 1:110m countries (public domain) as TopoJSON, from the npm package
``world-atlas`` 2.0.2 (ISC), vendored in api/static/vendor/world-atlas/ with its licence. Its
countries are keyed by ISO 3166-1 numeric code, which the graph records for every state
(``iso_numeric``). The projection is equirectangular, cut to 60°S-85°N; a flow is an arrow from
the supplier's to the recipient's label point (the area centroid of its largest polygon),
as wide as its number of events.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

from markupsafe import Markup

from milcoop.graph import models as m

TOPOLOGY = Path(__file__).resolve().parent / "static" / "vendor" / "world-atlas" / "countries-110m.json"

WIDTH = 960
NORTH, SOUTH = 85.0, -60.0
SCALE = WIDTH / 360
HEIGHT = round((NORTH - SOUTH) * SCALE)

Point = tuple[float, float]


def project(lon: float, lat: float) -> Point:
    return round((lon + 180) * SCALE, 1), round((NORTH - lat) * SCALE, 1)


@dataclass(frozen=True)
class Country:
    numeric: str
    name: str
    path: str  # SVG path data, projected
    label: Point  # where flows start and end


def _decode_arcs(topology: Mapping[str, object]) -> list[list[Point]]:
    """TopoJSON's quantized, delta-encoded arcs as lists of (lon, lat)."""
    transform = topology["transform"]
    assert isinstance(transform, dict)
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    arcs: list[list[Point]] = []
    raw = topology["arcs"]
    assert isinstance(raw, list)
    for arc in raw:
        x = y = 0
        points: list[Point] = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(arcs: list[list[Point]], indexes: list[int]) -> list[Point]:
    points: list[Point] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


@lru_cache(maxsize=1)
def countries() -> dict[str, Country]:
    """Every country of the vendored shapes, by ISO numeric code (read and projected once)."""
    topology = json.loads(TOPOLOGY.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    found: dict[str, Country] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id")
        if numeric is None or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        commands: list[str] = []
        largest: list[Point] = []
        for polygon in polygons:
            for number, ring_arcs in enumerate(polygon):
                ring = _unwrapped(_ring(arcs, ring_arcs))
                if len(ring) < 3:
                    continue
                projected = [project(lon, max(min(lat, NORTH), SOUTH)) for lon, lat in ring]
                commands.append("M" + "L".join(f"{x},{y}" for x, y in projected) + "Z")
                if number == 0 and _area(ring) > _area(largest):
                    largest = ring
        if not commands or not largest:
            continue
        lon, lat = _centroid(largest)
        label = project((lon + 180) % 360 - 180, lat)
        found[str(numeric)] = Country(str(numeric), geometry["properties"].get("name", ""), "".join(commands), label)
    return found


def _unwrapped(ring: list[Point]) -> list[Point]:
    """The ring without jumps across the antimeridian: Russia's runs on east of 180° (drawn past
    the map's edge, where the drawing is cut) rather than across the whole map and back."""
    out: list[Point] = []
    shift = 0.0
    for lon, lat in ring:
        if out:
            step = lon + shift - out[-1][0]
            if step > 180:
                shift -= 360
            elif step < -180:
                shift += 360
        out.append((lon + shift, lat))
    return out


def _cross(ring: Sequence[Point]) -> list[float]:
    return [ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1)]


def _area(ring: Sequence[Point]) -> float:
    """The ring's area in square degrees (shoelace), whatever its winding."""
    return abs(sum(_cross(ring))) / 2 if len(ring) > 2 else -1.0


def _centroid(ring: Sequence[Point]) -> Point:
    """The ring's area centroid, in (lon, lat)."""
    cross = _cross(ring)
    total = sum(cross)
    if abs(total) < 1e-9:
        return ring[0]
    cx = sum((ring[i][0] + ring[i + 1][0]) * c for i, c in enumerate(cross)) / (3 * total)
    cy = sum((ring[i][1] + ring[i + 1][1]) * c for i, c in enumerate(cross)) / (3 * total)
    return cx, cy


#: Where the site serves :func:`base_map` (api/routers/site.py).
BASE_MAP_URL = "/map/world.svg"


@lru_cache(maxsize=1)
def base_map() -> str:
    """Every country as one SVG document: the map's background, the same for every page."""
    paths = "".join(
        f'<path data-iso-numeric="{country.numeric}" d="{country.path}"><title>{escape(country.name)}</title></path>'
        for country in countries().values()
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#eef4fa"/>'
        f'<g fill="#dde3e9" stroke="#ffffff" stroke-width="0.4">{paths}</g></svg>'
    )


def flow_map(events: Sequence[m.Event], numeric: Mapping[str, str], caption_id: str = "map-caption") -> Markup:
    """The world with an arrow per supplier and recipient state pair, sized by its events.

    ``numeric`` maps the state ids on the page (PRK) to their ISO numeric codes (408); events
    between actors without one (organisations, former states the shapes lack) are counted in
    the description as not drawn."""
    shapes = countries()
    pairs: Counter[tuple[str, str]] = Counter()
    names: dict[str, str] = {}
    not_drawn = 0
    for event in events:
        if event.from_ is None or event.to is None:
            continue
        a, b = numeric.get(event.from_.id), numeric.get(event.to.id)
        if a in shapes and b in shapes and a != b:
            pairs[(event.from_.id, event.to.id)] += 1
            names[event.from_.id] = event.from_.name or event.from_.id
            names[event.to.id] = event.to.name or event.to.id
        else:
            not_drawn += 1
    involved = sorted({numeric[state] for pair in pairs for state in pair})
    # The world comes as one image (served once, then cached by the browser, see base_map);
    # only the involved states are drawn again on top, highlighted.
    parts = [f'<image class="world" href="{BASE_MAP_URL}" x="0" y="0" width="{WIDTH}" height="{HEIGHT}"/>']
    for code in involved:
        country = shapes[code]
        parts.append(f'<path class="country involved" data-iso-numeric="{code}" d="{country.path}"/>')
    for (a, b), count in sorted(pairs.items()):
        (x1, y1), (x2, y2) = shapes[numeric[a]].label, shapes[numeric[b]].label
        # A curve bowed to one side, so that flows both ways between two states stay apart.
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1.0
        bow = min(0.25 * length, 80)
        cx, cy = round(mx - dy / length * bow, 1), round(my + dx / length * bow, 1)
        label = f"{names[a]} ({a}) to {names[b]} ({b}): {count} event{'s' if count != 1 else ''}"
        parts.append(
            f'<a href="/flows?from={escape(a)}&amp;to={escape(b)}" aria-label="{escape(label, quote=True)}">'
            f'<path class="flow" data-from="{escape(a)}" data-to="{escape(b)}" data-count="{count}" '
            f'd="M{x1} {y1} Q{cx} {cy} {x2} {y2}" stroke-width="{min(1.5 + 1.5 * count, 18)}" '
            f'marker-end="url(#map-arrow)"><title>{escape(label)}</title></path></a>'
        )
    for state in sorted({state for pair in pairs for state in pair}):
        x, y = shapes[numeric[state]].label
        parts.append(f'<text class="state-label" x="{x}" y="{y - 6}">{escape(state)}</text>')
    summary = f"Map of flows between states: {len(pairs)} supplier-recipient pair(s), {sum(pairs.values())} events."
    if not_drawn:
        summary += f" {not_drawn} events involve an actor that is not a mapped state and are not drawn."
    defs = (
        '<defs><marker id="map-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="4" markerHeight="4" '
        'orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="arrowhead"/></marker></defs>'
    )
    return Markup(
        f'<svg class="chart map" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="group" '
        f'aria-labelledby="{caption_id}" aria-description="{escape(summary, quote=True)}">'
        f"<desc>{escape(summary)}</desc>{defs}{''.join(parts)}</svg>"
    )
