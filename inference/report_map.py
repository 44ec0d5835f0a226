"""The report's map: municipality outlines from the bundled okfse GeoJSON.

Drawn in a sinusoidal projection (x = Δlon · cos lat), which keeps Sweden's long
north–south shape without the stretching of plain longitude/latitude. Each
municipality's outline is defined once and every year's map reuses it with ``<use>``,
so more years cost little.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from mrp_classify.errors import MrpError
from mrp_classify.inference.aggregate import PROFILES
from mrp_classify.inference.municipalities import N_MUNICIPALITIES, municipalities
from mrp_classify.inference.report_format import (
    COLOURS,
    MISSING,
    Locale,
    anchor,
    esc,
    swatch,
)

GEOJSON_FILE = "sweden_municipalities_okfse.geojson"

MAP_HEIGHT = 1000  # viewBox units; coordinates are whole units (≈ 1.5 km)
MAP_MARGIN = 4
# The metropolitan areas hold many small, populous municipalities: enlarged beside the map.
# (name, centre longitude, centre latitude, half the side in degrees of latitude)
INSETS = (
    ("Stockholm", 18.05, 59.38, 0.42),
    ("Göteborg", 12.05, 57.72, 0.3),
    ("Malmö", 13.1, 55.62, 0.3),
)


@dataclass(frozen=True)
class MapGeometry:
    width: int
    height: int
    paths: Mapping[str, str]  # kommunkod → SVG path data
    boxes: Mapping[str, tuple[int, int, int, int]]  # kommunkod → min x, min y, max x, max y
    lon0: float
    x0: float
    y0: float
    scale: float

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        """A WGS84 point in viewBox units."""
        x, y = _project(lon, lat, self.lon0)
        return (x - self.x0) * self.scale + MAP_MARGIN, (y - self.y0) * self.scale + MAP_MARGIN


def _rings(geometry: Mapping[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def _ring_path(points: Iterable[tuple[int, int]]) -> str:
    """Absolute start, then relative steps: short integers keep the page small."""
    kept: list[tuple[int, int]] = []
    for point in points:
        if not kept or point != kept[-1]:
            kept.append(point)
    if len(kept) > 1 and kept[0] == kept[-1]:
        kept.pop()
    if len(kept) < 3:
        return ""
    steps = " ".join(
        f"{x - px} {y - py}" for (px, py), (x, y) in zip(kept, kept[1:], strict=False)
    )
    return f"M{kept[0][0]} {kept[0][1]}l{steps}z".replace(" -", "-")


def _project(lon: float, lat: float, lon0: float) -> tuple[float, float]:
    return (lon - lon0) * math.cos(math.radians(lat)), -lat


@functools.lru_cache(maxsize=1)
def map_geometry() -> MapGeometry:
    """Outlines of the 290 municipalities, projected and fitted to a viewBox."""
    source = resources.files("mrp_classify.inference").joinpath("data", GEOJSON_FILE)
    features = json.loads(source.read_text(encoding="utf-8"))["features"]
    rings = {f["properties"]["id"]: _rings(f["geometry"]) for f in features}
    if set(rings) != set(municipalities()) or len(features) != N_MUNICIPALITIES:
        raise MrpError(
            f"{GEOJSON_FILE}: its municipality codes are not the 290 of the bundled table; "
            "the bundled data is damaged, reinstall mrp-classify"
        )
    lons = [p[0] for r in rings.values() for ring in r for p in ring]
    lon0 = (min(lons) + max(lons)) / 2
    projected = {
        code: [[_project(p[0], p[1], lon0) for p in ring] for ring in code_rings]
        for code, code_rings in rings.items()
    }
    xs = [x for r in projected.values() for ring in r for x, _ in ring]
    ys = [y for r in projected.values() for ring in r for _, y in ring]
    scale = (MAP_HEIGHT - 2 * MAP_MARGIN) / (max(ys) - min(ys))
    x0, y0 = min(xs), min(ys)
    paths = {}
    boxes = {}
    for code in sorted(projected):
        points = [
            [(round((x - x0) * scale) + MAP_MARGIN, round((y - y0) * scale) + MAP_MARGIN)
             for x, y in ring]
            for ring in projected[code]
        ]
        paths[code] = "".join(_ring_path(ring) for ring in points)
        flat = [point for ring in points for point in ring]
        boxes[code] = (
            min(x for x, _ in flat), min(y for _, y in flat),
            max(x for x, _ in flat), max(y for _, y in flat),
        )
    width = math.ceil((max(xs) - x0) * scale) + 2 * MAP_MARGIN
    return MapGeometry(width, MAP_HEIGHT, paths, boxes, lon0, x0, y0, scale)


def map_defs(geometry: MapGeometry) -> str:
    paths = "".join(f'<path id="k{code}" d="{d}"/>' for code, d in geometry.paths.items())
    return (
        '<svg class="defs" width="0" height="0" aria-hidden="true"><defs>'
        '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="2" height="6" fill="#222" '
        'fill-opacity="0.55"/></pattern>'
        # The insets are drawn about 3× larger: a finer hatch looks the same there.
        '<pattern id="hatch-inset" width="2" height="2" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="0.7" height="2" fill="#222" '
        'fill-opacity="0.55"/></pattern>'
        f"{paths}</defs></svg>"
    )


def shapes(codes: Iterable[str], by_code: Mapping[str, Mapping[str, Any]], loc: Locale,
           hatch: str = "hatch") -> str:
    """One ``<use>`` of each municipality's outline, filled by profile, with a hover title and
    a link to its evidence; a hatch on top where the profile needs review."""
    names = {code: m.kommun for code, m in municipalities().items()}
    shapes = []
    hatches = []
    for code in codes:
        p = by_code.get(code)
        if p is None:
            title = loc.t("map.not_processed", kommun=names[code], code=code)
            shapes.append(
                f'<g><title>{esc(title)}</title><use href="#k{code}" '
                f'fill="{COLOURS[MISSING]}"/></g>'
            )
            continue
        title = loc.t("map.profile", kommun=p["kommun"], code=code,
                      profile=loc.profile(p["profile"]),
                      confidence=loc.decimal(p["confidence"], 2),
                      review=loc.t("map.review") if p["needs_review"] else "")
        shapes.append(
            f'<a href="#{anchor(code, p["year"])}"><title>{esc(title)}</title>'
            f'<use href="#k{code}" fill="{COLOURS[p["profile"]]}"/></a>'
        )
        if p["needs_review"]:
            hatches.append(f'<use href="#k{code}" fill="url(#{hatch})"/>')
    return f'<g class="shapes">{"".join(shapes)}</g><g class="hatches">{"".join(hatches)}</g>'


def inset_map(name: str, lon: float, lat: float, half_degrees: float,
              by_code: Mapping[str, Mapping[str, Any]], geometry: MapGeometry,
              loc: Locale) -> str:
    cx, cy = geometry.point(lon, lat)
    half = half_degrees * geometry.scale
    left, top, right, bottom = cx - half, cy - half, cx + half, cy + half
    codes = [
        code for code, (x1, y1, x2, y2) in geometry.boxes.items()
        if x1 < right and x2 > left and y1 < bottom and y2 > top
    ]
    return (
        f'<div class="inset"><svg viewBox="{left:.0f} {top:.0f} {2 * half:.0f} {2 * half:.0f}" '
        f'role="img" aria-label="{esc(loc.t("map.inset", name=name))}">'
        f'{shapes(codes, by_code, loc, "hatch-inset")}</svg>'
        f"<span>{esc(name)}</span></div>"
    )


def profile_map(year: Mapping[str, Any], profiles: Sequence[Mapping[str, Any]],
                geometry: MapGeometry, loc: Locale) -> str:
    by_code = {p["kommunkod"]: p for p in profiles}
    insets = "".join(inset_map(*spec, by_code, geometry, loc) for spec in INSETS)
    legend = "".join(
        f"<li>{swatch(key)}{esc(loc.profile(key))}</li>" for key in (*PROFILES, MISSING)
    )
    legend += f'<li><span class="sw hatch"></span>{esc(loc.profile("needs_review"))}</li>'
    return (
        f'<figure class="map"><svg viewBox="0 0 {geometry.width} {geometry.height}" '
        f'role="img" aria-label="{esc(loc.t("map.label", year=year["year"]))}">'
        f"{shapes(geometry.paths, by_code, loc)}</svg>"
        f'<div class="insets">{insets}</div>'
        f'<figcaption><ul class=legend>{legend}</ul>{loc.t("map.caption")}</figcaption></figure>'
    )

