"""``report.html``: one self-contained page that presents a run's outputs.

Built from ``summary.json`` (profiles, evidence, per-year summaries) and
``documents.csv`` (the per-document table). The page makes no requests: CSS,
the map and the charts are inline (SVG), and the little JavaScript it has only
sorts tables, so the page reads the same without it. Every string that came from
a document or a file name is HTML-escaped. The output depends only on the input
files, so the same run gives the same bytes.

The map is drawn from the bundled okfse GeoJSON in a sinusoidal projection
(x = Δlon · cos lat), which keeps Sweden's long north–south shape without the
stretching of plain longitude/latitude. Each municipality's outline is defined
once and every year's map reuses it with ``<use>``, so more years cost little.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mrp_classify.errors import MrpError
from mrp_classify.inference.aggregate import (
    CITIZEN,
    CITIZEN_PROFILE,
    DIGITAL_LABELS,
    INTERNAL,
    INTERNAL_ONLY,
    NO_DIGITAL_GOALS,
    NONE,
    PROFILES,
)
from mrp_classify.inference.municipalities import N_MUNICIPALITIES, municipalities
from mrp_classify.inference.outputs import DOCUMENTS_FILE, REPORT_FILE, RunOutputs
from mrp_classify.io import write_text_atomic

log = logging.getLogger(__name__)

GEOJSON_FILE = "sweden_municipalities_okfse.geojson"

MISSING = "missing"

# Paul Tol's "bright" scheme: distinguishable with the common colour-vision deficiencies.
COLOURS = {
    NO_DIGITAL_GOALS: "#EE6677",
    INTERNAL_ONLY: "#CCBB44",
    CITIZEN_PROFILE: "#4477AA",
    MISSING: "#BBBBBB",
}
PROFILE_NAMES = {
    NO_DIGITAL_GOALS: "No digitalisation goals",
    INTERNAL_ONLY: "Internal efficiency only",
    CITIZEN_PROFILE: "Citizen-facing goals",
    MISSING: "Not processed",
}
LABEL_NAMES = {NONE: "none", INTERNAL: "internal efficiency", CITIZEN: "citizen-facing"}

MAP_HEIGHT = 1000  # viewBox units; coordinates are whole units (≈ 1.5 km)
MAP_MARGIN = 4
# The metropolitan areas hold many small, populous municipalities: enlarged beside the map.
# (name, centre longitude, centre latitude, half the side in degrees of latitude)
INSETS = (
    ("Stockholm", 18.05, 59.38, 0.42),
    ("Göteborg", 12.05, 57.72, 0.3),
    ("Malmö", 13.1, 55.62, 0.3),
)
# Evidence paragraphs are shown whole up to this length; paragraphs.csv has every text in full.
MAX_EVIDENCE_CHARS = 1000
# Bar charts, in viewBox units: the label column fits SKR's longest group name.
CHART_WIDTH = 900
LABEL_WIDTH = 400
BAR_HEIGHT = 18
ROW_HEIGHT = 24
MAIN_GAP = 8
REQUIRED_KEYS = ("model", "method", "documents", "years", "profiles")
DOCUMENT_FIELDS = (
    "file", "status", "error", "kommunkod", "kommun", "year", "municipality_note", "pages",
    "paragraphs", "health_flag",
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


def write_report(out_dir: Path, summary: dict[str, Any] | None = None,
                 documents: Sequence[Mapping[str, str]] | None = None) -> Path:
    """Write ``out_dir/report.html`` from the run's summary and documents table (read from
    ``out_dir`` unless given, as ``run`` does with what it has just written)."""
    outputs = RunOutputs(Path(out_dir))
    if summary is None:
        summary = outputs.read_summary(REQUIRED_KEYS)
    if documents is None:
        documents = outputs.read_table(DOCUMENTS_FILE, DOCUMENT_FIELDS)
    path = outputs.path(REPORT_FILE)
    write_text_atomic(path, render(summary, list(documents)))
    log.info("%s: report written", path)
    return path


# ---------------------------------------------------------------- map geometry


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


# ---------------------------------------------------------------- formatting


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _int(value: int | float) -> str:
    return f"{round(value):,}"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def _opt(value: float | None, decimals: int) -> str:
    return "–" if value is None else f"{value:.{decimals}f}"


def _swatch(key: str) -> str:
    return f'<span class="sw" style="background:{COLOURS[key]}"></span>'


def _profile_cell(profile: str) -> str:
    return f'<span class=nw>{_swatch(profile)}{_e(PROFILE_NAMES.get(profile, profile))}</span>'


def _anchor(kommunkod: str, year: int) -> str:
    return f"ev-{kommunkod}-{year}"


def _td(text: str, sort: object | None = None, cls: str = "") -> str:
    attributes = f' data-v="{_e(sort)}"' if sort is not None else ""
    attributes += f' class="{cls}"' if cls else ""
    return f"<td{attributes}>{text}</td>"


# ---------------------------------------------------------------- sections


def _header(summary: Mapping[str, Any], document_rows: Sequence[Mapping[str, str]]) -> str:
    model = summary["model"]
    method = summary["method"]
    documents = summary["documents"]
    years = [entry["year"] for entry in summary["years"]]
    model_name = " ".join(str(part) for part in (model.get("name"), model.get("version")) if part)
    fingerprint = str(model.get("fingerprint") or "")[:12]
    year_text = ", ".join(str(y) for y in years) if years else "none"
    facts = [
        ("Model", f"{_e(model_name or 'unnamed')}"
         + (f' <span class="muted">(fingerprint {_e(fingerprint)})</span>' if fingerprint else "")),
        ("Documents", f"{documents['total']} in all: {documents['ok']} classified, "
         f"{documents['error']} failed, {documents['unresolved']} not matched to a municipality"),
        ("Years covered", _e(year_text)),
        ("Reference data", f"population 31 Dec {_e(method.get('population_year', ''))} (SCB), "
         f"{_e(method.get('kommungrupp_edition', ''))}"),
    ]
    rows = "".join(f"<tr><th>{key}</th><td>{value}</td></tr>" for key, value in facts)
    parts = [
        "<header>",
        "<h1>Digitalisation goals in Swedish municipalities' mål- och resursplaner</h1>",
        f'<table class="facts">{rows}</table>',
        _caveats(summary, document_rows),
        "</header>",
    ]
    return "\n".join(parts)


def _caveats(summary: Mapping[str, Any], document_rows: Sequence[Mapping[str, str]]) -> str:
    documents = summary["documents"]
    threshold = summary["method"].get("review_threshold")
    items = []
    flagged = sum(1 for d in document_rows if d["status"] == "ok" and d["health_flag"])
    if documents["error"]:
        files = "".join(
            f"<li><code>{_e(d['file'])}</code>: {_e(d['error'])}</li>" for d in documents["errors"]
        )
        items.append(
            f"<p><strong>Documents that could not be read: {documents['error']}.</strong> "
            "They count in no profile; their municipalities may show as not processed.</p>"
            f"<ul>{files}</ul>"
        )
    if documents["unresolved"]:
        files = "".join(
            f"<li><code>{_e(d['file'])}</code>: {_e(d['note'] or d['source'])}</li>"
            for d in documents["unresolved_files"]
        )
        items.append(
            "<p><strong>Documents that could not be matched to a municipality and year: "
            f"{documents['unresolved']}.</strong> They count in no profile. Name the "
            f"municipality in the file name or give a <code>--manifest</code>.</p><ul>{files}</ul>"
        )
    if flagged:
        items.append(
            f"<p><strong>Documents with text-extraction problems: {flagged}</strong> (pages "
            "without text, garbled text). Their profiles may miss goals.</p>"
        )
    warning = (
        f'<div class="caveat warn">{"".join(items)}'
        '<p>See <a href="#documents">Documents</a>.</p></div>'
        if items else ""
    )
    review = f" below {threshold:g}" if isinstance(threshold, int | float) else ""
    model_note = (
        '<div class="caveat"><p>Profiles are <strong>predictions of a language model</strong>, '
        "not a manual reading: each paragraph is classified as none, internal efficiency or "
        "citizen-facing, and a municipality's profile follows from its paragraphs. The "
        "confidence is the model's probability of that profile; profiles with a confidence"
        f"{review} are marked <strong>needs review</strong> (hatched on the map). The deciding "
        'paragraphs are listed under <a href="#evidence">Evidence</a>. Municipalities without '
        "a classified document are <strong>not processed</strong>: they are shown in grey and "
        "never counted as having no goals.</p></div>"
    )
    return warning + model_note


def _headline(year: Mapping[str, Any]) -> str:
    headline = year["headline"]
    processed = year["inhabitants_processed"]
    missing = year["missing"]
    review = (
        f" ({headline['needs_review']} of these profiles need review)"
        if headline["needs_review"] else ""
    )
    not_processed = (
        f" {missing['municipalities']} municipalities ({_int(missing['inhabitants'])} "
        "inhabitants) were not processed and are not included."
        if missing["municipalities"] else ""
    )
    return (
        '<div class="headline">'
        f'<p class="big">{_int(headline["inhabitants"])}</p>'
        "<p>inhabitants live in the <strong>"
        f"{headline['municipalities']} municipalities with no digitalisation goals or only "
        f"internal-efficiency goals</strong>{review}: {_pct(headline['inhabitants'], processed)} "
        f"of the {_int(processed)} inhabitants of the {year['municipalities_processed']} "
        f"municipalities processed.{not_processed}</p></div>"
    )


def _profile_table(year: Mapping[str, Any]) -> str:
    total_population = year["inhabitants_processed"] + year["missing"]["inhabitants"]
    rows = []
    for name in PROFILES:
        entry = year["profiles"][name]
        rows.append(
            f"<tr><td>{_profile_cell(name)}</td><td class=n>{entry['municipalities']}</td>"
            f"<td class=n>{_int(entry['inhabitants'])}</td>"
            f"<td class=n>{_pct(entry['inhabitants'], total_population)}</td>"
            f"<td class=n>{entry['needs_review']}</td></tr>"
        )
    missing = year["missing"]
    rows.append(
        f"<tr><td>{_profile_cell(MISSING)}</td><td class=n>{missing['municipalities']}</td>"
        f"<td class=n>{_int(missing['inhabitants'])}</td>"
        f"<td class=n>{_pct(missing['inhabitants'], total_population)}</td><td class=n>–</td></tr>"
    )
    municipalities_total = year["municipalities_processed"] + missing["municipalities"]
    rows.append(
        f"<tr class=total><td>All</td><td class=n>{municipalities_total}</td>"
        f"<td class=n>{_int(total_population)}</td><td class=n>100.0 %</td><td></td></tr>"
    )
    return (
        "<table class=profiles><thead><tr><th>Profile</th><th>Municipalities</th>"
        "<th>Inhabitants</th><th>Share of all inhabitants</th><th>Needs review</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _missing_list(year: Mapping[str, Any]) -> str:
    missing = year["missing"]
    if not missing["municipalities"]:
        return "<p>Every municipality was processed.</p>"
    names = ", ".join(
        f"{_e(m['kommun'])} <span class=muted>{_e(m['kommunkod'])}</span>"
        for m in missing["list"]
    )
    return (
        f"<details class=missing><summary>{_swatch(MISSING)}Not processed in {year['year']}: "
        f"{missing['municipalities']} municipalities</summary><p>{names}</p></details>"
    )


def _map_defs(geometry: MapGeometry) -> str:
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


def _shapes(codes: Iterable[str], by_code: Mapping[str, Mapping[str, Any]],
            hatch: str = "hatch") -> str:
    """One ``<use>`` of each municipality's outline, filled by profile, with a hover title and
    a link to its evidence; a hatch on top where the profile needs review."""
    names = {code: m.kommun for code, m in municipalities().items()}
    shapes = []
    hatches = []
    for code in codes:
        p = by_code.get(code)
        if p is None:
            title = f"{names[code]} ({code}): not processed"
            shapes.append(
                f'<g><title>{_e(title)}</title><use href="#k{code}" '
                f'fill="{COLOURS[MISSING]}"/></g>'
            )
            continue
        review = ", needs review" if p["needs_review"] else ""
        title = (
            f"{p['kommun']} ({code}): {PROFILE_NAMES[p['profile']]}, "
            f"confidence {p['confidence']:.2f}{review}"
        )
        shapes.append(
            f'<a href="#{_anchor(code, p["year"])}"><title>{_e(title)}</title>'
            f'<use href="#k{code}" fill="{COLOURS[p["profile"]]}"/></a>'
        )
        if p["needs_review"]:
            hatches.append(f'<use href="#k{code}" fill="url(#{hatch})"/>')
    return f'<g class="shapes">{"".join(shapes)}</g><g class="hatches">{"".join(hatches)}</g>'


def _inset(name: str, lon: float, lat: float, half_degrees: float,
           by_code: Mapping[str, Mapping[str, Any]], geometry: MapGeometry) -> str:
    cx, cy = geometry.point(lon, lat)
    half = half_degrees * geometry.scale
    left, top, right, bottom = cx - half, cy - half, cx + half, cy + half
    codes = [
        code for code, (x1, y1, x2, y2) in geometry.boxes.items()
        if x1 < right and x2 > left and y1 < bottom and y2 > top
    ]
    return (
        f'<div class="inset"><svg viewBox="{left:.0f} {top:.0f} {2 * half:.0f} {2 * half:.0f}" '
        f'role="img" aria-label="{_e(name)} region, enlarged">'
        f'{_shapes(codes, by_code, "hatch-inset")}</svg>'
        f"<span>{_e(name)}</span></div>"
    )


def _map(year: Mapping[str, Any], profiles: Sequence[Mapping[str, Any]],
         geometry: MapGeometry) -> str:
    by_code = {p["kommunkod"]: p for p in profiles}
    insets = "".join(_inset(*inset, by_code, geometry) for inset in INSETS)
    legend = "".join(
        f"<li>{_swatch(key)}{_e(PROFILE_NAMES[key])}</li>" for key in (*PROFILES, MISSING)
    )
    legend += '<li><span class="sw hatch"></span>needs review</li>'
    return (
        f'<figure class="map"><svg viewBox="0 0 {geometry.width} {geometry.height}" '
        f'role="img" aria-label="Map of Sweden: municipality profiles {year["year"]}">'
        f"{_shapes(geometry.paths, by_code)}</svg>"
        f'<div class="insets">{insets}</div>'
        f"<figcaption><ul class=legend>{legend}</ul>"
        "Hover a municipality for its profile; click it for the evidence.</figcaption></figure>"
    )


def _group_rows(
    year: Mapping[str, Any]
) -> list[tuple[str, str, dict[str, int], bool]]:
    """(code, name, counts by profile and missing, is a main group) for the 3 main groups A/B/C,
    each followed by its kommungrupper."""
    main_names = {m.huvudgrupp_code: m.huvudgrupp for m in municipalities().values()}
    rows: list[tuple[str, str, dict[str, int], bool]] = []
    for main in sorted(main_names):
        groups = [g for g in year["by_kommungrupp"] if g["code"].startswith(main)]
        counts = {key: sum(g["profiles"][key] for g in groups) for key in PROFILES}
        counts[MISSING] = sum(g["missing"] for g in groups)
        rows.append((main, main_names[main], counts, True))
        for g in groups:
            rows.append((g["code"], g["name"], {**g["profiles"], MISSING: g["missing"]}, False))
    return rows


def _chart_frame(rows: int, main_rows: int, body: str, label: str, axis: str = "") -> str:
    height = rows * ROW_HEIGHT + main_rows * MAIN_GAP + 30
    return (
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height}" role="img" '
        f'aria-label="{_e(label)}">{body}{axis}</svg>'
    )


def _row_label(y: float, code: str, name: str, main: bool) -> str:
    weight = ' font-weight="bold"' if main else ""
    indent = 0 if main else 14
    return (
        f'<text x="{indent}" y="{y + BAR_HEIGHT - 5}"{weight}>{_e(code)} {_e(name)}</text>'
    )


def _profile_chart(year: Mapping[str, Any]) -> str:
    rows = _group_rows(year)
    bar_width = CHART_WIDTH - LABEL_WIDTH - 50
    parts: list[str] = []
    y = 4.0
    for code, name, counts, main in rows:
        if main and parts:
            y += MAIN_GAP
        total = sum(counts.values())
        parts.append(_row_label(y, code, name, main))
        x = float(LABEL_WIDTH)
        for key in (*PROFILES, MISSING):
            if not counts[key]:
                continue
            width = bar_width * counts[key] / total
            title = f"{code} {name}: {PROFILE_NAMES[key]}, {counts[key]} of {total}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.0f}" width="{width:.1f}" height="{BAR_HEIGHT}" '
                f'fill="{COLOURS[key]}"><title>{_e(title)}</title></rect>'
            )
            if width >= 18:
                parts.append(
                    f'<text x="{x + width / 2:.1f}" y="{y + BAR_HEIGHT - 5:.0f}" '
                    f'class="in">{counts[key]}</text>'
                )
            x += width
        parts.append(
            f'<text x="{LABEL_WIDTH + bar_width + 6}" y="{y + BAR_HEIGHT - 5:.0f}" '
            f'class="muted">n={total}</text>'
        )
        y += ROW_HEIGHT
    axis = "".join(
        f'<text x="{LABEL_WIDTH + bar_width * share:.1f}" y="{y + 14:.0f}" class="tick">'
        f"{int(share * 100)} %</text>"
        for share in (0, 0.25, 0.5, 0.75, 1)
    )
    main_rows = sum(1 for row in rows if row[3]) - 1
    return _chart_frame(
        len(rows), main_rows, "".join(parts),
        f"Profiles by SKR kommungrupp {year['year']}", axis,
    )


def _rate_chart(year: Mapping[str, Any], profiles: Sequence[Mapping[str, Any]]) -> str:
    """Digital-goal paragraphs per 10,000 words, pooled over each group's documents."""
    digital: dict[str, int] = {}
    words: dict[str, int] = {}
    counted: dict[str, int] = {}
    for p in profiles:
        if not p["words"]:
            continue
        for key in (p["kommungrupp_code"], p["huvudgrupp_code"]):
            digital[key] = digital.get(key, 0) + sum(p["counts"][label] for label in DIGITAL_LABELS)
            words[key] = words.get(key, 0) + p["words"]
            counted[key] = counted.get(key, 0) + 1
    rates = {key: digital[key] / words[key] * 10_000 for key in words}
    rows = _group_rows(year)
    top = max(rates.values(), default=0.0) or 1.0
    bar_width = CHART_WIDTH - LABEL_WIDTH - 200
    parts: list[str] = []
    y = 4.0
    for code, name, _, main in rows:
        if main and parts:
            y += MAIN_GAP
        parts.append(_row_label(y, code, name, main))
        if code in rates:
            width = bar_width * rates[code] / top
            colour = "#555" if main else "#888"
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y:.0f}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT}" fill="{colour}"/>'
                f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + BAR_HEIGHT - 5:.0f}">'
                f'{rates[code]:.1f} <tspan class="muted">({counted[code]} municipalities)</tspan>'
                "</text>"
            )
        else:
            parts.append(
                f'<text x="{LABEL_WIDTH}" y="{y + BAR_HEIGHT - 5:.0f}" class="muted">'
                "no municipality processed</text>"
            )
        y += ROW_HEIGHT
    main_rows = sum(1 for row in rows if row[3]) - 1
    return _chart_frame(
        len(rows), main_rows, "".join(parts),
        f"Digital-goal paragraphs per 10,000 words by SKR kommungrupp {year['year']}",
    )


