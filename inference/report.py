"""``report.html``: one self-contained page that presents a run's outputs.

Built from ``summary.json`` (profiles, evidence, per-year summaries) and
``documents.csv`` (the per-document table). The page makes no requests: CSS,
the map and the charts are inline (SVG), and the little JavaScript it has only
sorts tables, so the page reads the same without it. Every string that came from
a document or a file name is HTML-escaped. The output depends only on the input
files, so the same run gives the same bytes.

The map is drawn by ``report_map``; colours, names and escaping are ``report_format``'s;
the page's CSS and script are ``data/report.css`` and ``data/report.js``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from mrp_classify.inference.aggregate import (
    CITIZEN,
    DIGITAL_LABELS,
    INTERNAL,
    NO_DIGITAL_GOALS,
    PROFILES,
)
from mrp_classify.inference.municipalities import municipalities
from mrp_classify.inference.outputs import DOCUMENTS_FILE, REPORT_FILE, RunOutputs
from mrp_classify.inference.report_format import (
    COLOURS,
    LABEL_NAMES,
    MISSING,
    PROFILE_NAMES,
    anchor,
    esc,
    optional,
    pct,
    profile_cell,
    swatch,
    td,
    whole,
)
from mrp_classify.inference.report_map import MapGeometry, map_defs, map_geometry, profile_map
from mrp_classify.io import write_text_atomic

log = logging.getLogger(__name__)




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
        ("Model", f"{esc(model_name or 'unnamed')}"
         + (f' <span class="muted">(fingerprint {esc(fingerprint)})</span>'
            if fingerprint else "")),
        ("Documents", f"{documents['total']} in all: {documents['ok']} classified, "
         f"{documents['error']} failed, {documents['unresolved']} not matched to a municipality"),
        ("Years covered", esc(year_text)),
        ("Reference data", f"population 31 Dec {esc(method.get('population_year', ''))} (SCB), "
         f"{esc(method.get('kommungrupp_edition', ''))}"),
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
            f"<li><code>{esc(d['file'])}</code>: {esc(d['error'])}</li>"
            for d in documents["errors"]
        )
        items.append(
            f"<p><strong>Documents that could not be read: {documents['error']}.</strong> "
            "They count in no profile; their municipalities may show as not processed.</p>"
            f"<ul>{files}</ul>"
        )
    if documents["unresolved"]:
        files = "".join(
            f"<li><code>{esc(d['file'])}</code>: {esc(d['note'] or d['source'])}</li>"
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
        f" {missing['municipalities']} municipalities ({whole(missing['inhabitants'])} "
        "inhabitants) were not processed and are not included."
        if missing["municipalities"] else ""
    )
    return (
        '<div class="headline">'
        f'<p class="big">{whole(headline["inhabitants"])}</p>'
        "<p>inhabitants live in the <strong>"
        f"{headline['municipalities']} municipalities with no digitalisation goals or only "
        f"internal-efficiency goals</strong>{review}: {pct(headline['inhabitants'], processed)} "
        f"of the {whole(processed)} inhabitants of the {year['municipalities_processed']} "
        f"municipalities processed.{not_processed}</p></div>"
    )


def _profile_table(year: Mapping[str, Any]) -> str:
    total_population = year["inhabitants_processed"] + year["missing"]["inhabitants"]
    rows = []
    for name in PROFILES:
        entry = year["profiles"][name]
        rows.append(
            f"<tr><td>{profile_cell(name)}</td><td class=n>{entry['municipalities']}</td>"
            f"<td class=n>{whole(entry['inhabitants'])}</td>"
            f"<td class=n>{pct(entry['inhabitants'], total_population)}</td>"
            f"<td class=n>{entry['needs_review']}</td></tr>"
        )
    missing = year["missing"]
    rows.append(
        f"<tr><td>{profile_cell(MISSING)}</td><td class=n>{missing['municipalities']}</td>"
        f"<td class=n>{whole(missing['inhabitants'])}</td>"
        f"<td class=n>{pct(missing['inhabitants'], total_population)}</td><td class=n>–</td></tr>"
    )
    municipalities_total = year["municipalities_processed"] + missing["municipalities"]
    rows.append(
        f"<tr class=total><td>All</td><td class=n>{municipalities_total}</td>"
        f"<td class=n>{whole(total_population)}</td><td class=n>100.0 %</td><td></td></tr>"
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
        f"{esc(m['kommun'])} <span class=muted>{esc(m['kommunkod'])}</span>"
        for m in missing["list"]
    )
    return (
        f"<details class=missing><summary>{swatch(MISSING)}Not processed in {year['year']}: "
        f"{missing['municipalities']} municipalities</summary><p>{names}</p></details>"
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
        f'aria-label="{esc(label)}">{body}{axis}</svg>'
    )


def _row_label(y: float, code: str, name: str, main: bool) -> str:
    weight = ' font-weight="bold"' if main else ""
    indent = 0 if main else 14
    return (
        f'<text x="{indent}" y="{y + BAR_HEIGHT - 5}"{weight}>{esc(code)} {esc(name)}</text>'
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
                f'fill="{COLOURS[key]}"><title>{esc(title)}</title></rect>'
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
        profile_map(year, profiles, geometry),
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
            f"{latest['year']}. Earlier years ({esc(earlier)}) follow below; the tables list "
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
            + td(f'<a href="#{anchor(p["kommunkod"], p["year"])}">{esc(p["kommun"])}</a>',
                  p["kommun"])
            + td(esc(p["kommunkod"]))
            + td(esc(p["year"]), cls="n")
            + td(profile_cell(p["profile"]), PROFILES.index(p["profile"]))
            + td(f"{p['confidence']:.2f}", p["confidence"], "n")
            + td(review, int(p["needs_review"]), "review" if review else "")
            + td(str(p["paragraphs"]), p["paragraphs"], "n")
            + td(str(counts[INTERNAL]), counts[INTERNAL], "n")
            + td(str(counts[CITIZEN]), counts[CITIZEN], "n")
            + td(whole(p["words"]), p["words"], "n")
            + td(optional(p["digital_per_10k_words"], 1), _sort_number(p["digital_per_10k_words"]),
                  "n")
            + td(_opt_pct(p["citizen_share"]), _sort_number(p["citizen_share"]), "n")
            + td(whole(p["population"]), p["population"], "n")
            + td(f'{esc(p["kommungrupp_code"])} {esc(p["kommungrupp"])}', p["kommungrupp_code"],
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
    source = f"<code>{esc(item['file'])}</code>, page " if show_file else "page "
    source += esc(item["page"])
    if heading:
        source += f", under “{esc(heading)}”"
    note = " <span class=muted>(shortened; full text in paragraphs.csv)</span>" if truncated else ""
    label = item["label"]
    return (
        f'<li><p class=meta><span class="label {esc(label)}">{esc(LABEL_NAMES.get(label, label))}'
        f"</span> p = {item['probability']:.2f} · {source}</p>"
        f"<blockquote>{esc(text)}{note}</blockquote></li>"
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
        files = ", ".join(f"<code>{esc(f)}</code>" for f in p["files"])
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
            f'<details id="{anchor(p["kommunkod"], p["year"])}"><summary>'
            f'<strong>{esc(p["kommun"])}</strong> {esc(p["kommunkod"])} · {esc(p["year"])} · '
            f'{profile_cell(p["profile"])} · confidence {p["confidence"]:.2f}{review}'
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
            + td(f"<code>{esc(d['file'])}</code>")
            + td(esc(status), cls=cls)
            + td(esc(message))
            + td(esc(municipality))
            + td(esc(d["year"]), cls="n")
            + td(esc(d["pages"]), _int_or(d["pages"]), "n")
            + td(esc(d["paragraphs"]), _int_or(d["paragraphs"]), "n")
            + td(esc(d["health_flag"]), cls="warn" if d["health_flag"] else "")
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
        map_defs(geometry),
        _years(summary, geometry),
        _municipality_table(summary),
        _evidence(summary),
        _documents(summary, documents),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_asset('report.css')}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n<script>{_asset('report.js')}</script>\n</body>\n</html>\n"
    )


@functools.cache
def _asset(name: str) -> str:
    # Sorting only, in the script: the tables are complete and in order without it.
    return resources.files("mrp_classify.inference").joinpath("data", name).read_text(
        encoding="utf-8")