def _year_section(year: Mapping[str, Any], profiles: Sequence[Mapping[str, Any]],
                  geometry: MapGeometry) -> str:
    label = year["year"]
    return "\n".join([
        _headline(year),
        '<div class="overview">',
        _map(year, profiles, geometry),
        '<div class="side">',
        f"<h3>Municipalities and inhabitants by profile, {label}</h3>",
        _profile_table(year),
        _missing_list(year),
        f"<h3>Profiles by SKR kommungrupp, {label}</h3>",
        _profile_chart(year),
        f"<h3>Digital-goal paragraphs per 10,000 words, {label}</h3>",
        "<p class=note>Internal-efficiency and citizen-facing paragraphs per 10,000 words of "
        "the groups' documents together.</p>",
        _rate_chart(year, profiles),
        "</div></div>",
    ])


def _years(summary: Mapping[str, Any], geometry: MapGeometry) -> str:
    years = sorted(summary["years"], key=lambda entry: entry["year"], reverse=True)
    if not years:
        return (
            '<section id="summary"><h2>Summary</h2><p class="caveat warn">No municipality '
            "profile could be built: no document was both read and matched to a municipality "
            "and year.</p></section>"
        )
    by_year: dict[int, list[Mapping[str, Any]]] = {}
    for p in summary["profiles"]:
        by_year.setdefault(p["year"], []).append(p)
    latest = years[0]
    parts = [f'<section id="summary"><h2>Summary {latest["year"]}</h2>']
    if len(years) > 1:
        earlier = ", ".join(str(entry["year"]) for entry in years[1:])
        parts.append(
            f"<p class=note>The documents cover several years; this section shows the latest, "
            f"{latest['year']}. Earlier years ({_e(earlier)}) follow below; the tables list "
            "every year.</p>"
        )
    parts.append(_year_section(latest, by_year.get(latest["year"], []), geometry))
    for entry in years[1:]:
        parts.append(
            f"<details class=year><summary><h2>Summary {entry['year']}</h2> "
            f"({entry['municipalities_processed']} municipalities processed)</summary>"
            f"{_year_section(entry, by_year.get(entry['year'], []), geometry)}</details>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _municipality_table(summary: Mapping[str, Any]) -> str:
    rows = []
    for p in summary["profiles"]:
        counts = p["counts"]
        review = "yes" if p["needs_review"] else ""
        rows.append(
            "<tr>"
            + _td(f'<a href="#{_anchor(p["kommunkod"], p["year"])}">{_e(p["kommun"])}</a>',
                  p["kommun"])
            + _td(_e(p["kommunkod"]))
            + _td(_e(p["year"]), cls="n")
            + _td(_profile_cell(p["profile"]), PROFILES.index(p["profile"]))
            + _td(f"{p['confidence']:.2f}", p["confidence"], "n")
            + _td(review, int(p["needs_review"]), "review" if review else "")
            + _td(str(p["paragraphs"]), p["paragraphs"], "n")
            + _td(str(counts[INTERNAL]), counts[INTERNAL], "n")
            + _td(str(counts[CITIZEN]), counts[CITIZEN], "n")
            + _td(_int(p["words"]), p["words"], "n")
            + _td(_opt(p["digital_per_10k_words"], 1), _sort_number(p["digital_per_10k_words"]),
                  "n")
            + _td(_opt_pct(p["citizen_share"]), _sort_number(p["citizen_share"]), "n")
            + _td(_int(p["population"]), p["population"], "n")
            + _td(f'{_e(p["kommungrupp_code"])} {_e(p["kommungrupp"])}', p["kommungrupp_code"],
                  "kg")
            + "</tr>"
        )
    header = "".join(
        f"<th>{name}</th>"
        for name in (
            "Kommun", "Code", "Year", "Profile", "Confidence", "Needs review", "Paragraphs",
            "Internal", "Citizen", "Words", "Digital per 10k words", "Citizen share",
            "Population", "Kommungrupp",
        )
    )
    return (
        '<section id="municipalities"><h2>Municipalities</h2>'
        f"<p class=note>{len(rows)} municipality-years. Internal / Citizen: paragraphs "
        "classified as internal efficiency / citizen-facing; citizen share: their share of the "
        "digital-goal paragraphs. Click a column to sort.</p>"
        f'<div class="scroll"><table class="sortable data"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _sort_number(value: float | None) -> float:
    return -1.0 if value is None else value


def _opt_pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def _evidence_item(item: Mapping[str, Any], show_file: bool) -> str:
    text = item["text"]
    truncated = len(text) > MAX_EVIDENCE_CHARS
    if truncated:
        text = text[:MAX_EVIDENCE_CHARS].rstrip() + "…"
    heading = " › ".join(item["heading_path"])
    source = f"<code>{_e(item['file'])}</code>, page " if show_file else "page "
    source += _e(item["page"])
    if heading:
        source += f", under “{_e(heading)}”"
    note = " <span class=muted>(shortened; full text in paragraphs.csv)</span>" if truncated else ""
    label = item["label"]
    return (
        f'<li><p class=meta><span class="label {_e(label)}">{_e(LABEL_NAMES.get(label, label))}'
        f"</span> p = {item['probability']:.2f} · {source}</p>"
        f"<blockquote>{_e(text)}{note}</blockquote></li>"
    )


def _evidence(summary: Mapping[str, Any]) -> str:
    blocks = []
    for p in summary["profiles"]:
        review = ' · <span class="review">needs review</span>' if p["needs_review"] else ""
        probabilities = ", ".join(
            f"{PROFILE_NAMES[key].lower()} {value:.2f}"
            for key, value in p["profile_probabilities"].items()
            if key in PROFILE_NAMES
        )
        files = ", ".join(f"<code>{_e(f)}</code>" for f in p["files"])
        if p["profile"] == NO_DIGITAL_GOALS:
            intro = (
                "No paragraph was classified as a digital goal. Listed: the paragraphs that "
                "came closest."
                if p["evidence"]
                else "No paragraph was classified as a digital goal, and none came close."
            )
        else:
            intro = "The paragraphs that decided the profile, most probable first."
        items = "".join(_evidence_item(item, len(p["files"]) > 1) for item in p["evidence"])
        blocks.append(
            f'<details id="{_anchor(p["kommunkod"], p["year"])}"><summary>'
            f'<strong>{_e(p["kommun"])}</strong> {_e(p["kommunkod"])} · {_e(p["year"])} · '
            f'{_profile_cell(p["profile"])} · confidence {p["confidence"]:.2f}{review}'
            "</summary>"
            f"<p class=meta>Documents: {files}. Profile probabilities: {probabilities}.</p>"
            f"<p>{intro}</p><ol class=evidence>{items}</ol></details>"
        )
    return (
        '<section id="evidence"><h2>Evidence</h2><p class=note>Per municipality and year: the '
        "paragraphs behind the profile, with the model's probability of their label.</p>"
        f"{''.join(blocks)}</section>"
    )


def _documents(summary: Mapping[str, Any], documents: Sequence[Mapping[str, str]]) -> str:
    unresolved = {d["file"] for d in summary["documents"]["unresolved_files"]}
    rows = []
    for d in documents:
        if d["status"] != "ok":
            status, cls = "failed", "bad"
        elif d["file"] in unresolved:
            status, cls = "not matched", "warn"
        else:
            status, cls = "ok", ""
        municipality = " ".join(part for part in (d["kommun"], d["kommunkod"]) if part)
        message = d["error"] or (d["municipality_note"] if d["file"] in unresolved else "")
        rows.append(
            "<tr>"
            + _td(f"<code>{_e(d['file'])}</code>")
            + _td(_e(status), cls=cls)
            + _td(_e(message))
            + _td(_e(municipality))
            + _td(_e(d["year"]), cls="n")
            + _td(_e(d["pages"]), _int_or(d["pages"]), "n")
            + _td(_e(d["paragraphs"]), _int_or(d["paragraphs"]), "n")
            + _td(_e(d["health_flag"]), cls="warn" if d["health_flag"] else "")
            + "</tr>"
        )
    header = "".join(
        f"<th>{name}</th>"
        for name in ("File", "Status", "Error / note", "Municipality", "Year", "Pages",
                     "Paragraphs", "Text extraction")
    )
    return (
        '<section id="documents"><h2>Documents</h2>'
        f'<div class="scroll"><table class="sortable data"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _int_or(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:#222;margin:0 auto;padding:0 24px 48px;max-width:1320px}
h1{font-size:26px;margin:24px 0 8px}h2{font-size:21px;margin:32px 0 8px;
border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:16px;margin:20px 0 6px}
nav a{margin-right:16px}.muted{color:#666}.note{color:#555;font-size:14px}
table{border-collapse:collapse}th,td{padding:3px 8px;text-align:left;vertical-align:top}
.facts th{color:#555;font-weight:normal;padding-left:0}
.caveat{border-left:4px solid #999;background:#f5f5f5;padding:6px 14px;margin:10px 0}
.caveat.warn{border-color:#c60;background:#fff4e5}.caveat p{margin:6px 0}
.headline{display:flex;align-items:baseline;gap:16px;background:#f3f6fa;padding:8px 18px;
border-radius:6px}.headline .big{font-size:36px;font-weight:bold;margin:0;white-space:nowrap}
.overview{display:flex;gap:28px;align-items:flex-start;flex-wrap:wrap}
.map{margin:8px 0;flex:0 0 420px}.map>svg{width:420px;height:auto;display:block}
.map .shapes{stroke:#fff;stroke-width:0.6;stroke-linejoin:round;fill-rule:evenodd}
.insets{display:flex;gap:8px;margin-top:6px}.inset{flex:1;text-align:center;font-size:12px}
.inset svg{width:100%;height:auto;display:block;border:1px solid #ccc;background:#eef3f7}
.inset .shapes{stroke-width:0.25}
.map .hatches{pointer-events:none;fill-rule:evenodd}
.map a:hover use,.map g:hover use{stroke:#000;stroke-width:1.6}
.side{flex:1 1 600px;min-width:0}
.legend{list-style:none;padding:0;margin:6px 0}.legend li{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-1px;
border:1px solid rgba(0,0,0,.25)}
.sw.hatch{background:repeating-linear-gradient(45deg,#ddd 0 3px,#666 3px 5px)}
.profiles td,.profiles th{border-bottom:1px solid #e4e4e4}.profiles .total td{font-weight:bold}
.nw{white-space:nowrap}td.kg{min-width:17em}.n{text-align:right;font-variant-numeric:tabular-nums}
.chart{width:100%;max-width:900px;font-size:13px}.chart .in{text-anchor:middle;fill:#111}
.chart .tick{text-anchor:middle;fill:#666;font-size:11px}.chart .muted{fill:#666}
.scroll{overflow-x:auto}
table.data{font-size:13px}table.data th{background:#f0f0f0;position:sticky;top:0}
table.data tr:nth-child(even) td{background:#fafafa}
table.sortable th{cursor:pointer}
td.bad{color:#a00;font-weight:bold}td.warn{color:#a50}.review{color:#a50;font-weight:bold}
details{margin:4px 0}details>summary{cursor:pointer}
#evidence details{border-bottom:1px solid #eee;padding:3px 0}
details.year>summary h2{display:inline-block;border:0}
.meta{font-size:13px;color:#555;margin:4px 0}
blockquote{margin:2px 0 10px 0;padding:4px 12px;border-left:3px solid #ccc;background:#fafafa;
white-space:pre-wrap}
.label{border-radius:3px;padding:0 5px;color:#fff;background:#888}
.label.citizen_facing{background:#4477AA}.label.internal_efficiency{background:#998822}
.defs{position:absolute}
@media print{details{display:block}.scroll{overflow:visible}}
"""

# Sorting only: the tables are complete and in a sensible order without it.
SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = th.getAttribute("data-order") !== "up";
      th.setAttribute("data-order", up ? "up" : "down");
      function key(row) {
        var cell = row.cells[column], v = cell.getAttribute("data-v");
        return v === null ? cell.textContent : v;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), nx = Number(x), ny = Number(y);
        var c = (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny))
          ? nx - ny : x.localeCompare(y, "sv");
        return up ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def render(summary: Mapping[str, Any], documents: Sequence[Mapping[str, str]]) -> str:
    """The whole page as a string."""
    geometry = map_geometry()
    model = summary["model"]
    title = "MRP digitalisation goals"
    if model.get("name"):
        title += f" – {model['name']}"
    body = [
        _header(summary, documents),
        '<nav><a href="#summary">Summary</a><a href="#municipalities">Municipalities</a>'
        '<a href="#evidence">Evidence</a><a href="#documents">Documents</a></nav>',
        _map_defs(geometry),
        _years(summary, geometry),
        _municipality_table(summary),
        _evidence(summary),
        _documents(summary, documents),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
